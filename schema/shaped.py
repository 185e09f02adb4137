"""Lists shaped by PostgreSQL (issue 27): for a page of connections whose selection is
plain columns, the compiled completion (schema/compiled.py) asks the database for each
edge already in the response's form, as JSON, instead of turning every row into a row
object, a schema object and then a response dict. A page's hundred entries then cost
the service one JSON parse.

Only what gives exactly the compiled completion's answer is shaped: a connection's
`edges` (their `cursor`, their `node`), `pageInfo` and `__typename`; a node's fields
that a type declares here as columns (`shaped_columns`), with leaves of the types below
serialised as strawberry serialises them; objects whose audience is dossier content,
which the request must see (`schema.rules.sees`, asked once before anything is read).
Anything else — another field, an argument, a directive, another audience, SQLite —
keeps the usual completion. What the database cannot vouch for is checked in the same
statement (`ShapedConnection.guard`: an enum value the schema does not know, a null
where the schema says non-null) and sends the whole list down the usual path."""
from __future__ import annotations

import re
from typing import Any

import orjson
from graphql import GraphQLEnumType

from auth.audiences import Audience
from schema.plans import ATTR, LEAF, LIST, NONNULL, OBJECT, TYPENAME, Fallback, ObjectPlan
from schema.relay import KeyedPageInfo

# A response key goes into the statement as a literal: GraphQL names are only these.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")
_COLUMNS_ATTRIBUTE = "__casebook_shaped_columns__"
INT_RANGE = "BETWEEN -2147483648 AND 2147483647"


def shaped_columns(cls: Any, **columns: Any) -> None:
    """Declare how a type's fields read from a shaped row: a field's SQL expression over
    the row's columns, or another type declared so (an object built from the same row)."""
    setattr(cls, _COLUMNS_ATTRIBUTE, columns)


def b64url_sql(text_sql: str) -> str:
    """SQL for `domain.core.ids.b64url` of a text expression (PostgreSQL's base64 breaks
    lines every 76 characters: a long client name's cursor)."""
    return (f"rtrim(translate(replace(encode(convert_to({text_sql}, 'UTF8'), 'base64'), E'\\n', ''), "
            "'+/', '-_'), '=')")


def global_id_sql(type_name: str, key_sql: str) -> str:
    """SQL for `domain.core.ids.global_id(type_name, key)`."""
    return b64url_sql(f"{_literal(type_name + ':')} || {key_sql}")


def isoformat_sql(column: str) -> str:
    """SQL for Python's `isoformat()` of an aware datetime, as the API answers one: in
    UTC, microseconds only when not 0."""
    return (f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"date_part('microseconds', {column})::bigint % 1000000 <> 0 THEN to_char({column} AT TIME ZONE 'UTC', "
            "'.US') ELSE '' END || '+00:00'")


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class ShapedConnection:
    """A connection selection shaped by PostgreSQL: `edge_json`, one edge's JSON over an
    entry row's columns; `guard`, true where that JSON is what the usual completion
    gives; `complete` builds the response dicts of a list of connections from what the
    statement answered."""

    __slots__ = ("edge_json", "guard", "_parts", "_page_info", "reads_content")

    def __init__(self, edge_json: str, guard: str, parts: tuple, page_info: Any, reads_content: bool) -> None:
        self.edge_json, self.guard = edge_json, guard
        self._parts = parts  # (response key, "typename" | "edges" | "page_info", typename)
        self._page_info = page_info  # the page info plan's generated completion
        self.reads_content = reads_content

    def complete(self, context: Any, owners: list[tuple[int, int]], page: Any, pages: list[tuple]) -> list[dict]:
        """Each connection's response dict, from (edges JSON, ids in the list's order,
        more beyond, sound) per connection; `owners`: each one's (dossier id, account id),
        for the access log (P2) when a node's content is shown."""
        done = []
        for (dossier_id, account_id), (edges, ids, more, sound) in zip(owners, pages):
            if not sound:
                raise Fallback
            if ids and self.reads_content:
                context.reads.add((dossier_id, account_id))
            value: dict[str, Any] = {}
            for key, part, typename in self._parts:
                if part == "edges":
                    value[key] = orjson.loads(edges)
                elif part == "page_info":
                    value[key] = self._page_info(KeyedPageInfo(page, more, ids), context)
                else:
                    value[key] = typename
            done.append(value)
        return done


def shape_connection(plan: ObjectPlan) -> ShapedConnection | None:
    """The shaped form of a connection's selection, or None when some of it is not
    covered (see the module's doc)."""
    parts, edge_json, page_info, guards = [], None, None, []
    reads = [False]
    for field in plan.fields:
        if not _NAME.match(field.key):
            return None
        if field.kind is TYPENAME:
            parts.append((field.key, "typename", field.value))
        elif field.kind is ATTR and field.value == "edges":
            edge_plan = _list_object(field.shape)
            edge_json = _edge_json(edge_plan, guards, reads) if edge_plan is not None else None
            if edge_json is None:
                return None
            parts.append((field.key, "edges", None))
        elif field.kind is ATTR and field.value == "page_info":
            info_plan = _object(field.shape)
            if info_plan is None or info_plan.run is None or info_plan.rules is not None:
                return None
            page_info = info_plan.run.one
            parts.append((field.key, "page_info", None))
        else:
            return None
    if edge_json is None:  # nothing read: the usual path is as quick
        return None
    if plan.rules is not None:
        return None
    return ShapedConnection(edge_json, " AND ".join(guards) or "TRUE", tuple(parts), page_info, reads[0])


def _edge_json(plan: ObjectPlan, guards: list[str], reads: list[bool]) -> str | None:
    if plan.rules is not None:
        return None
    pairs = []
    for field in plan.fields:
        if field.kind is TYPENAME:
            pairs.append((field.key, _literal(field.value)))
        elif field.kind is ATTR and field.value == "cursor" and _leaf(field.shape) is not None:
            pairs.append((field.key, b64url_sql("'c1|' || id")))
        elif field.kind is ATTR and field.value == "node":
            node = _object(field.shape)
            node_json = _object_json(node, guards, reads) if node is not None else None
            if node_json is None:
                return None
            pairs.append((field.key, node_json))
        else:
            return None
        if not _NAME.match(field.key):
            return None
    return _json_object(pairs)


def _object_json(plan: ObjectPlan, guards: list[str], reads: list[bool]) -> str | None:
    columns = getattr(plan.origin, _COLUMNS_ATTRIBUTE, None)
    rules = plan.rules
    if columns is None or rules is None or rules.audience is not Audience.CONTENT:
        return None
    if rules.reads is not None and plan.reads_content:
        reads[0] = True
    pairs = []
    for field in plan.fields:
        if not _NAME.match(field.key):
            return None
        if field.kind is TYPENAME:
            pairs.append((field.key, _literal(field.value)))
            continue
        source = columns.get(field.value) if field.kind is ATTR else None
        if source is None:
            return None
        if isinstance(source, str):
            expression = _leaf_sql(field.shape, source, guards)
        else:
            nested = _object(field.shape)
            expression = (_object_json(nested, guards, reads)
                          if nested is not None and nested.origin is source else None)
        if expression is None:
            return None
        pairs.append((field.key, expression))
    return _json_object(pairs)


def _leaf_sql(shape: Any, column: str, guards: list[str]) -> str | None:
    nonnull = shape[0] is NONNULL
    leaf = _leaf(shape)
    if leaf is None:
        return None
    if nonnull:
        guards.append(f"{column} IS NOT NULL")
    name = getattr(leaf, "name", "")
    if isinstance(leaf, GraphQLEnumType):
        cases = " ".join(f"WHEN {_literal(str(getattr(value.value, 'value', value.value)))} THEN {_literal(key)}"
                         for key, value in leaf.values.items())
        expression = f"CASE {column} {cases} END"
        guards.append(f"({column} IS NULL OR {expression} IS NOT NULL)")
        return expression
    if name in ("String", "ID", "Boolean"):
        return column
    if name == "Int":
        guards.append(f"({column} IS NULL OR {column} {INT_RANGE})")
        return column
    if name == "DateTime":
        return isoformat_sql(column)
    return None


def _leaf(shape: Any) -> Any:
    if shape[0] is NONNULL:
        shape = shape[1]
    return shape[1] if shape[0] is LEAF else None


def _object(shape: Any) -> ObjectPlan | None:
    if shape[0] is NONNULL:
        shape = shape[1]
    return shape[1] if shape[0] is OBJECT else None


def _list_object(shape: Any) -> ObjectPlan | None:
    if shape[0] is NONNULL:
        shape = shape[1]
    if shape[0] is not LIST:
        return None
    item = shape[1]
    if item[0] is not NONNULL:  # a null item the usual path would show: never shaped
        return None
    return _object(item)


def _json_object(pairs: list[tuple[str, str]]) -> str:
    return "json_build_object(" + ", ".join(f"{_literal(key)}, {expression}" for key, expression in pairs) + ")"
