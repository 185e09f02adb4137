"""One ceiling per recipient address across every kind of mail, so nobody can flood a
mailbox by spreading requests over several doors: invitations of any kind, email-change
confirmations, password resets, verification links, notices.
Whoever asks and through whichever door, Casebook queues at most `PER_HOUR` mails an hour
to one address; beyond that a mail is not queued (and the write that announced it
stands). The door limits of auth/rate_limit.py come first and are stricter per door;
this is the one number a mailbox owner can rely on.

Held across processes and exact under concurrency: each mail increments one row of the
`rate_limit` table in the transaction that queues it (an upsert under the row's lock),
so a rolled-back write counts nothing. Windows are fixed hours of security time.

Notices about a login's own security — its password changed, its address about to
change or changed — go to that login's address even over the ceiling (and count): only
someone holding the login's password can cause them, and a flood of other mail must not
be able to hide a takeover from its owner."""
from __future__ import annotations

import hashlib
import logging

from tortoise import connections

from infra.clock import utc_now
from infra.db import returning

# Mails an hour to one address, all kinds together. A person's own busy hour (signing
# up, being invited by two practices, changing the address) stays well under it; a
# flood (15 in a minute through several doors) does not.
PER_HOUR = 10
WINDOW_SECONDS = 3600
_UPSERT = ('INSERT INTO "rate_limit" ("key", "window_start", "window_end", "count") VALUES ($1, $2, $3, 1) '
           'ON CONFLICT ("key", "window_start") DO UPDATE SET "count" = "rate_limit"."count" + 1 '
           'RETURNING "count"')
log = logging.getLogger("casebook.mail")


def recipient_key(address: str) -> str:
    # Stored hashed, like every rate-limit key: addresses are personal data.
    return "mail.recipient:address:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()[:32]


async def admit(address: str, *, always: bool = False) -> bool:
    """Count one mail to `address`; whether it may be queued. Call inside the transaction
    that queues it."""
    epoch = int(utc_now().timestamp())
    start = epoch - epoch % WINDOW_SECONDS
    # The caller's transaction (no savepoint of its own: a statement less per mail).
    rows = await returning(connections.get("default"), _UPSERT,
                           [recipient_key(address), start, start + WINDOW_SECONDS])
    count = int(rows[0]["count"])
    if count > PER_HOUR and not always:
        log.warning("mail ceiling: %d mails this hour to one address at %s; this one is not queued",
                    count - 1, address.rpartition("@")[2])
        return False
    return True
