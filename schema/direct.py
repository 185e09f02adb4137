"""Direct resolvers for the root query fields. On every call of a resolver strawberry
converts each argument by its annotation, names each one, builds the chain of field
extensions and asks the permission: about 150 calls for `dossiers` and its nine
arguments, as many as a search's twelve dossiers cost to complete. Where all of that is
plain — scalar arguments (strawberry's conversion gives them as graphql-core coerced
them), scope permissions alone (`HasScopes`), no exception handlers — it is worked out
once per field here, and a request the permission would let through without a question
(`auth.permissions.waved_through`) calls the resolver straight away. Any other request
goes to strawberry's own resolver, which answers and refuses exactly as before; the
differential test (tests/api/schema/test_executor_differential.py) compares every query
with the stock schema, whose resolvers are strawberry's."""
from __future__ import annotations

from typing import Any, NamedTuple

import strawberry
from strawberry.permission import PermissionExtension
from strawberry.types.base import StrawberryOptional

from auth.permissions import HasScopes, waved_through
from schema.rules import strawberry_field

# Python types whose argument strawberry passes on unchanged (`convert_argument`).
_AS_GIVEN = (str, int, float, bool, strawberry.ID)


class PlainResolver(NamedTuple):
    """A resolver whose call needs nothing but its arguments and scopes."""

    func: Any
    scopes: tuple
    guarded: bool  # it has a permission (HasScopes) at all
    info_name: str | None
    takes_self: bool


def plain_resolver(definition: Any) -> PlainResolver | None:
    """The plain form of a strawberry field's resolver, or None when strawberry's own
    handling matters (other extensions or permissions, a parent or root parameter,
    arguments strawberry converts)."""
    resolver = getattr(definition, "base_resolver", None)
    if resolver is None or resolver.root_parameter is not None or resolver.parent_parameter is not None:
        return None
    scopes: tuple = ()
    for extension in definition.extensions:
        if not isinstance(extension, PermissionExtension) or not all(
                isinstance(permission, HasScopes) for permission in extension.permissions):
            return None
        scopes += tuple(scope for permission in extension.permissions for scope in permission.scopes)
    for argument in definition.arguments:
        argument_type = argument.type
        if type(argument_type) is StrawberryOptional:  # not Maybe[...], which strawberry wraps in Some
            argument_type = argument_type.of_type
        if argument_type not in _AS_GIVEN:
            return None
    info = resolver.info_parameter
    return PlainResolver(resolver.wrapped_func, scopes, bool(definition.extensions),
                         info.name if info is not None else None, resolver.self_parameter is not None)


def install_direct_resolvers(schema: Any) -> None:
    """Give each plain root query field of `schema` its direct resolver."""
    if getattr(schema.schema_converter, "_exception_handler_specs", None):
        return  # handlers turn exceptions into results: strawberry's resolvers keep them
    query = schema._schema.query_type
    for field_def in query.fields.values():
        definition = strawberry_field(field_def)
        plain = plain_resolver(definition) if definition is not None else None
        if plain is not None and field_def.resolve is not None and not definition.is_subscription:
            field_def.resolve = direct_resolver(plain, definition, field_def.resolve, schema.config)


def direct_resolver(plain: PlainResolver, definition: Any, standard: Any, config: Any) -> Any:
    names = {config.name_converter.from_argument(argument): argument.python_name
             for argument in definition.arguments}
    func, scopes, guarded, info_name, takes_self = plain
    info_class = config.info_class

    def resolve(source: Any, info: Any, **arguments: Any) -> Any:
        if guarded and not waved_through(getattr(info.context, "principal", None), scopes):
            return standard(source, info, **arguments)
        given = {names[name]: value for name, value in arguments.items()}
        if info_name is not None:
            given[info_name] = info_class(_raw_info=info, _field=definition)
        return func(source, **given) if takes_self else func(**given)

    return resolve
