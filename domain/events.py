"""Events a write announces to partner systems (T5): the event's name, when it happened,
and the global ids of what it is about — never dossier content, names or addresses.
`announce` runs inside the write's transaction, so an event exists exactly when its
write committed (O1); the webhooks area delivers it."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.core.ids import global_id
from domain.core.settings import Settings
from domain.outbox.queue import Claimed, enqueue

EVENT = "event"

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

EVENT_NAMES = (DOSSIER_CREATED, DOSSIER_UPDATED, DOSSIER_ARCHIVED, DOSSIER_DELETED, ENTRY_ADDED, ENTRY_REVISED,
               MEASUREMENT_RECORDED, SHARE_CREATED, SHARE_ACCEPTED, SHARE_REVOKED, TEAMMATE_ADDED,
               TEAMMATE_REMOVED, SUBSCRIPTION_CHANGED)


async def announce(event: str, *, account_id: int, now: datetime, **ids: tuple[str, int]) -> None:
    """Queue `event` for the account's partner systems. `ids` name what it is about as
    (type, key) pairs, e.g. `dossierId=("Dossier", 7)`; they travel as global ids."""
    assert event in EVENT_NAMES, event
    data: dict[str, Any] = {"accountId": global_id("Account", account_id)}
    data.update({name: global_id(type_name, key) for name, (type_name, key) in ids.items()})
    await enqueue(EVENT, {"type": event, "timestamp": now.isoformat(), "data": data}, account_id=account_id)


def event_handler(settings: Settings):  # noqa: ANN201 - a worker Handler
    """Until partner systems can subscribe endpoints, an event has nowhere to go."""

    async def deliver(message: Claimed) -> None:
        return None

    return deliver
