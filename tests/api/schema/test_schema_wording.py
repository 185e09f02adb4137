"""Descriptions speak to client developers (issue 23): the docs explorer of GraphiQL and
every client's tooling show them to people who have no copy of this repository, so no
description (or deprecation reason) cites an internal rule id ("D4", "SPEC I5", "§1")
or names a bare file, which GraphiQL renders as a link to a web site ("API.md" →
http://api.md/). Rerun after merging schema changes: it names each element at fault."""
from __future__ import annotations

import re
from typing import Iterator

from graphql import GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType, GraphQLSchema

from schema.schema import build_schema

RULE_ID = re.compile(r"\b(?:SPEC\s+)?[A-Z][0-9]{1,2}\b|§\s?[0-9]")
BARE_FILE = re.compile(r"\b[\w./-]+\.(?:md|py|toml|graphql|json|sql|txt|ya?ml|ts)\b", re.I)


def texts(schema: GraphQLSchema) -> Iterator[tuple[str, str]]:
    """(coordinate, text) of every description and deprecation reason of the schema."""
    for name, graphql_type in sorted(schema.type_map.items()):
        if name.startswith("__"):
            continue
        yield name, graphql_type.description or ""
        if isinstance(graphql_type, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            for field_name, field in graphql_type.fields.items():
                yield f"{name}.{field_name}", field.description or ""
                yield f"{name}.{field_name} @deprecated", getattr(field, "deprecation_reason", None) or ""
                for arg_name, arg in getattr(field, "args", {}).items():
                    yield f"{name}.{field_name}({arg_name}:)", arg.description or ""
        elif isinstance(graphql_type, GraphQLEnumType):
            for value_name, value in graphql_type.values.items():
                yield f"{name}.{value_name}", value.description or ""
                yield f"{name}.{value_name} @deprecated", value.deprecation_reason or ""


def at_fault(schema: GraphQLSchema) -> list[str]:
    return [f"{where}: {found.group(0)!r}" for where, text in texts(schema)
            for found in (RULE_ID.search(text), BARE_FILE.search(text)) if found]


def test_no_description_cites_a_rule_id_or_a_bare_file_name():
    assert at_fault(build_schema()._schema) == []


def test_the_check_finds_what_it_looks_for():
    from graphql import build_schema as from_sdl

    sdl = '''"Dossiers (D4), see API.md" type Query { "As SPEC I5 says." a: Int "Fine: up to 100, HS256." b: Int }'''
    assert at_fault(from_sdl(sdl)) == ["Query: 'D4'", "Query: 'API.md'", "Query.a: 'SPEC I5'"]
