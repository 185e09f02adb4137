"""The streams open in this process, and which of them an announced event concerns.

Each stream has a bounded queue: a subscriber that does not keep up is dropped (its
stream is told so once) instead of buffering without bound. What an event concerns:
* a dossier stream: the events of its dossier; and, to re-check access at once, the
  team changes and access-rule changes of the dossier's account and ended sessions of
  its person;
* a viewer stream: share events addressed to its person, subscription changes and usage
  near the cap of the account it acts in, its person's ended sessions; and team and access-rule changes of
  that account, again only to re-check.
A re-check delivers nothing when access still holds."""
from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass, field

from domain import events
from domain.live.messages import Announced

# Events a viewer stream delivers (API.md: shares given or revoked, the subscription).
VIEWER_SHARE_EVENTS = frozenset({events.SHARE_CREATED, events.SHARE_ACCEPTED, events.SHARE_REVOKED})
TEAM_EVENTS = frozenset({events.TEAMMATE_ADDED, events.TEAMMATE_REMOVED})
# Live-only signals (no webhook): a person's sessions ended; an account's access rules changed.
SESSION_ENDED = "session.ended"
ACCESS_CHANGED = "account.access_changed"
USAGE_NEAR_CAP = "usage.near_cap"


@dataclass(frozen=True)
class Delivery:
    """One item of a stream's queue: an event to deliver, or only a reason to re-check."""
    event: Announced
    deliver: bool = True


class SlowConsumer(Exception):
    """The stream fell behind by more than its queue holds."""


@dataclass(eq=False)
class Stream:
    user_id: int
    account_id: int | None
    dossier_id: int | None = None
    queue_size: int = 100
    queue: asyncio.Queue = field(init=False)
    dropped: bool = False

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.queue_size)

    def offer(self, item: Delivery) -> None:
        if self.dropped:
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.dropped = True  # told once, on its next read (`next`)

    async def next(self, timeout: float) -> Delivery | None:
        """The next item; None when `timeout` passed without one (time to re-check)."""
        if self.dropped:
            raise SlowConsumer()
        try:
            async with asyncio.timeout(timeout):
                item = await self.queue.get()
        except TimeoutError:
            return None
        if self.dropped:  # it overflowed while this read waited to run
            raise SlowConsumer()
        return item


class Hub:
    def __init__(self) -> None:
        self._by_dossier: dict[int, set[Stream]] = defaultdict(set)
        self._dossier_streams_of_account: dict[int, set[Stream]] = defaultdict(set)
        self._dossier_streams_of_user: dict[int, set[Stream]] = defaultdict(set)
        self._viewers_by_user: dict[int, set[Stream]] = defaultdict(set)
        self._viewers_by_account: dict[int, set[Stream]] = defaultdict(set)

    def open(self, stream: Stream, *, dossier_account_id: int | None = None) -> Stream:
        if stream.dossier_id is not None:
            self._by_dossier[stream.dossier_id].add(stream)
            self._dossier_streams_of_user[stream.user_id].add(stream)
            if dossier_account_id is not None:
                self._dossier_streams_of_account[dossier_account_id].add(stream)
        else:
            self._viewers_by_user[stream.user_id].add(stream)
            if stream.account_id is not None:
                self._viewers_by_account[stream.account_id].add(stream)
        return stream

    def close(self, stream: Stream) -> None:
        for index in (self._by_dossier, self._dossier_streams_of_account, self._dossier_streams_of_user,
                      self._viewers_by_user, self._viewers_by_account):
            for key in [key for key, streams in index.items() if stream in streams]:
                index[key].discard(stream)
                if not index[key]:
                    del index[key]

    def count(self) -> int:
        return sum(len(s) for s in self._by_dossier.values()) + sum(len(s) for s in self._viewers_by_user.values())

    def dispatch(self, event: Announced) -> None:
        """Hand `event` to every stream it concerns (no I/O: each stream decides later)."""
        dossier_id = event.dossier_id
        if dossier_id is not None:
            for stream in tuple(self._by_dossier.get(dossier_id, ())):
                stream.offer(Delivery(event))
        if event.name in VIEWER_SHARE_EVENTS:
            for user_id in event.user_ids:
                for stream in tuple(self._viewers_by_user.get(user_id, ())):
                    stream.offer(Delivery(event))
        elif event.name in (events.SUBSCRIPTION_CHANGED, USAGE_NEAR_CAP):
            for stream in tuple(self._viewers_by_account.get(event.account_id, ())):
                stream.offer(Delivery(event))
        elif event.name in TEAM_EVENTS or event.name == ACCESS_CHANGED:
            for index in (self._viewers_by_account, self._dossier_streams_of_account):
                for stream in tuple(index.get(event.account_id, ())):
                    stream.offer(Delivery(event, deliver=False))
        elif event.name == SESSION_ENDED:
            for user_id in event.user_ids:
                for stream in tuple(self._viewers_by_user.get(user_id, ())):
                    stream.offer(Delivery(event))
                for stream in tuple(self._dossier_streams_of_user.get(user_id, ())):
                    stream.offer(Delivery(event, deliver=False))


hub = Hub()  # one per process: the broker's listener feeds it
