"""The values the compiled completion (schema/compiled.py) works with: shapes of types,
plans of objects and fields, waiting completions, and leaf serialisers. No rule of
access lives here: the rules are schema/executor.py's and the policy's."""
from __future__ import annotations

import asyncio
from enum import Enum
from typing import Any

from graphql import GraphQLEnumType, Undefined
from strawberry.schema.types import base_scalars

from schema.rules import rules_of


class Fallback(Exception):
    """The compiled plan does not cover this value: complete it the standard way."""


class Info:
    """What compiled resolver calls get as `info`: the context, nothing else (a resolver
    asking for more raises AttributeError, which falls back to the standard path)."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


# Shapes of a value's type: ("nonnull", inner) ("list", inner) ("leaf", type) ("object", plan)
NONNULL, LIST, LEAF, OBJECT = 0, 1, 2, 3
TYPENAME, ATTR, CALL, BATCH = 0, 1, 2, 3
SIMPLE_ARGUMENT_TYPES = frozenset({"Int", "Float", "String", "Boolean", "ID"})


class FieldPlan:
    __slots__ = ("key", "kind", "value", "shape", "field_def", "node", "strawberry", "scopes", "info_name",
                 "guarded", "has_objects", "from_records")

    def __init__(self, key: str, kind: int, value: Any, shape: Any = None, field_def: Any = None,
                 node: Any = None, strawberry: Any = None, scopes: tuple = (), info_name: str | None = None,
                 guarded: bool = False):
        self.key, self.kind, self.value, self.shape = key, kind, value, shape
        self.field_def, self.node, self.strawberry, self.scopes, self.info_name = (
            field_def, node, strawberry, scopes, info_name)
        self.guarded = guarded  # a permission (HasScopes) stands on the field
        self.has_objects = has_objects(shape)
        # A batch form's form completing from records, and the selection it completes
        # (schema/record_completion.py), if any.
        self.from_records: tuple[Any, Any] | None = None


class ObjectPlan:
    __slots__ = ("type", "fields", "keys", "rules", "reads_content", "is_type_of", "origin", "nodes", "run")

    def __init__(self, object_type: Any, nodes: tuple) -> None:
        self.type = object_type
        self.fields: list[FieldPlan] = []
        self.keys: tuple[str, ...] = ()
        self.rules = rules_of(object_type)
        self.reads_content = False
        self.is_type_of = object_type.is_type_of
        definition = (object_type.extensions or {}).get("strawberry-definition")
        self.origin = getattr(definition, "origin", None)
        self.nodes = nodes  # keeps the field nodes alive while the plan is cached under their ids
        # For a selection of plain attributes only (nested ones too): a generated function
        # completing a list of objects in one step (`generate`); None otherwise.
        self.run: Any = None


def has_objects(shape: Any) -> bool:
    while shape is not None and shape[0] in (NONNULL, LIST):
        shape = shape[1]
    return shape is not None and shape[0] is OBJECT



class Completed(list):
    """A column whose values came already completed (schema/record_completion.py)."""

    __slots__ = ()


class Later:
    """A completion that has to wait for something (a resolver's awaitable). It starts
    when awaited; closed unstarted, it closes what it holds, so a fallback leaves no
    coroutine behind."""

    __slots__ = ("holds", "start")

    def __init__(self, holds: list[Any], start: Any) -> None:
        self.holds = holds
        self.start = start

    def __await__(self):  # noqa: ANN204
        return self.start().__await__()

    def close(self) -> None:
        close(self.holds)


def then(value: Any, then: Any) -> Any:
    if not isinstance(value, Later):
        return then(value)

    async def chained() -> Any:
        return then(await value)

    return Later([value], chained)


SERIALIZERS: dict[Any, Any] = {}
ENUM_MEMBERS: dict[Any, dict[int, Any]] = {}
# Output coercions that never answer None for a value they accept (strawberry's scalars).
NEVER_NULL: tuple = (str, base_scalars.isoformat)
INT_MIN, INT_MAX = -(2 ** 31), 2 ** 31 - 1


def serializer(leaf_type: Any) -> Any:
    """A leaf's output coercion, with the common case (a value already of the right
    Python type) answered without a call into graphql-core."""
    found = SERIALIZERS.get(leaf_type)
    if found is not None:
        return found
    coerce = leaf_type.coerce_output_value
    name = getattr(leaf_type, "name", "")

    def checked(value: Any) -> Any:
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Fallback
        return coerced

    if isinstance(leaf_type, GraphQLEnumType):
        # An enum has few values: remember each. Members are looked up by identity: they
        # live as long as their class, and a Python enum's hash is a Python call.
        members: dict[int, Any] = ENUM_MEMBERS.setdefault(leaf_type, {})
        names: dict[Any, Any] = {}

        def serialize(value: Any) -> Any:
            found = members.get(id(value))
            if found is not None:
                return found
            try:
                return names[value]
            except (KeyError, TypeError):
                coerced = checked(value)
                if isinstance(value, Enum):
                    members[id(value)] = coerced
                else:
                    names[value] = coerced
                return coerced
    elif name in ("String", "ID"):
        def serialize(value: Any) -> Any:
            return value if value.__class__ is str else checked(value)
    elif name == "Boolean":
        def serialize(value: Any) -> Any:
            return value if value.__class__ is bool else checked(value)
    elif name == "Int":
        def serialize(value: Any) -> Any:
            return value if value.__class__ is int and INT_MIN <= value <= INT_MAX else checked(value)
    elif coerce in NEVER_NULL:
        serialize = coerce  # e.g. isoformat for dates: never None for a value it accepts
    else:
        serialize = checked
    SERIALIZERS[leaf_type] = serialize
    return serialize


def enum_members(leaf_type: Any) -> dict[int, Any] | None:
    """An enum's output names by `id` of the Python members met so far (filled by its
    `serializer`), for generated code; None for other leaves."""
    if not isinstance(leaf_type, GraphQLEnumType):
        return None
    serializer(leaf_type)
    return ENUM_MEMBERS[leaf_type]


# Leaves whose common value needs no coercion at all: checked inline, without a call.
AS_IS = {"String": str, "ID": str, "Boolean": bool}


def leaves(leaf_type: Any, values: list[Any]) -> list[Any]:
    serialize = serializer(leaf_type)
    as_is = AS_IS.get(getattr(leaf_type, "name", ""))
    try:
        if as_is is not None:
            return [value if value.__class__ is as_is else None if value is None else serialize(value)
                    for value in values]
        return [None if value is None else serialize(value) for value in values]
    except Fallback:
        raise
    except Exception:  # noqa: BLE001 - the standard path reports it properly
        raise Fallback from None


def raise_first(results: list[Any]) -> None:
    """After a gather with return_exceptions: cancellation first, else any failure means
    the standard path (which raises the error where it belongs)."""
    for result in results:
        if isinstance(result, asyncio.CancelledError):
            raise result
    if any(isinstance(result, BaseException) for result in results):
        raise Fallback


def flatten(values: list[Any]) -> tuple[list[Any], list[int | None]]:
    flat: list[Any] = []
    lengths: list[int | None] = []
    for value in values:
        if value is None:
            lengths.append(None)
        elif isinstance(value, (list, tuple)):
            lengths.append(len(value))
            flat.extend(value)
        else:
            raise Fallback
    return flat, lengths


def close(values: Any) -> None:
    """Close coroutines that will never be awaited (a fallback came first)."""
    for value in values:
        close = getattr(value, "close", None)
        if close is not None:
            close()


def regroup(done: list[Any], lengths: list[int | None]) -> list[Any]:
    out: list[Any] = []
    start = 0
    for length in lengths:
        if length is None:
            out.append(None)
        else:
            out.append(done[start:start + length])
            start += length
    return out


def refill(done: list[Any], values: list[Any]) -> list[Any]:
    it = iter(done)
    return [None if value is None else next(it) for value in values]
