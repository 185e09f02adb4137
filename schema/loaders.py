"""Per-request batch loaders, created on first use and keyed by their batch function, so
each area declares its own batch functions next to its types without a central list.

`BatchLoader` keeps strawberry's DataLoader contract (`load`, `load_many`; keys asked for
in one turn of the event loop go to the batch function together; each key is loaded
once per request; a failed batch fails each of its keys) but waits with one future per
call instead of one per key plus a `gather`: a dossier page asks for 3 relations of 20
dossiers, and the 60 futures, their callbacks and gathers were a tenth of the page's CPU
(measured: bench/README.md). A caller holding a whole list's keys (`load_all`) runs its
batch at once, without waiting for the turn to end."""
from __future__ import annotations

import asyncio
from itertools import repeat
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

    async def load_all(self, keys: list[Any]) -> list[Any]:
        """`load_many` for a caller that holds every key it will ask for (a batch form,
        schema/rules.py `batched`: a page's twenty dossiers at once). When none of the
        keys is loaded or on its way, the batch runs here and now, without a future, a
        task and a turn of the event loop. Callers asking for these keys meanwhile wait
        for it, and what it loads is kept, as with `load`; other keys asked for in the
        same turn go to a batch of their own (`load_many` would have merged them), so use
        it where one caller asks for a whole list."""
        outcomes, pending = self._outcomes, self._pending
        if not keys or not outcomes.keys().isdisjoint(keys) or not pending.keys().isdisjoint(keys):
            return await self.load_many(keys)
        batch = _Batch()
        waiting = dict.fromkeys(keys, batch)
        if len(waiting) != len(keys):  # a key twice: the batch function is given each once
            return await self.load_many(keys)
        batch.keys = keys
        pending.update(waiting)
        try:
            loaded = await self._load_fn(keys)
        except Exception as error:
            self._settle(batch, None, error)
            raise
        except BaseException:
            self._hand_over(batch)  # cancelled with its caller: not the callers who joined
            raise
        values = self._settle(batch, loaded, None)
        return values if values is not None else [self._outcome(key) for key in keys]

    def _outcome(self, key: Any) -> Any:
        outcome = self._outcomes[key]
        if type(outcome) is _Failed:
            raise outcome.error
        return outcome

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
        try:
            loaded = await self._load_fn(batch.keys)
        except BaseException as error:  # noqa: BLE001 - each waiting caller gets it (cancellation too)
            self._settle(batch, None, error)
            if not isinstance(error, Exception):
                raise
            return
        self._settle(batch, loaded, None)

    def _settle(self, batch: _Batch, loaded: Any, error: BaseException | None) -> list[Any] | None:
        """Keep each key's outcome of a finished batch and wake those waiting for it;
        answer the values when all of them are values (None when the batch, or a key of
        it, failed)."""
        outcomes, keys = self._outcomes, batch.keys
        values: list[Any] | None = None
        interrupted: BaseException | None = None
        if error is None:
            try:
                values = list(loaded)
            except BaseException as not_a_list:  # noqa: BLE001 - as a failed batch: every caller hears of it
                error = not_a_list
                if not isinstance(not_a_list, Exception):
                    interrupted = not_a_list
        if values is not None:
            if len(values) != len(keys):
                error, values = WrongNumberOfResultsReturned(expected=len(keys), received=len(values)), None
            elif any(map(isinstance, values, repeat(BaseException))):
                outcomes.update((key, _Failed(value) if isinstance(value, BaseException) else value)
                                for key, value in zip(keys, values))
                values = None
            else:
                outcomes.update(zip(keys, values))
        if error is not None:
            outcomes.update(dict.fromkeys(keys, _Failed(error)))
        pop = self._pending.pop
        for key in keys:
            pop(key, None)
        for waiter in batch.waiters:
            waiter.remaining -= 1
            if waiter.remaining == 0 and not waiter.future.done():
                waiter.future.set_result(None)
        if interrupted is not None:
            raise interrupted
        return values

    def _hand_over(self, batch: _Batch) -> None:
        """A batch whose caller was cancelled: those who joined it and still wait get its
        keys loaded by a task of its own. With nobody waiting (a whole request cancelled,
        its deadline passed) nothing is read again: the keys are no longer on their way."""
        pop = self._pending.pop
        for key in batch.keys:
            pop(key, None)
        waiting = [waiter for waiter in batch.waiters if not waiter.future.done()]
        if waiting:
            retry = _Batch()
            retry.keys, retry.waiters = batch.keys, waiting
            self._pending.update(dict.fromkeys(batch.keys, retry))
            asyncio.ensure_future(self._run(retry))


class Loaders:
    def __init__(self) -> None:
        self._loaders: dict[BatchFn, BatchLoader] = {}

    def __call__(self, batch: BatchFn) -> BatchLoader:
        loader = self._loaders.get(batch)
        if loader is None:
            loader = self._loaders[batch] = BatchLoader(batch)
        return loader
