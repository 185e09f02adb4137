"""Writing and reading the audit log (P1). Append-only: there is no update or delete."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from tortoise import connections

from domain.audit.models import AuditEvent
from domain.core.paging import Slice, filter_by_id, in_order
from infra.db import execute
from infra.tracing import request_id_var


class AuditAction:
    """Names of audited events; the strings are stored, so never rename one."""

    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    SIGN_UP = "auth.sign_up"
    REFRESH_REUSE = "auth.refresh_reuse"
    LOG_OUT = "auth.log_out"
    TEAMMATE_INVITED = "teammate.invited"
    TEAMMATE_ADDED = "teammate.added"
    TEAMMATE_REMOVED = "teammate.removed"
    TEAMMATE_ROLE_CHANGED = "teammate.role_changed"
    DOSSIER_DELETED = "dossier.deleted"
    SHARE_GIVEN = "share.given"
    SHARE_REVOKED = "share.revoked"
    SHARE_SUSPENDED = "share.suspended"
    SHARE_RESTORED = "share.restored"
    SUBSCRIPTION_CHANGED = "subscription.changed"
    SUBSCRIPTION_CANCELLED = "subscription.cancelled"
    SUBSCRIPTION_RENEWED = "subscription.renewed"
    OPERATOR_ACTION = "operator.action"
    MACHINE_CREDENTIAL_CREATED = "machine_credential.created"
    MACHINE_CREDENTIAL_ROTATED = "machine_credential.rotated"
    MACHINE_CREDENTIAL_REVOKED = "machine_credential.revoked"
    MACHINE_SIGN_IN = "machine_credential.sign_in"
    MACHINE_SIGN_IN_FAILED = "machine_credential.sign_in_failed"
    # Identity (I1–I5).
    EMAIL_VERIFIED = "auth.email_verified"
    PASSWORD_CHANGED = "auth.password_changed"
    PASSWORD_RESET_REQUESTED = "auth.password_reset_requested"
    PASSWORD_RESET = "auth.password_reset"
    EMAIL_CHANGE_REQUESTED = "auth.email_change_requested"
    EMAIL_CHANGED = "auth.email_changed"
    SESSION_ENDED = "auth.session_ended"
    TWO_FACTOR_ENROLLMENT_STARTED = "auth.two_factor_enrollment_started"
    TWO_FACTOR_ENABLED = "auth.two_factor_enabled"
    TWO_FACTOR_DISABLED = "auth.two_factor_disabled"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    ACCOUNT_UPDATED = "account.updated"
    TWO_FACTOR_POLICY_CHANGED = "account.two_factor_policy_changed"
    WEBHOOK_ENDPOINT_CREATED = "webhook_endpoint.created"
    WEBHOOK_ENDPOINT_UPDATED = "webhook_endpoint.updated"
    WEBHOOK_SECRET_ROTATED = "webhook_endpoint.secret_rotated"
    WEBHOOK_ENDPOINT_DELETED = "webhook_endpoint.deleted"
    WEBHOOK_ENDPOINT_DISABLED = "webhook_endpoint.disabled"
    WEBHOOK_DELIVERY_REPLAYED = "webhook_delivery.replayed"
    WEBHOOK_TEST_SENT = "webhook_endpoint.test_sent"
    TEST_CLOCK_ADVANCED = "account.test_clock_advanced"
    DOSSIER_UNARCHIVED = "dossier.unarchived"
    EXPORT_REQUESTED = "export.requested"
    EXPORT_DOWNLOADED = "export.downloaded"


# Plain SQL: every audited write appends one, and building the ORM's insert cost more
# than running it. The detail is encoded as the model's field encodes it.
_INSERT = ('INSERT INTO "audit_event" ("account_id", "actor_user_id", "action", "subject", "detail", "request_id", '
           '"created_at") VALUES ($1, $2, $3, $4, $5, $6, $7)')
_encode_detail = AuditEvent._meta.fields_map["detail"].encoder


async def record(action: str, *, now: datetime, account_id: int | None = None,
                 actor_user_id: int | None = None, subject: str | None = None,
                 detail: dict[str, Any] | None = None) -> None:
    """Append one event. Call inside the transaction of the change it records, so the
    event and the change commit together."""
    await execute(connections.get("default"), _INSERT,
                  [account_id, actor_user_id, action, subject, _encode_detail(detail or {}), request_id_var.get(),
                   now])


async def page(account_id: int, wanted: Slice) -> tuple[list[AuditEvent], bool]:
    """Newest first; keyset pagination by id. Returns (events, whether more lie beyond
    them in the direction of travel)."""
    return in_order(await filter_by_id(AuditEvent.filter(account_id=account_id), wanted, newest_first=True), wanted)


async def count(account_id: int) -> int:
    """How many events the account's log holds (along its (account_id, id) index)."""
    return await AuditEvent.filter(account_id=account_id).count()
