"""Shapes batch reads for DataLoaders: one row (or list) per key, in key order."""
from __future__ import annotations

from typing import Any, Callable, Sequence


def by_key(rows: Sequence[Any], keys: Sequence[Any], key: Callable[[Any], Any] = lambda r: r.id) -> list[Any]:
    index = {key(row): row for row in rows}
    return [index.get(k) for k in keys]


def grouped(rows: Sequence[Any], keys: Sequence[Any], key: Callable[[Any], Any]) -> list[list[Any]]:
    groups: dict[Any, list[Any]] = {k: [] for k in keys}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return [groups[k] for k in keys]
