"""Relay plumbing: opaque global ids, opaque cursors, connections, page sizes.

A new connection is a few lines: take the four arguments, read the slice in the domain
(`domain.core.paging`: `filter_by_id` + `in_order` for a list ordered by id), and answer
`Connection.of` with a way to count the whole list:

    async def invoices(self, info: Info, first: First = None, after: After = None,
                       last: Last = None, before: Before = None) -> Connection[Invoice]:
        wanted = page_slice(first, after, last, before)
        rows, more = await invoices.page(self.pk, wanted)
        return Connection.of([Invoice.from_model(r) for r in rows], [encode_cursor(r.id) for r in rows],
                             wanted, more, lambda: invoices.count(self.pk))
"""
from __future__ import annotations

import base64
import binascii
import re
from operator import itemgetter
from typing import Annotated, Any, Awaitable, Callable, Generic, Optional, TypeVar

import strawberry
from graphql import GraphQLError

from domain.core.errors import NotFound
from domain.core.ids import b64url, global_id
from domain.core.paging import Slice

T = TypeVar("T")
# The arguments of every connection field (Relay cursor connections, both ways).
First = Annotated[Optional[int], strawberry.argument(
    description="How many items from the start (after `after`): 20 when neither `first` nor `last` is given, "
                "at most 100.")]
After = Annotated[Optional[str], strawberry.argument(description="Start after this cursor (a page's `endCursor`).")]
Last = Annotated[Optional[int], strawberry.argument(
    description="How many items from the end (before `before`), at most 100; instead of `first`.")]
Before = Annotated[Optional[str], strawberry.argument(
    description="End before this cursor (a page's `startCursor`), to page backwards.")]
DEFAULT_PAGE = 20
MAX_PAGE = 100
MAX_PK = 2**63 - 1  # BIGINT / SQLite INTEGER
MAX_OPAQUE_LENGTH = 400  # far above any id or cursor we issue
_PK = re.compile(r"[1-9][0-9]*")  # [0-9], not \d: ASCII digits only


def _b64(text: str) -> str:
    return b64url(text)


def _unb64(text: str) -> str:
    padded = text + "=" * (-len(text) % 4)
    return base64.urlsafe_b64decode(padded.encode()).decode()


to_global_id = global_id  # the one encoding (domain.core.ids), without a call in between


def parse_pk(text: str) -> int | None:
    """A primary key in its one spelling: ASCII digits, no sign, space or leading zero,
    within int64. Anything else (" 2", "02", "+2", Arabic-Indic digits, 2^63) is no key."""
    if len(text) > 19 or not _PK.fullmatch(text):
        return None
    value = int(text)
    return value if value <= MAX_PK else None


def parse_global_id(global_id: str) -> tuple[str, int] | None:
    """(type name, primary key) of an id we issued, or None: an id is accepted only in
    the exact spelling `to_global_id` gives it, so one object has one id."""
    if not isinstance(global_id, str) or len(global_id) > MAX_OPAQUE_LENGTH:
        return None
    try:
        type_name, _, raw = _unb64(global_id).partition(":")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None
    pk = parse_pk(raw)
    if not type_name or pk is None or to_global_id(type_name, pk) != global_id:
        return None
    return type_name, pk


def from_global_id(global_id: str, type_name: str, *, field: str = "id") -> int:
    """The primary key behind an id of the expected type; NotFound otherwise (D4: a
    malformed id is answered like a missing object)."""
    parsed = parse_global_id(global_id)
    if parsed is None or parsed[0] != type_name:
        raise NotFound(type_name.lower(), field=(field,))
    return parsed[1]


def encode_cursor(*parts: object) -> str:
    if len(parts) == 1:  # a row id: almost every cursor
        return b64url(f"c1|{parts[0]}")
    return b64url("c1|" + "|".join(map(str, parts)))


def invalid_cursor() -> GraphQLError:
    return GraphQLError("The cursor is not valid.", extensions={"code": "INVALID_INPUT"})


def decode_cursor(cursor: str | None) -> list[str] | None:
    """The parts of a cursor we issued; INVALID_INPUT for anything else (each caller
    then checks its parts: `cursor_id`, or its own)."""
    if cursor is None:
        return None
    if len(cursor) > MAX_OPAQUE_LENGTH:
        raise invalid_cursor()
    try:
        text = _unb64(cursor)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        text = ""
    if not text.startswith("c1|") or _b64(text) != cursor:
        raise invalid_cursor()
    return text[3:].split("|")


def cursor_id(cursor: list[str] | None) -> int | None:
    """The row id of a decoded one-part cursor (`encode_cursor(row.id)`), or None for none."""
    if cursor is None:
        return None
    pk = parse_pk(cursor[0]) if len(cursor) == 1 else None
    if pk is None:
        raise invalid_cursor()
    return pk


def page_size(first: int | None, name: str = "first") -> int:
    """`first` defaults to 20 and is capped at 100, so no list is unbounded."""
    if first is None:
        return DEFAULT_PAGE
    if first < 1 or first > MAX_PAGE:
        raise GraphQLError(f"`{name}` must be between 1 and {MAX_PAGE}.", extensions={"code": "INVALID_INPUT"})
    return first


def page_slice(first: int | None, after: str | None, last: int | None = None, before: str | None = None,
               key: Callable[[list[str] | None], Any] = cursor_id) -> Slice:
    """The slice a connection's four arguments ask for; `key` turns a decoded cursor
    into the list's sort key (the row id unless the list is ordered otherwise)."""
    if first is not None and last is not None:
        raise GraphQLError("Pass `first` or `last`, not both.", extensions={"code": "INVALID_INPUT"})
    from_end = last is not None
    size = page_size(last, "last") if from_end else page_size(first)
    return Slice(size=size, after=key(decode_cursor(after)), before=key(decode_cursor(before)), from_end=from_end)


@strawberry.type(description="Where a page starts and ends, and whether items lie beyond either end.")
class PageInfo:
    has_next_page: bool = strawberry.field(description="Whether more items follow this page.")
    end_cursor: str | None = strawberry.field(description="The cursor of the page's last item: pass it as `after` "
                                                          "for the next page. Null for an empty page.")
    has_previous_page: bool = strawberry.field(default=False, description=(
        "Whether items come before this page. Paging forwards, true once `after` is given; paging backwards "
        "(`last`), whether more items lie before the page."))
    start_cursor: str | None = strawberry.field(default=None, description=(
        "The cursor of the page's first item: pass it as `before` for the page before. Null for an empty page."))


@strawberry.type(description="One item of a page, and its cursor.")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="An opaque cursor: pass it as `after` or `before` to continue from "
                                               "this item.")
    node: T = strawberry.field(description="The item.")


Count = Callable[[], Awaitable[int]]


class KeyedEdge(tuple):
    """An edge, (node, key), whose cursor is encoded from its key only when a query asks
    for it: a page of twenty dossiers with their five newest entries shows a hundred
    entries, and clients rarely select an entry's cursor. It answers like `Edge` (the
    edge types have no type check: any object with `cursor` and `node` completes the
    same). A tuple: built and read in C, without a Python `__init__` per edge."""

    __slots__ = ()

    node = property(itemgetter(0))
    key = property(itemgetter(1))

    @property
    def cursor(self) -> str:
        return encode_cursor(self[1])


class KeyedPageInfo:
    """`PageInfo` of a `Connection.keyed` page, its cursors encoded only when asked: a
    dossier page shows twenty entry connections whose page info clients rarely select.
    It answers like `PageInfo` (which has no type check) and as `relay_page_info` does."""

    __slots__ = ("has_next_page", "has_previous_page", "_keys")

    def __init__(self, page: Slice, more: bool, keys: list[int]) -> None:
        self.has_next_page, self.has_previous_page = beyond_page(page, more)
        self._keys = keys

    @property
    def start_cursor(self) -> str | None:
        return encode_cursor(self._keys[0]) if self._keys else None

    @property
    def end_cursor(self) -> str | None:
        return encode_cursor(self._keys[-1]) if self._keys else None


@strawberry.type(description="A page of a list (a Relay connection): at most 100 items. `first`/`after` page "
                             "forwards (pass `pageInfo.endCursor` as `after`), `last`/`before` backwards (pass "
                             "`pageInfo.startCursor` as `before`).")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The page's items in the list's order, each with its "
                                                         "cursor.")
    nodes: list[T] = strawberry.field(description="The page's items in the list's order, without cursors.")
    page_info: PageInfo = strawberry.field(description="Whether items lie before or after this page, and its "
                                                       "first and last cursors.")
    count: strawberry.Private[Optional[Count]] = None

    @strawberry.field(description="How many items the whole list holds, across all pages (one more point of "
                                  "query cost).")
    async def total_count(self) -> int:
        if self.count is None:
            raise GraphQLError("This list cannot be counted.", extensions={"code": "INTERNAL_SERVER_ERROR"})
        return await self.count()

    @classmethod
    def build(cls, nodes: list[T], cursors: list[str], has_next: bool) -> "Connection[T]":
        """A forward page without a count (kept for callers not yet on `of`)."""
        return cls.of(nodes, cursors, Slice(size=len(nodes)), has_next, None)

    @classmethod
    def keyed(cls, nodes: list[T], keys: list[int], page: Slice, more: bool,
              count: Optional[Count]) -> "Connection[T]":
        """`of` for a list keyed by id alone (the cursor `encode_cursor(key)`), with the
        cursors of its edges and page info encoded only when asked (`KeyedEdge`,
        `KeyedPageInfo`)."""
        return cls(edges=list(map(KeyedEdge, zip(nodes, keys))),  # type: ignore[misc]
                   nodes=list(nodes), page_info=KeyedPageInfo(page, more, keys), count=count)  # type: ignore[arg-type]

    @classmethod
    def of(cls, nodes: list[T], cursors: list[str], page: Slice, more: bool,
           count: Optional[Count]) -> "Connection[T]":
        """A page in the list's order; `more`: whether items lie beyond it in the
        direction of travel. Paging forwards, an `after` cursor means items lie before;
        paging backwards, a `before` cursor means items follow (Relay's rules, which
        let the page be read in one statement)."""
        edges = [Edge(cursor=c, node=n) for n, c in zip(nodes, cursors)]
        info = relay_page_info(page, more, cursors[0] if cursors else None, cursors[-1] if cursors else None)
        return cls(edges=edges, nodes=list(nodes), page_info=info, count=count)


def relay_page_info(page: Slice, more: bool, start_cursor: str | None, end_cursor: str | None) -> PageInfo:
    """Relay's page info for a page in the list's order (see `Connection.of`)."""
    has_next, has_previous = beyond_page(page, more)
    return PageInfo(has_next_page=has_next, end_cursor=end_cursor, has_previous_page=has_previous,
                    start_cursor=start_cursor)


def beyond_page(page: Slice, more: bool) -> tuple[bool, bool]:
    """(has next page, has previous page) by Relay's rules (see `Connection.of`)."""
    if page.from_end:
        return page.before is not None, more
    return more, page.after is not None
