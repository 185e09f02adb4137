"""Events a write announces: the event's name, when it happened, and the global ids of
what it is about — never dossier content, names or addresses.

`announce` runs inside the write's transaction and hands the event to every subscriber
registered with `subscribe`. This module knows none of them: the top of the program
(api/wiring.py) composes them — webhook deliveries today, live updates next — so that a
new consumer of events never reaches back into the areas that announce them. A
subscriber that writes (a webhook delivery row) writes in the announcing transaction, so
it exists exactly when the write committed (O1)."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Mapping

from tortoise import connections

from infra.db import returning
from domain.core.ids import global_id

DOSSIER_CREATED = "dossier.created"
DOSSIER_UPDATED = "dossier.updated"
DOSSIER_ARCHIVED = "dossier.archived"
DOSSIER_DELETED = "dossier.deleted"
ENTRY_ADDED = "entry.added"
ENTRY_REVISED = "entry.revised"
MEASUREMENT_RECORDED = "measurement.recorded"
SHARE_CREATED = "share.created"
SHARE_ACCEPTED = "share.accepted"
SHARE_REVOKED = "share.revoked"
TEAMMATE_ADDED = "teammate.added"
TEAMMATE_REMOVED = "teammate.removed"
SUBSCRIPTION_CHANGED = "subscription.changed"
INVOICE_ISSUED = "invoice.issued"

EVENT_NAMES = (DOSSIER_CREATED, DOSSIER_UPDATED, DOSSIER_ARCHIVED, DOSSIER_DELETED, ENTRY_ADDED, ENTRY_REVISED,
               MEASUREMENT_RECORDED, SHARE_CREATED, SHARE_ACCEPTED, SHARE_REVOKED, TEAMMATE_ADDED,
               TEAMMATE_REMOVED, SUBSCRIPTION_CHANGED, INVOICE_ISSUED)
# Sent to one endpoint on request (sendTestWebhook), never announced by a write.
WEBHOOK_TEST = "webhook.test"


@dataclass(frozen=True)
class Event:
    """One thing that happened to an account. `ids` name what it is about as
    (type, key) pairs, e.g. `{"dossierId": ("Dossier", 7)}`."""
    name: str
    account_id: int
    at: datetime
    ids: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    # The account's events in the order their transactions announced them: 1, 2, 3…
    # (O5), so a receiver can order what reaches it in any order.
    sequence: int = 0
    # The people a share's event is addressed to (user ids), when the announcing write
    # knows them already; None: whoever needs them reads them from the share.
    addressed_to: tuple[int, ...] | None = None

    @property
    def dossier_key(self) -> int | None:
        dossier = self.ids.get("dossierId")
        return dossier[1] if dossier else None

    def data(self) -> dict[str, Any]:
        """The ids as partner systems see them: global ids, never content."""
        data: dict[str, Any] = {"accountId": global_id("Account", self.account_id)}
        data.update({name: global_id(type_name, key) for name, (type_name, key) in self.ids.items()})
        data["sequence"] = self.sequence
        return data


# One statement: the counter row is locked until the announcing transaction ends, so
# numbers follow commit order per account and a rolled-back write gives its number back.
_NEXT_SEQUENCE = ('INSERT INTO "account_event_counter" ("account_id", "last") VALUES ($1, 1) '
                  'ON CONFLICT ("account_id") DO UPDATE SET "last" = "account_event_counter"."last" + 1 '
                  'RETURNING "last"')


async def next_sequence(account_id: int) -> int:
    """The account's next event number, taken in the announcing transaction."""
    rows = await returning(connections.get("default"), _NEXT_SEQUENCE, [account_id])
    return int(rows[0]["last"])


Subscriber = Callable[[Event], Awaitable[None]]
_subscribers: list[Subscriber] = []


def subscribe(subscriber: Subscriber) -> None:
    """Register `subscriber` for every event from now on (once, however often called)."""
    if subscriber not in _subscribers:
        _subscribers.append(subscriber)


async def announce(event: str, *, account_id: int, now: datetime, addressed_to: tuple[int, ...] | None = None,
                   **ids: tuple[str, int]) -> Event:
    """Hand `event` to every subscriber, inside the announcing write's transaction."""
    assert event in EVENT_NAMES, event
    happened = Event(event, account_id, now, ids, await next_sequence(account_id), addressed_to)
    for subscriber in tuple(_subscribers):
        await subscriber(happened)
    return happened
