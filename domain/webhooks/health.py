"""What each attempt does to its delivery and endpoint (T5): a success ends the delivery
and the endpoint's run of failures; a failure schedules the next try (domain.webhooks
.retries) or gives up, and counts against the endpoint, which is disabled once it has
kept failing past the threshold — its account's owners are then told by mail.

Lock order, everywhere: the endpoint row, then its deliveries (updateWebhookEndpoint and
deleteWebhookEndpoint lock the endpoint first too), so concurrent workers recording
results for one endpoint queue on it instead of deadlocking."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tortoise.expressions import F

from domain.accounts.models import Account, Membership
from domain.audit.service import AuditAction, record
from domain.core.actor import Role
from infra.db import execute, transaction
from domain.mails import notices
from domain.mails.letter import post
from domain.webhooks import retries
from domain.webhooks.endpoints import FAILING as DISABLED_FAILING
from domain.webhooks.endpoints import end_unfinished
from domain.webhooks.models import FAILED, FAILING, SUCCEEDED, UNFINISHED, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True)
class Outcome:
    """What one attempt found. `error` is None exactly when the endpoint took the event."""

    status: int | None
    excerpt: str | None
    error: str | None
    seconds: float
    # False when the failure is the service's own (say, an unreadable signing secret):
    # it does not count towards disabling the endpoint.
    endpoint_at_fault: bool = True

    @property
    def ok(self) -> bool:
        return self.error is None


async def record_attempt(delivery: WebhookDelivery, outcome: Outcome,
                         now: datetime) -> tuple[str | None, datetime | None]:
    """Store the attempt: the delivery's new status and, when it failed, the next try by
    the webhook policy (None: given up). The status is None when another worker recorded
    this attempt already (its lease ran out and the message was taken over)."""
    attempts = delivery.attempts + 1
    common = dict(attempts=attempts, last_attempt_at=now, response_status=outcome.status,
                  response_excerpt=outcome.excerpt, last_error=outcome.error)
    # The attempt this worker made, not one recorded meanwhile.
    mine = dict(id=delivery.id, attempts=delivery.attempts, status__in=UNFINISHED)
    async with transaction() as conn:
        if outcome.ok:
            await execute(conn, "UPDATE webhook_endpoint SET consecutive_failures = 0, failing_since = NULL "
                                "WHERE id = $1 AND (consecutive_failures > 0 OR failing_since IS NOT NULL)",
                          [delivery.endpoint_id])
            changed = await WebhookDelivery.filter(**mine).update(
                status=SUCCEEDED, next_attempt_at=None, finished_at=now, **common)
            return (SUCCEEDED if changed else None), None
        if outcome.endpoint_at_fault:
            await WebhookEndpoint.filter(id=delivery.endpoint_id).update(
                consecutive_failures=F("consecutive_failures") + 1)
            await WebhookEndpoint.filter(id=delivery.endpoint_id, failing_since__isnull=True).update(failing_since=now)
        retry_at = retries.next_attempt(delivery.created_at, attempts, now)
        status = FAILING if retry_at else FAILED
        changed = await WebhookDelivery.filter(**mine).update(
            status=status, next_attempt_at=retry_at, finished_at=None if retry_at else now, **common)
        if outcome.endpoint_at_fault:
            await disable_if_failing(delivery.endpoint_id, now)
        return (status if changed else None), retry_at


async def disable_if_failing(endpoint_id: int, now: datetime) -> bool:
    """Past the threshold: disable the endpoint, fail what it still had queued, tell the
    owners. True only for the one call that disabled it."""
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if endpoint is None or not endpoint.enabled or not retries.should_disable(
            endpoint.consecutive_failures, endpoint.failing_since, now):
        return False
    if not await WebhookEndpoint.filter(id=endpoint_id, enabled=True).update(
            enabled=False, disabled_at=now, disabled_reason=DISABLED_FAILING, updated_at=now):
        return False
    await end_unfinished(endpoint_id, "endpoint disabled after failing", now)
    await record(AuditAction.WEBHOOK_ENDPOINT_DISABLED, now=now, account_id=endpoint.account_id,
                 subject=f"webhook_endpoint:{endpoint_id}",
                 detail={"reason": DISABLED_FAILING, "failures": endpoint.consecutive_failures,
                         "failing_since": endpoint.failing_since.isoformat()})
    await _tell_owners(endpoint)
    return True


async def _tell_owners(endpoint: WebhookEndpoint) -> None:
    owners = await Membership.filter(account_id=endpoint.account_id, role=Role.OWNER.value) \
        .select_related("user").order_by("id")
    account = await Account.get(id=endpoint.account_id)
    mail = notices.webhook_disabled(account.locale, url=endpoint.url, failing_since=endpoint.failing_since,
                                    failures=endpoint.consecutive_failures, time_zone=account.time_zone)
    for owner in owners:
        await post(owner.user.email, mail, account_id=endpoint.account_id)
