"""Every element of the served schema is described (API.md, second release: "Every type,
field, argument and enum value of the schema has a description"), so the docs explorer
of GraphiQL and every client's tooling explain the contract in the product's words."""
from __future__ import annotations

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema
from graphql.type import specified_directives

from schema.schema import build_schema

BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
BUILT_IN_DIRECTIVES = {directive.name for directive in specified_directives}


def _described(element) -> bool:
    return bool((element.description or "").strip())


def undescribed(schema: GraphQLSchema) -> list[str]:
    """The coordinates (`Type`, `Type.field`, `Type.field(arg:)`, `Enum.VALUE`) of every
    element without a description: types, fields, arguments, input fields, enum values.
    Introspection types, the built-in scalars and directives are the GraphQL
    specification's own."""
    missing: list[str] = []
    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        if not _described(graphql_type):
            missing.append(name)
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType)):
            for field_name, field in graphql_type.fields.items():
                if not _described(field):
                    missing.append(f"{name}.{field_name}")
                missing.extend(f"{name}.{field_name}({arg_name}:)" for arg_name, arg in field.args.items()
                               if not _described(arg))
        elif isinstance(graphql_type, GraphQLInputObjectType):
            missing.extend(f"{name}.{field_name}" for field_name, field in graphql_type.fields.items()
                           if not _described(field))
        elif isinstance(graphql_type, GraphQLEnumType):
            missing.extend(f"{name}.{value_name}" for value_name, value in graphql_type.values.items()
                           if not _described(value))
    for directive in schema.directives:
        if directive.name in BUILT_IN_DIRECTIVES:
            continue
        if not _described(directive):
            missing.append(f"@{directive.name}")
        missing.extend(f"@{directive.name}({arg_name}:)" for arg_name, arg in directive.args.items()
                       if not _described(arg))
    return missing


def deprecated_without_reason(schema: GraphQLSchema) -> list[str]:
    """Deprecations say why and what to use instead (`@deprecated(reason: …)`)."""
    found: list[str] = []
    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                if field.deprecation_reason is not None and not field.deprecation_reason.strip():
                    found.append(f"{name}.{field_name}")
        elif isinstance(graphql_type, GraphQLEnumType):
            found.extend(f"{name}.{value_name}" for value_name, value in graphql_type.values.items()
                         if value.deprecation_reason is not None and not value.deprecation_reason.strip())
    return found


def test_every_schema_element_is_described():
    # Given the schema the server serves
    schema = build_schema()._schema
    # When its elements are checked for a description
    missing = undescribed(schema)
    # Then none lacks one
    assert not missing, f"{len(missing)} schema elements have no description:\n" + "\n".join(missing)


def test_every_deprecation_gives_a_reason():
    # Given the served schema, when its deprecations are read, then each says why
    schema = build_schema()._schema
    assert deprecated_without_reason(schema) == []


def test_the_check_finds_an_undescribed_element():
    # Given a schema with one undescribed field, argument, input field and enum value
    from graphql import build_schema as from_sdl

    schema = from_sdl('''
        "q" type Query { "f" f(a: Int): E  g(b: I): Int }
        "e" enum E { "x" X  Y }
        "i" input I { "p" p: Int  q: Int }
    ''')
    # When checked, then each is named by its coordinate
    assert undescribed(schema) == ["E.Y", "I.q", "Query.f(a:)", "Query.g", "Query.g(b:)"]


def test_every_public_root_field_says_so():
    # Query's and Mutation's descriptions send client developers to the word "Public"
    # for the operations that work without a token (API.md Transport).
    from strawberry.permission import PermissionExtension

    from auth.permissions import Public
    from schema.schema import Mutation, Query

    unmarked = [field.python_name for root in (Query, Mutation) for field in root.__strawberry_definition__.fields
                if any(isinstance(p, Public) for e in field.extensions if isinstance(e, PermissionExtension)
                       for p in e.permissions)
                and "Public" not in (field.description or "")]
    assert unmarked == []
