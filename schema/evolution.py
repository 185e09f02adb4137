"""The schema evolves without breaking clients: a field, argument, input field or enum
value is deprecated in a released schema (`@deprecated(reason:)` naming what to use
instead) before a later release removes it. `unannounced_breaking_changes` lists what
graphql-core's `find_breaking_changes` finds between the last released schema
(schema.released.graphql) and the current one, minus the removals deprecated first;
tests/api/schema/test_schema_evolution.py fails on any, and so does
`python -m schema.evolution` (CI runs the test). When a release ships, copy
schema.graphql to schema.released.graphql and note it in CHANGELOG.md."""
from __future__ import annotations

import re
import sys
from pathlib import Path

from graphql import (
    BreakingChangeType, GraphQLEnumType, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLObjectType,
    GraphQLSchema, build_schema, find_breaking_changes,
)

ROOT = Path(__file__).resolve().parents[1]
RELEASED = ROOT / "schema.released.graphql"
CURRENT = ROOT / "schema.graphql"
_FIELD = re.compile(r"Field (\w+)\.(\w+) was removed\.")
_ARGUMENT = re.compile(r"Argument (\w+)\.(\w+)\((\w+):\) was removed\.")
_VALUE = re.compile(r"Enum value (\w+)\.(\w+) was removed\.")


def _deprecated_first(released: GraphQLSchema, change_type: BreakingChangeType, description: str) -> bool:
    """Whether the released schema deprecated the element this change removes."""
    if change_type is BreakingChangeType.FIELD_REMOVED and (found := _FIELD.fullmatch(description)):
        owner = released.get_type(found[1])
        if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)):
            field = owner.fields.get(found[2])
            return field is not None and bool(field.deprecation_reason)
    if change_type is BreakingChangeType.ARG_REMOVED and (found := _ARGUMENT.fullmatch(description)):
        owner = released.get_type(found[1])
        if isinstance(owner, (GraphQLObjectType, GraphQLInterfaceType)) and found[2] in owner.fields:
            argument = owner.fields[found[2]].args.get(found[3])
            return argument is not None and bool(argument.deprecation_reason)
    if change_type is BreakingChangeType.VALUE_REMOVED_FROM_ENUM and (found := _VALUE.fullmatch(description)):
        owner = released.get_type(found[1])
        if isinstance(owner, GraphQLEnumType) and found[2] in owner.values:
            return bool(owner.values[found[2]].deprecation_reason)
    return False


def unannounced_breaking_changes(released_sdl: str, current_sdl: str) -> list[str]:
    """What would break a client written against the released schema, except removals
    of what that release had deprecated already."""
    released, current = build_schema(released_sdl), build_schema(current_sdl)
    return [change.description for change in find_breaking_changes(released, current)
            if not _deprecated_first(released, change.type, change.description)]


if __name__ == "__main__":
    found = unannounced_breaking_changes(RELEASED.read_text(), CURRENT.read_text())
    for description in found:
        print(description)
    sys.exit(1 if found else 0)
