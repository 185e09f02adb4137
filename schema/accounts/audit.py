"""The account's audit log (P1), newest first."""
from __future__ import annotations

from datetime import datetime
from typing import Optional

import strawberry

from auth.audiences import Audience
from domain.audit import service as audit
from domain.audit.models import AuditEvent as AuditEventRow
from schema.context import Info
from schema.relay import Connection, encode_cursor, page_slice, to_global_id
from schema.rules import rules


@rules(audience=Audience.TEAM)
@strawberry.type(description="A security-relevant event of the account: sign-ins, team and share changes, "
                             "subscription changes, operator actions, erasures. Append-only.")
class AuditEvent:
    id: strawberry.ID = strawberry.field(description="The event's global id.")
    action: str = strawberry.field(description="What happened, e.g. \"teammate.added\" (a stable name).")
    subject: Optional[str] = strawberry.field(description="What it happened to, e.g. \"user:42\" or \"share:7\".")
    actor_user_id: Optional[strawberry.ID] = strawberry.field(description="Who did it (a user's global id); null "
                                                                          "for the service itself.")
    created_at: datetime = strawberry.field(description="When it happened.")
    account_id: strawberry.Private[Optional[int]]

    @classmethod
    def from_model(cls, row: AuditEventRow) -> "AuditEvent":
        actor = strawberry.ID(to_global_id("User", row.actor_user_id)) if row.actor_user_id else None
        return cls(id=strawberry.ID(to_global_id("AuditEvent", row.id)), action=row.action, subject=row.subject,
                   actor_user_id=actor, created_at=row.created_at, account_id=row.account_id)


async def audit_page(info: Info, account_id: int, first: int | None, after: str | None, last: int | None = None,
                     before: str | None = None) -> Connection[AuditEvent]:
    """The caller has `audit:read` and acts in `account_id` (checked on the field)."""
    wanted = page_slice(first, after, last, before)
    rows, more = await audit.page(account_id, wanted)
    return Connection.of([AuditEvent.from_model(row) for row in rows], [encode_cursor(row.id) for row in rows],
                         wanted, more, lambda: audit.count(account_id))
