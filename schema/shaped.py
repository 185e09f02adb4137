"""Lists shaped by PostgreSQL (issue 27): for a page of dossiers whose list relations
select plain columns, the compiled completion (schema/compiled.py) asks the database
for each item already in the response's form, as JSON (domain/core/shaping.py),
instead of turning every row into a row object, a schema object and then a response
dict. A page's hundred entries, its shares and its assignees then cost the service one
JSON parse per dossier and list.

Only what gives exactly the compiled completion's answer is shaped: a connection's
`edges` (their `cursor` and `node`), `pageInfo` and `__typename`, or a plain list of
objects; an object's fields that its type declares here as columns (`shaped_columns`),
with leaves of the types below serialised as strawberry serialises them. Each object's
audience is asked of the one audience check (`schema.rules.sees`) for every account
its items belong to, and the content reads are recorded (P2), as the usual completion
does per object. Anything else — another field, an argument, a directive, SQLite —
keeps the usual completion. What the database cannot vouch for is checked in the same
statement (`ItemSql.guard`: an enum value the schema does not know, a null where the
schema says non-null, an Int out of range) and sends the whole list down the usual path,
as does a refused audience."""
from __future__ import annotations

import re
from typing import Any

import orjson
from graphql import GraphQLEnumType

from domain.core.shaping import ItemSql, ShapedGroup
from schema.plans import ATTR, LEAF, LIST, NONNULL, OBJECT, TYPENAME, Fallback, ObjectPlan
from schema.relay import KeyedPageInfo
from schema.rules import sees

# A response key goes into the statement as a literal: GraphQL names are only these.
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")
_COLUMNS_ATTRIBUTE = "__casebook_shaped_columns__"
ACCOUNT = "account_id"  # the attribute an audience rule reads (schema.rules.sees)


def shaped_columns(cls: Any, **columns: Any) -> None:
    """Declare how a type's fields read from a shaped row: a field's SQL expression over
    the row's columns, or another type declared so (an object built from the same row);
    `account_id`, the column of the account an object belongs to, when the type has one."""
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


class _Owned:
    """What the audience check reads of an object: its account (never the viewer's own
    person: shaped types are not people shown to themselves)."""

    __slots__ = ("account_id",)

    def __init__(self, account_id: int | None) -> None:
        self.account_id = account_id


class _Item:
    """A selection of one object compiled to SQL (`sql`), with the audiences to ask
    (audience, by the items' accounts or not) and whether its content reads are recorded."""

    __slots__ = ("sql", "audiences", "reads")

    def __init__(self, sql: ItemSql, audiences: tuple, reads: bool) -> None:
        self.sql, self.audiences, self.reads = sql, audiences, reads

    def admit(self, context: Any, groups: list[ShapedGroup]) -> list[Any]:
        """The audience check and the read log (P2) of a list's items, as the usual
        completion does them per object (a refusal, or a row its guard refused, sends
        the list down the usual path, which answers it); then each group's items."""
        accounts: set[int] = set()
        for _, _, _, sound, owners, _ in groups:
            if not sound:
                raise Fallback
            accounts.update(owners)
        if accounts:
            for audience, by_account in self.audiences:
                for account_id in (accounts if by_account else (None,)):
                    if not sees(context, audience, _Owned(account_id)):
                        raise Fallback
            if self.reads:
                context.reads.update((group[5], account_id) for group in groups for account_id in group[4])
        # One parse for the whole list: each group's items are a JSON array already.
        return orjson.loads("[" + ",".join(group[0] for group in groups) + "]")


class ShapedConnection:
    """A connection's selection shaped by PostgreSQL: its edges as items, completed into
    each connection's response dict by `complete`."""

    __slots__ = ("item", "_parts", "_page_info")

    def __init__(self, item: _Item, parts: tuple, page_info: Any) -> None:
        self.item = item
        self._parts = parts  # (response key, "typename" | "edges" | "page_info", typename)
        self._page_info = page_info  # the page info plan's generated completion

    def complete(self, context: Any, page: Any, groups: list[ShapedGroup]) -> list[dict]:
        """Each group's connection as the response shows it."""
        done = []
        for group, edges in zip(groups, self.item.admit(context, groups)):
            value: dict[str, Any] = {}
            for key, part, typename in self._parts:
                if part == "edges":
                    value[key] = edges
                elif part == "page_info":
                    value[key] = self._page_info(KeyedPageInfo(page, group[2], group[1]), context)  # more, ids
                else:
                    value[key] = typename
            done.append(value)
        return done


class ShapedList:
    """A list of objects shaped by PostgreSQL, completed by `complete`."""

    __slots__ = ("item",)

    def __init__(self, item: _Item) -> None:
        self.item = item

    def complete(self, context: Any, groups: list[ShapedGroup]) -> list[list]:
        """Each group's list as the response shows it."""
        return self.item.admit(context, groups)


def shape_selection(shape: Any) -> ShapedConnection | ShapedList | None:
    """The shaped form of a list relation's selection (`shape`, schema/plans.py), or
    None when some of it is not covered (see the module's doc)."""
    items = _list_object(shape)
    if items is not None:
        item = _item(items, ("id",))
        return ShapedList(item) if item is not None else None
    plan = _object(shape)
    if plan is None or plan.rules is not None:
        return None
    parts, item, page_info = [], None, None
    for field in plan.fields:
        if not _NAME.match(field.key):
            return None
        if field.kind is TYPENAME:
            parts.append((field.key, "typename", field.value))
        elif field.kind is ATTR and field.value == "edges":
            edge = _list_object(field.shape)
            item = _item(edge, ("id",), edge=True) if edge is not None else None
            if item is None:
                return None
            parts.append((field.key, "edges", None))
        elif field.kind is ATTR and field.value == "page_info":
            info = _object(field.shape)
            if info is None or info.run is None or info.rules is not None:
                return None
            page_info = info.run.one
            parts.append((field.key, "page_info", None))
        else:
            return None
    if item is None:  # no edges: nothing to shape, the usual path is as quick
        return None
    return ShapedConnection(item, tuple(parts), page_info)


def _item(plan: ObjectPlan, key: tuple[str, ...], *, edge: bool = False) -> _Item | None:
    guards: list[str] = []
    audiences: list[tuple] = []
    accounts: set[str] = set()
    reads = [False]
    if edge:
        json = _edge_json(plan, key[0], guards, audiences, accounts, reads)
    else:
        json = _object_json(plan, guards, audiences, accounts, reads)
    if json is None or len(accounts) > 1:  # one account column per item at most
        return None
    sql = ItemSql(json, " AND ".join(guards) or "TRUE", next(iter(accounts), None))
    return _Item(sql, tuple(dict.fromkeys(audiences)), reads[0])


def _edge_json(plan: ObjectPlan, key_column: str, guards: list, audiences: list, accounts: set,
               reads: list) -> str | None:
    if plan.rules is not None:
        return None
    pairs = []
    for field in plan.fields:
        if not _NAME.match(field.key):
            return None
        if field.kind is TYPENAME:
            pairs.append((field.key, _literal(field.value)))
        elif field.kind is ATTR and field.value == "cursor" and _leaf(field.shape) is not None:
            pairs.append((field.key, b64url_sql(f"'c1|' || {key_column}")))  # `encode_cursor(key)`
        elif field.kind is ATTR and field.value == "node":
            node = _object(field.shape)
            node_json = _object_json(node, guards, audiences, accounts, reads) if node is not None else None
            if node_json is None:
                return None
            pairs.append((field.key, node_json))
        else:
            return None
    return _json_object(pairs)


def _object_json(plan: ObjectPlan, guards: list, audiences: list, accounts: set, reads: list) -> str | None:
    columns = getattr(plan.origin, _COLUMNS_ATTRIBUTE, None)
    if columns is None:
        return None
    rules = plan.rules
    if rules is not None and rules.audience is not None:
        account = columns.get(ACCOUNT)
        if account is not None:
            accounts.add(account)
        audiences.append((rules.audience, account is not None))
    if rules is not None and rules.reads is not None and plan.reads_content:
        if columns.get(ACCOUNT) is None or rules.reads != ("dossier_id", ACCOUNT):  # the group's dossier
            return None
        reads[0] = True
    pairs = []
    for field in plan.fields:
        if not _NAME.match(field.key):
            return None
        if field.kind is TYPENAME:
            pairs.append((field.key, _literal(field.value)))
            continue
        source = columns.get(field.value) if field.kind is ATTR and field.value != ACCOUNT else None
        if source is None:
            return None
        if isinstance(source, str):
            expression = _leaf_sql(field.shape, source, guards)
        else:
            nested = _object(field.shape)
            expression = (_object_json(nested, guards, audiences, accounts, reads)
                          if nested is not None and nested.origin is source else None)
            if expression is not None and field.shape[0] is not NONNULL:
                return None  # a nullable object built from the row: never null, but keep it simple
        if expression is None:
            return None
        pairs.append((field.key, expression))
    return _json_object(pairs)


_INT_RANGE = "BETWEEN -2147483648 AND 2147483647"


def _leaf_sql(shape: Any, column: str, guards: list[str]) -> str | None:
    leaf = _leaf(shape)
    if leaf is None:
        return None
    if shape[0] is NONNULL:
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
        guards.append(f"({column} IS NULL OR {column} {_INT_RANGE})")
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
