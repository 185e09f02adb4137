"""Lists completed straight from the database's records (issue 27): for a page of
dossiers whose entries, shares or assignees select plain columns, the compiled
completion (schema/compiled.py) turns each record into its response dict in one
generated function, instead of a row object, a schema object (and an edge) and then the
dict. A page's hundred entries then cost one dict each.

Only what gives exactly the compiled completion's answer is completed so: a
connection's `edges` (their `cursor` and `node`), `pageInfo` and `__typename`, or a
plain list of objects; an object's fields that its type declares here as columns
(`record_columns`), each leaf serialised by the same serialisers as the generated plans
(schema/codegen.py), an enum by its stored value. Each type's audience is asked of the
one audience check (`schema.rules.sees`) for every account the records belong to, and
content reads are recorded (P2), as the usual completion does per object. Anything else
— another field, a directive, SQLite, a value the schema does not know or a null it
forbids — keeps the usual completion (a surprise while completing raises `Fallback`,
and the whole list goes down the usual path).

A batch form returns a `ListRead` (the domain's reads and how their answer completes)
rather than reading at once, so that the executor sends a page's lists (entries, shares,
assignees) in one statement (`read_lists`).

Building the JSON in PostgreSQL instead (json_build_object) was measured and dropped: it
costs the database about what it saves the service (bench/README.md, sixth pass)."""
from __future__ import annotations

from itertools import chain
from operator import itemgetter
from typing import Any, Callable, NamedTuple, Sequence

from graphql import GraphQLEnumType

from domain.core.ids import global_id
from infra.db import Reads, read_together
from schema.codegen import expression_of, fail
from schema.plans import ATTR, LEAF, LIST, NONNULL, OBJECT, TYPENAME, Fallback, ObjectPlan
from schema.relay import KeyedPageInfo, encode_cursor
from schema.rules import sees

_COLUMNS_ATTRIBUTE = "__casebook_record_columns__"
ACCOUNT = "account_id"  # the attribute an audience rule reads (schema.rules.sees)
DOSSIER = "dossier_id"  # with ACCOUNT, the attributes a content read names (P2)


class ListRead(NamedTuple):
    """A list's batch form, ready to read: the domain's reads for the whole list of
    parents, and how their answer completes (each parent's value)."""

    reads: Reads
    complete: Callable[[Any], list]


async def read_lists(lists: Sequence[ListRead]) -> list[list]:
    """Each list's completed values, all of them read in one statement."""
    answers = await read_together([each.reads for each in lists])
    return [each.complete(answer) for each, answer in zip(lists, answers)]


class GlobalId(NamedTuple):
    """A field whose value is the global id of a type and an integer column."""

    type_name: str
    column: str


def record_columns(cls: Any, **columns: Any) -> None:
    """Declare how a type's fields read from a record: a column's name, a `GlobalId`,
    or another type declared so (an object built from the same record); `account_id`
    and `dossier_id`, the columns of the account and dossier an object belongs to, when
    the type has them (its audience and its content reads name them)."""
    setattr(cls, _COLUMNS_ATTRIBUTE, columns)


class _Owned:
    """What the audience check reads of an object: its account (never the viewer's own
    person: these types are not people shown to themselves)."""

    __slots__ = ("account_id",)

    def __init__(self, account_id: int | None) -> None:
        self.account_id = account_id


class _Items:
    """A selection of one list's items compiled: `build`, generated, turns a list of
    records into their response dicts; `admit` asks what the usual completion asks of
    each object first."""

    __slots__ = ("build", "audiences", "account", "reads")

    def __init__(self, build: Any, audiences: tuple, account: str | None, reads: bool) -> None:
        self.build = build  # lists of records → lists of response dicts
        self.audiences = audiences  # (audience, by the records' accounts or not)
        self.account, self.reads = account, reads

    def admit(self, context: Any, lists: list[list]) -> None:
        """The audience check and the read log (P2), as the usual completion does them
        per object; a refusal sends the list down the usual path, which answers it."""
        records = list(chain.from_iterable(lists))
        if not records:
            return
        owners = set(map(itemgetter(self.account), records)) if self.account else ()
        for audience, by_account in self.audiences:
            for account_id in (owners if by_account else (None,)):
                if not sees(context, audience, _Owned(account_id)):
                    raise Fallback
        if self.reads:  # `reads` of the object's type: its dossier's and account's columns
            context.reads.update(map(itemgetter(DOSSIER, ACCOUNT), records))


class RecordConnection:
    """A connection's selection completed from records: `complete` gives each page's
    response dict."""

    __slots__ = ("_edges", "_parts", "_page_info")

    def __init__(self, edges: _Items, parts: tuple, page_info: Any) -> None:
        self._edges = edges
        self._parts = parts  # (response key, "typename" | "edges" | "page_info", typename)
        self._page_info = page_info  # the page info plan's generated completion

    def complete(self, context: Any, page: Any, pages: list[tuple[list, bool]]) -> list[dict]:
        """Each dossier's connection, from (records in the list's order, more beyond)."""
        lists = [records for records, _ in pages]
        self._edges.admit(context, lists)
        built = self._edges.build(lists)
        done = []
        for (records, more), edges in zip(pages, built):
            value: dict[str, Any] = {}
            for key, part, typename in self._parts:
                if part == "edges":
                    value[key] = edges
                elif part == "page_info":
                    value[key] = self._page_info(KeyedPageInfo(page, more, [record["id"] for record in records]),
                                                 context)
                else:
                    value[key] = typename
            done.append(value)
        return done


class RecordList:
    """A plain list of objects completed from records."""

    __slots__ = ("_items",)

    def __init__(self, items: _Items) -> None:
        self._items = items

    def complete(self, context: Any, lists: list[list]) -> list[list]:
        """Each dossier's list, from its records in the list's order."""
        self._items.admit(context, lists)
        return self._items.build(lists)


def record_completion(shape: Any) -> RecordConnection | RecordList | None:
    """The record completion of a list relation's selection (`shape`, schema/plans.py):
    a connection, or a plain list of objects; None when some of it is not covered (see
    the module's doc)."""
    listed = _list_object(shape)
    if listed is not None:
        items = _items(listed, edge=False)
        return RecordList(items) if items is not None else None
    plan = _object(shape)
    if plan is None or plan.rules is not None:
        return None
    parts, edges, page_info = [], None, None
    for field in plan.fields:
        if field.kind is TYPENAME:
            parts.append((field.key, "typename", field.value))
        elif field.kind is ATTR and field.value == "edges" and edges is None:  # edges under two keys: usual path
            edge = _list_object(field.shape)
            edges = _items(edge, edge=True) if edge is not None else None
            if edges is None:
                return None
            parts.append((field.key, "edges", None))
        elif field.kind is ATTR and field.value == "page_info" and page_info is None:
            info = _object(field.shape)
            if info is None or info.run is None or info.rules is not None:
                return None
            page_info = info.run.one
            parts.append((field.key, "page_info", None))
        else:
            return None
    if edges is None:  # no edges: the usual path is as quick
        return None
    return RecordConnection(edges, tuple(parts), page_info)


def _items(plan: ObjectPlan, *, edge: bool) -> _Items | None:
    """Generated: a list of records → their response dicts (an edge's, with its cursor
    and node, or the object's own)."""
    names: dict[str, Any] = {"Fallback": Fallback, "fail": fail, "GID": global_id, "CURSOR": encode_cursor}
    counter = [0]
    audiences: list[tuple] = []
    accounts: set[str] = set()
    reads = [False]
    if edge:
        source = _edge_source(plan, names, counter, audiences, accounts, reads)
    else:
        source = _object_source(plan, names, counter, audiences, accounts, reads)
    if source is None or len(accounts) > 1:  # one account column per item at most
        return None
    # Every dossier's list in one call: a page's twenty lists are one loop, not twenty calls.
    body = "\n".join([
        "def build(lists):",
        "    out = []",
        "    for records in lists:",
        "        items = []",
        "        append = items.append",
        "        for r in records:",
        f"            append({source})",
        "        out.append(items)",
        "    return out",
    ])
    exec(compile(body, f"<records {plan.type.name}>", "exec"), names)  # noqa: S102 - our own source
    return _Items(names["build"], tuple(dict.fromkeys(audiences)), next(iter(accounts), None), reads[0])


def _edge_source(plan: ObjectPlan, names: dict, counter: list, audiences: list, accounts: set,
                 reads: list) -> str | None:
    if plan.rules is not None:
        return None
    items = []
    for field in plan.fields:
        if field.kind is TYPENAME:
            items.append(f"{field.key!r}: {field.value!r}")
        elif field.kind is ATTR and field.value == "cursor" and _leaf(field.shape) is not None:
            items.append(f"{field.key!r}: CURSOR(r['id'])")
        elif field.kind is ATTR and field.value == "node":
            node = _object(field.shape)
            source = _object_source(node, names, counter, audiences, accounts, reads) if node is not None else None
            if source is None or field.shape[0] is not NONNULL:
                return None
            items.append(f"{field.key!r}: {source}")
        else:
            return None
    return "{" + ", ".join(items) + "}"


def _object_source(plan: ObjectPlan, names: dict, counter: list, audiences: list, accounts: set,
                   reads: list) -> str | None:
    """A dict literal completing the object a record holds, or None when a field is not
    declared."""
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
        if rules.reads != (DOSSIER, ACCOUNT) or columns.get(ACCOUNT) != ACCOUNT or columns.get(DOSSIER) != DOSSIER:
            return None
        reads[0] = True
    items = []
    for field in plan.fields:
        if field.kind is TYPENAME:
            items.append(f"{field.key!r}: {field.value!r}")
            continue
        source = columns.get(field.value) if field.kind is ATTR and field.value not in (ACCOUNT, DOSSIER) else None
        if source is None:
            return None
        if isinstance(source, (str, GlobalId)):
            expression = _leaf_source(field.shape, source, names, counter)
        else:
            nested = _object(field.shape)
            expression = (_object_source(nested, names, counter, audiences, accounts, reads)
                          if nested is not None and nested.origin is source and field.shape[0] is NONNULL else None)
        if expression is None:
            return None
        items.append(f"{field.key!r}: {expression}")
    return "{" + ", ".join(items) + "}"


def _leaf_source(shape: Any, source: str | GlobalId, names: dict, counter: list) -> str | None:
    leaf = _leaf(shape)
    if leaf is None:
        return None
    counter[0] += 1
    number = counter[0]
    if isinstance(source, GlobalId):
        value = f"GID({source.type_name!r}, r[{source.column!r}])"
        if getattr(leaf, "name", "") == "ID":
            return value  # a str, as the ID serialiser answers it
    else:
        value = f"r[{source!r}]"
    if isinstance(leaf, GraphQLEnumType):  # stored as the member's value: its name by a dict
        names[f"E{number}"] = {getattr(v.value, "value", v.value): name for name, v in leaf.values.items()}
        missing = "fail()" if shape[0] is NONNULL else "None"
        return f"(E{number}.get(v) or fail() if (v := {value}) is not None else {missing})"
    return expression_of(shape, value, number, names)


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
    if item[0] is not NONNULL:  # a null item the usual path would show: never completed here
        return None
    return _object(item)
