"""Events a write announces to partner systems (T5): the event's name, when it happened,
and the global ids of what it is about — never dossier content, names or addresses.
`announce` runs inside the write's transaction and turns the event into one webhook
delivery per subscribed endpoint (domain.webhooks.fanout), so deliveries exist exactly
when their write committed (O1); the worker sends them."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.core.ids import global_id
from domain.webhooks.fanout import fan_out

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


async def announce(event: str, *, account_id: int, now: datetime, **ids: tuple[str, int]) -> int:
    """Queue `event` for the account's partner systems; the number of deliveries made.
    `ids` name what it is about as (type, key) pairs, e.g. `dossierId=("Dossier", 7)`;
    they travel as global ids. An event about a dossier is delivered after the earlier
    events about that dossier (per endpoint); the others after the account's earlier ones."""
    assert event in EVENT_NAMES, event
    data: dict[str, Any] = {"accountId": global_id("Account", account_id)}
    data.update({name: global_id(type_name, key) for name, (type_name, key) in ids.items()})
    dossier = ids.get("dossierId")
    return await fan_out(event, {"type": event, "timestamp": now.isoformat(), "data": data},
                         account_id=account_id, ordering_key=dossier[1] if dossier else 0)
