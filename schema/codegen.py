"""Code generation for compiled plans of plain attributes (schema/compiled.py): Python
source completing objects of one selection, compiled once and reused. The audience of a
type is checked by calling the one audience function (`schema.rules.sees`), never a
copy of its rule."""
from __future__ import annotations

from typing import Any

from schema.plans import (
    AS_IS, ATTR, LEAF, LIST, NONNULL, OBJECT, TYPENAME, INT_MAX, INT_MIN, Fallback, ObjectPlan, enum_members,
    serializer,
)
from auth.audiences import Audience
from schema.rules import sees


def generate(plan: ObjectPlan) -> Any:
    """Python source completing objects of this plan, compiled once and reused by every
    request with this selection: per object one function call building one dict
    literal, leaves serialised inline, nested single objects inline (an entry's edge,
    node and author in one call), lists of objects by their own plans' functions.
    Only for plans of plain attributes whose nested objects have such plans too;
    anything unexpected raises (and the caller falls back to the standard path, which
    then answers, errors and paths included)."""
    if any(field.kind not in (TYPENAME, ATTR) for field in plan.fields):
        return None
    names: dict[str, Any] = {"Fallback": Fallback, "sees": sees, "fail": fail, "id": id}
    body = ["def one(o, context):"]
    counter = [0]
    result = _object_source(plan, "o", body, "    ", names, counter, depth=0)
    if result is None:
        return None
    body.append(f"    return {result}")
    # The same completion once more, inside a loop: a list of objects (a page's hundred
    # entry edges) then costs one call, not one per object.
    body += ["", "def many(objects, context, nonnull=True):", "    out = []", "    append = out.append",
             "    for o in objects:", "        if o is None:", "            if nonnull:", "                raise Fallback",
             "            append(None)", "            continue"]
    result = _object_source(plan, "o", body, "        ", names, counter, depth=0)
    if result is None:
        return None
    body += [f"        append({result})", "    return out"]
    try:
        exec(compile("\n".join(body), f"<plan {plan.type.name}>", "exec"), names)  # noqa: S102 - our own source
    except (SyntaxError, AttributeError):  # an attribute name Python cannot take: interpret instead
        return None
    return Generated(names["many"], names["one"])


_MAX_INLINE_DEPTH = 3  # an edge, its node, the node's author


def _object_source(plan: ObjectPlan, var: str, body: list[str], indent: str, names: dict[str, Any],
                   counter: list[int], depth: int) -> str | None:
    """Append to `body` the checks of the object in `var` (its type, its audience, the
    read it records) and answer the dict literal completing it."""
    number = counter[0] = counter[0] + 1
    if plan.is_type_of is not None:  # as graphql-core: types without it take any object
        names[f"ORIGIN{number}"], names[f"IS_TYPE_OF{number}"] = plan.origin, plan.is_type_of
        body.append(f"{indent}if {var}.__class__ is not ORIGIN{number} and not IS_TYPE_OF{number}({var}, None): "
                    "raise Fallback")
    rules = plan.rules
    if rules is not None and rules.audience is not None:
        names[f"AUDIENCE{number}"] = rules.audience
        check = f"{indent}if not sees(context, AUDIENCE{number}, {var}): raise Fallback"
        if rules.audience is Audience.CONTENT:
            # The request's cached answer first (`sees` reads the same one): no call per entry.
            check = (f"{indent}if not context.sees_content and not sees(context, AUDIENCE{number}, {var}): "
                     "raise Fallback")
        body.append(check)
    if rules is not None and rules.reads is not None and plan.reads_content:
        # `Context.note_read` without the call: a page records a hundred entries' reads.
        body.append(f"{indent}context.reads.add(({var}.{rules.reads[0]}, {var}.{rules.reads[1]}))")
    items = []
    for field in plan.fields:
        if field.kind is TYPENAME:
            items.append(f"{field.key!r}: {field.value!r}")
            continue
        expression = _field_source(field.shape, f"{var}.{field.value}", body, indent, names, counter, depth)
        if expression is None:
            return None
        items.append(f"{field.key!r}: {expression}")
    return "{" + ", ".join(items) + "}"


def _field_source(shape: Any, value: str, body: list[str], indent: str, names: dict[str, Any],
                  counter: list[int], depth: int) -> str | None:
    nonnull = shape[0] is NONNULL
    inner = shape[1] if nonnull else shape
    if inner[0] is OBJECT and inner[1].run is not None and depth < _MAX_INLINE_DEPTH:
        number = counter[0] = counter[0] + 1
        var, done = f"v{number}", f"d{number}"
        body.append(f"{indent}{var} = {value}")
        body.append(f"{indent}if {var} is None:")
        body.append(f"{indent}    {'raise Fallback' if nonnull else f'{done} = None'}")
        body.append(f"{indent}else:")
        nested = _object_source(inner[1], var, body, indent + "    ", names, counter, depth + 1)
        if nested is None:
            return None
        body.append(f"{indent}    {done} = {nested}")
        return done
    counter[0] += 1
    return expression_of(shape, value, counter[0], names)


class Generated:
    """A plan's generated completion: `run(objects, context, nonnull=True)` for a list
    (None items: None, or Fallback when `nonnull`) and `one(obj, context)`."""

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
        as_is = AS_IS.get(getattr(inner[1], "name", ""))
        if as_is is not None:
            fast = as_is.__name__
            return f"(v if (v := {value}).__class__ is {fast} else (S{number}(v) if v is not None else {missing}))"
        members = enum_members(inner[1])
        if members is not None:  # an enum: its members by identity, without a call
            names[f"M{number}"] = members
            return f"(M{number}.get(id(v := {value})) or (S{number}(v) if v is not None else {missing}))"
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
            many = item[1].run.run

            def objects(value: Any, context: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    raise Fallback
                return many(value, context, nonnull_items)

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
