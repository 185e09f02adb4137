"""The account's audit log as a connection, newest first (P1)."""
from __future__ import annotations

from domain.audit import service as audit
from schema.context import Info
from schema.relay import Connection, cursor_id, decode_cursor, encode_cursor, page_size


async def audit_page(info: Info, account_id: int, first: int | None, after: str | None):
    """The caller has `audit:read` and acts in `account_id` (checked on the field)."""
    from schema.accounts.types import AuditEvent

    after_id = cursor_id(decode_cursor(after))
    rows, has_next = await audit.page(account_id, first=page_size(first), after_id=after_id)
    return Connection.build([AuditEvent(row=row) for row in rows],
                            [encode_cursor(row.id) for row in rows], has_next)
