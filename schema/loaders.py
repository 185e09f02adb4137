"""Per-request batch loaders, created on first use and keyed by their batch function, so
each area declares its own batch functions next to its types without a central list.

`BatchLoader` keeps strawberry's DataLoader contract (`load`, `load_many`; keys asked for
in one turn of the event loop go to the batch function together; each key is loaded
once per request; a failed batch fails each of its keys) but waits with one future per
call instead of one per key plus a `gather`: a dossier page asks for 3 relations of 20
dossiers, and the 60 futures, their callbacks and gathers were a tenth of the page's CPU
(measured: bench/README.md)."""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Iterable, Sequence

from strawberry.exceptions import WrongNumberOfResultsReturned

BatchFn = Callable[[Sequence[Any]], Awaitable[Sequence[Any]]]


class _Failed:
    """A key's outcome when its batch failed (or gave an exception for it)."""

    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Waiter:
    """One caller waiting for the batches that hold its keys."""

    __slots__ = ("future", "remaining")

    def __init__(self, future: asyncio.Future, remaining: int) -> None:
        self.future = future
        self.remaining = remaining


class _Batch:
    __slots__ = ("keys", "waiters")

    def __init__(self) -> None:
        self.keys: list[Any] = []
        self.waiters: list[_Waiter] = []


class BatchLoader:
    __slots__ = ("_load_fn", "_outcomes", "_pending", "_open")

    def __init__(self, load_fn: BatchFn) -> None:
        self._load_fn = load_fn
        self._outcomes: dict[Any, Any] = {}  # key -> value, or _Failed
        self._pending: dict[Any, _Batch] = {}  # key -> the batch that will load it
        self._open: _Batch | None = None  # the batch still taking keys this turn

    def load(self, key: Any) -> Awaitable[Any]:
        return self._wait([key], single=True)

    def prime(self, key: Any, value: Any) -> None:
        """Remember `value` for `key`, read by the caller just now (not over a failure)."""
        self._outcomes.setdefault(key, value)

    def load_many(self, keys: Iterable[Any]) -> Awaitable[list[Any]]:
        return self._wait(list(keys), single=False)

    def _wait(self, keys: list[Any], *, single: bool) -> Awaitable[Any]:
        loop = asyncio.get_running_loop()
        batches: dict[int, _Batch] = {}
        outcomes, pending = self._outcomes, self._pending
        for key in keys:
            if key in outcomes:
                continue
            batch = pending.get(key)
            if batch is None:  # into this turn's batch (inline: a page asks for sixty keys at once)
                batch = self._open
                if batch is None:
                    batch = self._open = _Batch()
                    loop.call_soon(self._dispatch, batch)
                batch.keys.append(key)
                pending[key] = batch
            batches[id(batch)] = batch
        future = loop.create_future()
        if batches:
            waiter = _Waiter(future, len(batches))
            for batch in batches.values():
                batch.waiters.append(waiter)
        else:
            future.set_result(None)
        return self._results(future, keys, single)

    async def _results(self, future: asyncio.Future, keys: list[Any], single: bool) -> Any:
        await future
        outcomes = self._outcomes
        values = []
        for key in keys:
            outcome = outcomes[key]
            if type(outcome) is _Failed:
                raise outcome.error
            values.append(outcome)
        return values[0] if single else values

    def _dispatch(self, batch: _Batch) -> None:
        self._open = None  # keys asked for from now on go to the next batch
        asyncio.ensure_future(self._run(batch))

    async def _run(self, batch: _Batch) -> None:
        outcomes = self._outcomes
        try:
            values = list(await self._load_fn(batch.keys))
            if len(values) != len(batch.keys):
                raise WrongNumberOfResultsReturned(expected=len(batch.keys), received=len(values))
            for key, value in zip(batch.keys, values):
                outcomes[key] = _Failed(value) if isinstance(value, BaseException) else value
        except BaseException as error:  # noqa: BLE001 - each waiting caller gets it (cancellation too)
            for key in batch.keys:
                outcomes[key] = _Failed(error)
            if not isinstance(error, Exception):
                raise
        finally:
            for key in batch.keys:
                self._pending.pop(key, None)
            for waiter in batch.waiters:
                waiter.remaining -= 1
                if waiter.remaining == 0 and not waiter.future.done():
                    waiter.future.set_result(None)


class Loaders:
    def __init__(self) -> None:
        self._loaders: dict[BatchFn, BatchLoader] = {}

    def __call__(self, batch: BatchFn) -> BatchLoader:
        loader = self._loaders.get(batch)
        if loader is None:
            loader = self._loaders[batch] = BatchLoader(batch)
        return loader
