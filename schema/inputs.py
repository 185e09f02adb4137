"""Inputs of hot mutations built straight from their GraphQL value.

Strawberry converts an input value field by field through its generic machinery on
every request: about 150 function calls for three strings and an enum. graphql-core
has already coerced each leaf to its Python value by then (an ID or string stays
itself, an enum value is the enum's member), so for an input made only of such leaves
the class is built from the value as it is, through Strawberry's own hook for inputs
that build their own value (`from_input`)."""
from __future__ import annotations

from dataclasses import MISSING
from typing import Any, Mapping, TypeVar

import strawberry
from strawberry.types.arguments import InputContext
from strawberry.types.base import StrawberryOptional
from strawberry.types.enum import StrawberryEnumDefinition, has_enum_definition

T = TypeVar("T", bound=type)
_LEAVES = (str, int, float, bool, strawberry.ID)


def _is_leaf(type_: Any) -> bool:
    if isinstance(type_, StrawberryOptional):
        type_ = type_.of_type
    return type_ in _LEAVES or isinstance(type_, StrawberryEnumDefinition) or has_enum_definition(type_)


def leaf_input(cls: T) -> T:
    """For a `@strawberry.input` class whose every field is a string, an ID, a number, a
    boolean or an enum, required or optional (anything else is refused when the first
    value arrives)."""
    definition = cls.__strawberry_definition__
    # (GraphQL name, Python name) of each field, and None for each field without a
    # default (as Strawberry fills in what a client left out of an optional field):
    # worked out at the first value, when the schema exists and lazy types resolve.
    names: list[tuple[tuple[tuple[str, str], ...], dict[str, None]]] = []

    def from_input(type_: type, value: Mapping[str, Any], context: InputContext) -> Any:
        if not names:
            for field in definition.fields:
                if not _is_leaf(field.resolve_type(type_definition=definition)):
                    raise TypeError(f"{cls.__name__}.{field.python_name} is not a leaf: leave it to Strawberry")
            names.append((
                tuple((context.config.name_converter.from_field(field), field.python_name)
                      for field in definition.fields),
                {field.python_name: None for field in definition.fields
                 if field.default_value is MISSING and field.default_factory is MISSING}))
        pairs, absent = names[0]
        return type_(**{**absent, **{python: value[graphql] for graphql, python in pairs if graphql in value}})

    definition.from_input = from_input
    return cls
