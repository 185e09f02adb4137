"""The per-request batch loader keeps strawberry's DataLoader contract: keys
asked for in one turn go to the batch function together, each key once per request, and
a failure reaches every caller waiting for it and no one else."""
from __future__ import annotations

import asyncio

import pytest
from strawberry.exceptions import WrongNumberOfResultsReturned

from schema.loaders import BatchLoader, Loaders


class Recorder:
    def __init__(self, answer=lambda key: key * 10):
        self.batches: list[list] = []
        self.answer = answer

    async def __call__(self, keys):
        self.batches.append(list(keys))
        await asyncio.sleep(0)
        return [self.answer(key) for key in keys]


async def test_keys_asked_for_in_one_turn_are_loaded_in_one_batch():
    load = Recorder()
    loader = BatchLoader(load)
    single, many = await asyncio.gather(loader.load(1), loader.load_many([2, 3, 1]))
    assert (single, many) == (10, [20, 30, 10])
    assert load.batches == [[1, 2, 3]]


async def test_a_key_is_loaded_once_per_request_and_later_turns_start_a_new_batch():
    load = Recorder()
    loader = BatchLoader(load)
    assert await loader.load_many([1, 2]) == [10, 20]
    assert await loader.load_many([2, 3]) == [20, 30]
    assert await loader.load(1) == 10
    assert load.batches == [[1, 2], [3]]


async def test_a_caller_waits_for_every_batch_holding_its_keys():
    load = Recorder()
    loader = BatchLoader(load)
    first = asyncio.ensure_future(loader.load_many([1]))
    await asyncio.sleep(0)  # the first batch is dispatched, not finished
    assert await loader.load_many([1, 2]) == [10, 20]
    assert await first == [10]
    assert load.batches == [[1], [2]]


async def test_a_failed_batch_fails_each_of_its_callers_and_stays_failed():
    async def broken(keys):
        raise RuntimeError("database gone")

    loader = BatchLoader(broken)
    results = await asyncio.gather(loader.load(1), loader.load_many([1, 2]), return_exceptions=True)
    assert [type(result) for result in results] == [RuntimeError, RuntimeError]
    with pytest.raises(RuntimeError):
        await loader.load(2)


async def test_an_exception_given_for_one_key_fails_only_that_key():
    loader = BatchLoader(Recorder(lambda key: ValueError(key) if key == 2 else key))
    one, two = await asyncio.gather(loader.load(1), loader.load(2), return_exceptions=True)
    assert one == 1 and isinstance(two, ValueError)


@pytest.mark.parametrize("asking", ["load_many", "load_all"])
async def test_a_batch_function_giving_the_wrong_number_of_results_is_an_error(asking):
    async def short(keys):
        return keys[:-1]

    with pytest.raises(WrongNumberOfResultsReturned):
        await getattr(BatchLoader(short), asking)([1, 2])


async def test_a_cancelled_caller_does_not_cancel_the_others():
    load = Recorder()
    loader = BatchLoader(load)
    cancelled = asyncio.ensure_future(loader.load(1))
    kept = asyncio.ensure_future(loader.load(1))
    await asyncio.sleep(0)
    cancelled.cancel()
    assert await kept == 10
    assert cancelled.cancelled()


async def test_loaders_give_one_loader_per_batch_function():
    loaders, load = Loaders(), Recorder()
    assert loaders(load) is loaders(load)


# `load_all`: a batch form's whole list at once (schema/rules.py `batched`, issue 27).

async def test_load_all_runs_its_batch_at_once_and_keeps_what_it_loaded():
    load = Recorder()
    loader = BatchLoader(load)
    assert await loader.load_all([1, 2, 3]) == [10, 20, 30]
    assert await loader.load(2) == 20
    assert await loader.load_many([3, 4]) == [30, 40]
    assert load.batches == [[1, 2, 3], [4]]


async def test_load_all_joins_keys_already_on_their_way():
    load = Recorder()
    loader = BatchLoader(load)
    single = asyncio.ensure_future(loader.load(2))
    await asyncio.sleep(0)  # 2 is asked for, its batch not yet run
    assert await loader.load_all([1, 2]) == [10, 20]
    assert await single == 20
    assert sorted(key for batch in load.batches for key in batch) == [1, 2]  # each key once


async def test_callers_asking_while_load_all_runs_wait_for_its_batch():
    load = Recorder()
    loader = BatchLoader(load)
    whole = asyncio.ensure_future(loader.load_all([1, 2]))
    await asyncio.sleep(0)  # inside the batch function
    assert await loader.load(1) == 10
    assert await whole == [10, 20]
    assert load.batches == [[1, 2]]


async def test_load_all_gives_a_key_asked_twice_to_the_batch_once():
    load = Recorder()
    assert await BatchLoader(load).load_all([1, 2, 1]) == [10, 20, 10]
    assert load.batches == [[1, 2]]


async def test_load_all_fails_as_its_batch_fails_and_the_keys_stay_failed():
    async def broken(keys):
        raise RuntimeError("database gone")

    loader = BatchLoader(broken)
    with pytest.raises(RuntimeError):
        await loader.load_all([1, 2])
    with pytest.raises(RuntimeError):
        await loader.load(2)
    one = BatchLoader(Recorder(lambda key: ValueError(key) if key == 2 else key))
    with pytest.raises(ValueError):
        await one.load_all([1, 2])
    assert await one.load(1) == 1


async def test_a_cancelled_load_all_leaves_those_who_joined_its_batch_their_values():
    started = asyncio.Event()
    load = Recorder()

    async def slow(keys):
        started.set()
        await asyncio.sleep(0.01)
        return await load(keys)

    loader = BatchLoader(slow)
    whole = asyncio.ensure_future(loader.load_all([1, 2]))
    await started.wait()
    joined = asyncio.ensure_future(loader.load(2))
    await asyncio.sleep(0)
    whole.cancel()
    assert await joined == 20
    assert whole.cancelled()
    assert await loader.load(1) == 10


async def test_a_cancelled_load_all_reads_nothing_again_when_no_one_still_waits():
    load = Recorder()

    async def slow(keys):
        await asyncio.sleep(0.05)
        return await load(keys)

    loader = BatchLoader(slow)

    async def request():
        whole = asyncio.ensure_future(loader.load_all([1, 2]))
        await asyncio.sleep(0)  # its batch in flight
        await asyncio.gather(whole, loader.load(2))  # 2 joins it

    with pytest.raises(TimeoutError):
        async with asyncio.timeout(0.01):  # a request's deadline: every caller cancelled at once
            await request()
    await asyncio.sleep(0.1)
    assert load.batches == []  # the cancelled read is not sent again after the response
