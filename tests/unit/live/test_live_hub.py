"""The live-updates hub and its messages (SPEC T7): routing by dossier, person and
account; bounded queues that drop a slow subscriber; ids only, far under NOTIFY's 8000
bytes."""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone

import pytest

from domain import events
from domain.live.hub import Delivery, Hub, SlowConsumer, Stream
from domain.live.messages import decode, encode

AT = datetime(2026, 4, 30, 12, 0, tzinfo=timezone.utc)


def _event(name: str, account_id: int = 1, **ids) -> events.Event:
    return events.Event(name, account_id, AT, ids, 7)


def _announced(name: str, account_id: int = 1, user_ids: tuple[int, ...] = (), **ids):
    return decode(encode(_event(name, account_id, **ids), user_ids))


def test_a_message_carries_ids_only_and_round_trips():
    event = _event(events.ENTRY_ADDED, dossierId=("Dossier", 3), entryId=("Entry", 9))
    text = encode(event, (42,))
    message = decode(text)
    assert (message.name, message.account_id, message.at, message.sequence) == (events.ENTRY_ADDED, 1, AT, 7)
    assert message.ids == {"dossierId": ("Dossier", 3), "entryId": ("Entry", 9)} and message.user_ids == (42,)
    assert len(text.encode()) < 400  # NOTIFY allows 8000 bytes
    assert decode("not json") is None and decode('{"n": "x"}') is None


async def test_events_reach_the_streams_they_concern_and_no_other():
    hub = Hub()
    dossier_stream = hub.open(Stream(5, 1, dossier_id=3), dossier_account_id=1)
    other_dossier = hub.open(Stream(5, 1, dossier_id=4), dossier_account_id=1)
    viewer = hub.open(Stream(42, None))
    member_viewer = hub.open(Stream(5, 1))
    hub.dispatch(_announced(events.ENTRY_ADDED, dossierId=("Dossier", 3)))
    hub.dispatch(_announced(events.SHARE_CREATED, user_ids=(42,), dossierId=("Dossier", 3), shareId=("Share", 1)))
    hub.dispatch(_announced(events.SUBSCRIPTION_CHANGED))
    hub.dispatch(_announced(events.TEAMMATE_REMOVED, teammateId=("Teammate", 8)))
    assert [d.event.name for d in _drain(dossier_stream)] == ["entry.added", "share.created", "teammate.removed"]
    assert _drain(other_dossier)[0].deliver is False  # a team change: only a re-check
    assert [d.event.name for d in _drain(viewer)] == ["share.created"]
    assert [(d.event.name, d.deliver) for d in _drain(member_viewer)] == [
        ("subscription.changed", True), ("teammate.removed", False)]
    hub.close(dossier_stream)
    hub.dispatch(_announced(events.ENTRY_ADDED, dossierId=("Dossier", 3)))
    assert _drain(dossier_stream) == [] and hub.count() == 3


async def test_a_subscriber_that_falls_behind_is_dropped_not_buffered():
    stream = Stream(5, 1, dossier_id=3, queue_size=2)
    for _ in range(5):
        stream.offer(Delivery(_announced(events.ENTRY_ADDED, dossierId=("Dossier", 3))))
    assert stream.queue.qsize() == 2
    with pytest.raises(SlowConsumer):
        await stream.next(1)


async def test_a_quiet_stream_wakes_up_to_re_check():
    assert await Stream(5, 1).next(0.01) is None


def _drain(stream: Stream) -> list:
    items = []
    while not stream.queue.empty():
        items.append(stream.queue.get_nowait())
    return items
