"""A dossier's measurements as a paged series (`measurementHistory`): oldest first by
when they were measured, optionally of one metric, read along the
(dossier_id, metric, measured_at, id) and (dossier_id, measured_at, id) indexes."""
from __future__ import annotations

from datetime import datetime
from typing import Sequence

from tortoise.expressions import Q

from domain.core.paging import Slice, in_order
from domain.dossiers.models import Measurement

# (when measured, id): the series' order, and a page's bounds.
HistoryKey = tuple[datetime, int]
# (dossier id, metric or None for all, the slice a page asks for)
HistoryPageKey = tuple[int, "str | None", Slice]


def _beyond(key: HistoryKey, later: bool) -> Q:
    at, pk = key
    if later:
        return Q(measured_at__gt=at) | Q(measured_at=at, id__gt=pk)
    return Q(measured_at__lt=at) | Q(measured_at=at, id__lt=pk)


async def measurement_pages(keys: Sequence[HistoryPageKey]) -> list[tuple[list[Measurement], bool]]:
    """DataLoader batch: one page per key, as (measurements in the series' order,
    whether more lie beyond the page in the direction of travel)."""
    pages = []
    for dossier_id, metric, page in keys:
        query = Measurement.filter(dossier_id=dossier_id)
        if metric is not None:
            query = query.filter(metric=metric)
        if page.after is not None:
            query = query.filter(_beyond(page.after, later=True))
        if page.before is not None:
            query = query.filter(_beyond(page.before, later=False))
        order = ("-measured_at", "-id") if page.from_end else ("measured_at", "id")
        pages.append(in_order(await query.order_by(*order).limit(page.size + 1), page))
    return pages


async def measurement_counts(keys: Sequence[tuple[int, "str | None"]]) -> list[int]:
    """DataLoader batch: how many measurements (of the metric, or all) each dossier has."""
    counts = []
    for dossier_id, metric in keys:
        query = Measurement.filter(dossier_id=dossier_id)
        counts.append(await (query.filter(metric=metric) if metric is not None else query).count())
    return counts
