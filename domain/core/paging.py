"""Which slice of an ordered list a page asks for (keyset pagination, both ways), so
every list reads only its page along an index, whichever end it starts from."""
from __future__ import annotations

from typing import Any, Generic, NamedTuple, Sequence, TypeVar

K = TypeVar("K")


class Slice(NamedTuple, Generic[K]):
    """`size` items after `after` and before `before` (keys of the list's order, both
    exclusive, either absent), taken from the start, or from the end when `from_end`.
    A named tuple, immutable and hashed in C: slices key the request's page loaders."""

    size: int
    after: K | None = None
    before: K | None = None
    from_end: bool = False


def id_bounds(page: Slice[int], params: list[Any], *, newest_first: bool, column: str = "id") -> tuple[str, str]:
    """(` AND …` conditions, ORDER BY direction) for a list ordered by `column`: the
    rows are read in the direction of travel, so LIMIT size + 1 tells whether more follow."""
    later, earlier = ("<", ">") if newest_first else (">", "<")
    conditions = ""
    if page.after is not None:
        params.append(page.after)
        conditions += f" AND {column} {later} ${len(params)}"
    if page.before is not None:
        params.append(page.before)
        conditions += f" AND {column} {earlier} ${len(params)}"
    descending = newest_first != page.from_end
    return conditions, "DESC" if descending else "ASC"


def in_order(rows: list[Any], page: Slice[Any]) -> tuple[list[Any], bool]:
    """Rows read in the direction of travel (size + 1 of them at most) as the page in
    the list's order, and whether more lie beyond it in that direction."""
    more = len(rows) > page.size
    rows = rows[:page.size]
    return (rows[::-1] if page.from_end else rows), more


def filter_by_id(query: Any, page: Slice[int], *, newest_first: bool) -> Any:
    """A tortoise query narrowed to the slice and ordered in the direction of travel."""
    later, earlier = ("id__lt", "id__gt") if newest_first else ("id__gt", "id__lt")
    if page.after is not None:
        query = query.filter(**{later: page.after})
    if page.before is not None:
        query = query.filter(**{earlier: page.before})
    descending = newest_first != page.from_end
    return query.order_by("-id" if descending else "id").limit(page.size + 1)


async def counts_by(table: str, column: str, ids: Sequence[int], *, where: str = "",
                    params: Sequence[Any] = ()) -> list[int]:
    """How many rows of `table` each id in `column` has (a list's `totalCount`), for a
    batch of ids in one statement along the index that starts with `column`. `where`
    narrows it further with `params` numbered from $1; the ids follow them."""
    from tortoise import connections

    from infra.db import execute, placeholders

    wanted = sorted(set(ids))
    if not wanted:
        return [0 for _ in ids]
    values = [*params, *wanted]
    marks = placeholders(len(params) + 1, len(wanted))
    sql = (f"SELECT {column} AS parent, count(*) AS n FROM {table} WHERE {column} IN ({marks})"
           f"{' AND ' + where if where else ''} GROUP BY {column}")
    _, rows = await execute(connections.get("default"), sql, values)
    found = {row["parent"]: int(row["n"]) for row in rows}
    return [found.get(parent, 0) for parent in ids]
