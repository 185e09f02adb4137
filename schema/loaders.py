"""Per-request DataLoaders, created on first use and keyed by their batch function, so
each area declares its own batch functions next to its types without a central list."""
from __future__ import annotations

from typing import Any, Awaitable, Callable, Sequence

from strawberry.dataloader import DataLoader

BatchFn = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


class Loaders:
    def __init__(self) -> None:
        self._loaders: dict[BatchFn, DataLoader] = {}

    def __call__(self, batch: BatchFn) -> DataLoader:
        loader = self._loaders.get(batch)
        if loader is None:
            loader = self._loaders[batch] = DataLoader(load_fn=batch)
        return loader

