"""Code generation for compiled plans of plain attributes (schema/compiled.py): Python
source completing objects of one selection, compiled once and reused. The audience of a
type is checked by calling the one audience function (`schema.rules.sees`), never a
copy of its rule."""
from __future__ import annotations

from typing import Any

from schema.plans import (
    ATTR, LEAF, LIST, NONNULL, OBJECT, TYPENAME, INT_MAX, INT_MIN, Fallback, ObjectPlan, serializer,
)
from auth.audiences import Audience
from schema.rules import sees


def generate(plan: ObjectPlan) -> Any:
    """Python source completing objects of this plan, compiled once and reused by every
    request with this selection: per object one function call building one dict
    literal, leaves serialised inline, nested objects by their own plans' functions.
    Only for plans of plain attributes whose nested objects have such plans too;
    anything unexpected raises (and the caller falls back to the standard path, which
    then answers, errors and paths included)."""
    if any(field.kind not in (TYPENAME, ATTR) for field in plan.fields):
        return None
    names: dict[str, Any] = {"Fallback": Fallback, "ORIGIN": plan.origin, "IS_TYPE_OF": plan.is_type_of,
                             "sees": sees, "AUDIENCE": None, "fail": fail}
    body = ["def one(o, context):"]
    if plan.is_type_of is not None:  # as graphql-core: types without it take any object
        body.append("    if o.__class__ is not ORIGIN and not IS_TYPE_OF(o, None): raise Fallback")
    rules = plan.rules
    if rules is not None and rules.audience is not None:
        names["AUDIENCE"] = rules.audience
        check = "    if not sees(context, AUDIENCE, o): raise Fallback"
        if rules.audience is Audience.CONTENT:
            # The request's cached answer first (`sees` reads the same one): no call per entry.
            check = "    if not context.sees_content and not sees(context, AUDIENCE, o): raise Fallback"
        body.append(check)
    if rules is not None and rules.reads is not None and plan.reads_content:
        body.append(f"    context.note_read(o.{rules.reads[0]}, o.{rules.reads[1]})")
    items = []
    for number, field in enumerate(plan.fields):
        if field.kind is TYPENAME:
            items.append(f"{field.key!r}: {field.value!r}")
            continue
        expression = expression_of(field.shape, f"o.{field.value}", number, names)
        if expression is None:
            return None
        items.append(f"{field.key!r}: {expression}")
    body.append("    return {" + ", ".join(items) + "}")
    body += ["", "def run(objects, context):", "    return [one(o, context) for o in objects]"]
    try:
        exec(compile("\n".join(body), f"<plan {plan.type.name}>", "exec"), names)  # noqa: S102 - our own source
    except (SyntaxError, AttributeError):  # an attribute name Python cannot take: interpret instead
        return None
    return Generated(names["run"], names["one"])


class Generated:
    """A plan's generated completion: `run(objects, context)` and `one(obj, context)`."""

    __slots__ = ("run", "one")

    def __init__(self, run: Any, one: Any) -> None:
        self.run = run
        self.one = one

    def __call__(self, objects: list[Any], context: Any) -> list[dict[str, Any]]:
        try:
            return self.run(objects, context)
        except Fallback:
            raise
        except Exception:  # noqa: BLE001 - e.g. an attribute missing: the standard path reports it
            raise Fallback from None


def fail() -> Any:
    raise Fallback


def expression_of(shape: Any, value: str, number: int, names: dict[str, Any]) -> str | None:
    """An expression completing `value` of `shape`, or None when a nested object has no
    generated plan."""
    nonnull = shape[0] is NONNULL
    inner = shape[1] if nonnull else shape
    missing = "fail()" if nonnull else "None"
    if inner[0] is LEAF:
        names[f"S{number}"] = serializer(inner[1])
        fast = {"String": "str", "ID": "str", "Boolean": "bool"}.get(getattr(inner[1], "name", ""))
        if fast:
            return f"(v if (v := {value}).__class__ is {fast} else (S{number}(v) if v is not None else {missing}))"
        if getattr(inner[1], "name", "") == "Int":
            return (f"(v if (v := {value}).__class__ is int and {INT_MIN} <= v <= {INT_MAX} "
                    f"else (S{number}(v) if v is not None else {missing}))")
        return f"(S{number}(v) if (v := {value}) is not None else {missing})"
    if inner[0] is OBJECT and inner[1].run is not None:
        names[f"O{number}"] = inner[1].run.one
        return f"(O{number}(v, context) if (v := {value}) is not None else {missing})"
    completer = sync_completer(shape)
    if completer is None:
        return None
    names[f"C{number}"] = completer
    return f"C{number}({value}, context)"


def sync_completer(shape: Any) -> Any:
    """A function completing one value of a shape whose objects have generated plans."""
    kind = shape[0]
    if kind is NONNULL:
        inner = sync_completer(shape[1])
        if inner is None:
            return None

        def nonnull(value: Any, context: Any) -> Any:
            if value is None:
                raise Fallback
            return inner(value, context)

        return nonnull
    if kind is LEAF:
        serialize = serializer(shape[1])
        return lambda value, context: None if value is None else serialize(value)
    if kind is LIST:
        item = shape[1]
        nonnull_items = item[0] is NONNULL
        if nonnull_items:
            item = item[1]
        if item[0] is OBJECT and item[1].run is not None:
            one = item[1].run.one

            def objects(value: Any, context: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    raise Fallback
                if nonnull_items:
                    return [one(v, context) if v is not None else fail() for v in value]
                return [one(v, context) if v is not None else None for v in value]

            return objects
        inner = sync_completer(shape[1])
        if inner is None:
            return None

        def items(value: Any, context: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, (list, tuple)):
                raise Fallback
            return [inner(v, context) for v in value]

        return items
    plan = shape[1]
    if plan.run is None:
        return None
    one = plan.run.one
    return lambda value, context: None if value is None else one(value, context)
