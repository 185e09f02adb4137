"""Managing webhook endpoints (T5): owners and admins of an account, and partner systems'
machine credentials holding `webhooks:manage`, subscribe URLs to the account's events.

Every change is one transaction and audited (P1). A refused change writes nothing: the
URL (and its DNS answer) is checked before the transaction starts. Another account's
endpoint is answered exactly like a missing one (D4)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from auth import policy
from domain.audit.service import AuditAction, record
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import InvalidInput, NotFound
from infra.settings import Settings
from domain.events import EVENT_NAMES
from domain.webhooks import targets
from domain.webhooks.fanout import ALL_EVENTS
from domain.webhooks.models import FAILED, UNFINISHED, WebhookDelivery, WebhookEndpoint
from domain.webhooks.signing import new_secret
from domain.webhooks.vault import Vault

MAX_ENDPOINTS = 20
# After a rotation the old secret keeps signing (next to the new one) this long.
ROTATION_GRACE = timedelta(hours=24)
MANUAL, FAILING = "manual", "failing"


class _Keep:
    def __repr__(self) -> str:
        return "KEEP"


KEEP: Any = _Keep()


@dataclass(frozen=True)
class EndpointWithSecret:
    endpoint: WebhookEndpoint
    # Shown once, when the endpoint is created or its secret rotated.
    secret: str


def managed_account(actor: Actor) -> int:
    return policy.acting_account(actor, "webhooks", "manage")


def clean_events(events: list[str] | None) -> str:
    """Known event names (or "*" for every event, also those added later), stored
    space-separated in the order of API.md."""
    given = [name.strip() for name in events or []]
    if not given:
        raise InvalidInput("Choose at least one event (or \"*\" for all).", field=("events",))
    unknown = sorted({name for name in given if name not in EVENT_NAMES and name != ALL_EVENTS})
    if unknown:
        raise InvalidInput(f"Unknown event name(s): {', '.join(unknown)[:200]}. Known: {', '.join(EVENT_NAMES)}.",
                           field=("events",))
    if ALL_EVENTS in given:
        return ALL_EVENTS
    return " ".join(name for name in EVENT_NAMES if name in given)


async def _clean_url(url: str, settings: Settings) -> str:
    try:
        return await targets.check(url, production=settings.is_production)
    except targets.UnsafeTarget as error:
        raise InvalidInput(str(error), field=("url",)) from error


async def own_endpoint(account_id: int, endpoint_id: int, *, lock: bool = False) -> WebhookEndpoint:
    query = WebhookEndpoint.filter(id=endpoint_id, account_id=account_id)
    endpoint = await (query.select_for_update() if lock else query).first()
    if endpoint is None:
        raise NotFound("webhook endpoint", field=("endpointId",))
    return endpoint


def _subject(endpoint: WebhookEndpoint) -> str:
    return f"webhook_endpoint:{endpoint.id}"


def _host(url: str) -> str:
    # The audit log names the host only: a URL's path or query may hold a partner's token.
    return urlsplit(url).hostname or ""


async def create_endpoint(actor: Actor, url: str, events: list[str], *, settings: Settings,
                          now: datetime) -> EndpointWithSecret:
    account_id = managed_account(actor)
    names = clean_events(events)
    clean_url = await _clean_url(url, settings)
    secret = new_secret()
    async with transaction():
        if await WebhookEndpoint.filter(account_id=account_id).count() >= MAX_ENDPOINTS:
            raise InvalidInput(f"An account can have at most {MAX_ENDPOINTS} webhook endpoints.", field=("url",))
        endpoint = await WebhookEndpoint.create(
            account_id=account_id, url=clean_url, events=names, enabled=True,
            secret_encrypted=Vault.from_settings(settings).seal(secret), created_by_user_id=actor.user_id,
            created_at=now, updated_at=now)
        await record(AuditAction.WEBHOOK_ENDPOINT_CREATED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=_subject(endpoint),
                     detail={"host": _host(clean_url), "events": names})
    return EndpointWithSecret(endpoint, secret)


async def end_unfinished(endpoint_id: int, reason: str, now: datetime) -> int:
    """A disabled endpoint gets nothing more: its queued deliveries fail (they can be
    replayed once it is enabled again)."""
    return await WebhookDelivery.filter(endpoint_id=endpoint_id, status__in=UNFINISHED).update(
        status=FAILED, last_error=reason, next_attempt_at=None, leased_until=None, finished_at=now)


async def update_endpoint(actor: Actor, endpoint_id: int, *, url: Any = KEEP, events: Any = KEEP,
                          enabled: Any = KEEP, settings: Settings, now: datetime,
                          security_now: datetime) -> WebhookEndpoint:
    """Change the URL, the events, or switch it off and on. A new URL or switching on
    starts the failure count afresh."""
    account_id = managed_account(actor)
    names = clean_events(events) if events is not KEEP and events is not None else KEEP
    clean_url = await _clean_url(url, settings) if url is not KEEP and url is not None else KEEP
    async with transaction():
        endpoint = await own_endpoint(account_id, endpoint_id, lock=True)
        changed: dict[str, Any] = {}
        if clean_url is not KEEP and clean_url != endpoint.url:
            changed.update(url=clean_url, consecutive_failures=0, failing_since=None)
        if names is not KEEP and names != endpoint.events:
            changed["events"] = names
        if enabled is not KEEP and enabled is not None and bool(enabled) != endpoint.enabled:
            if enabled:
                changed.update(enabled=True, disabled_at=None, disabled_reason=None, consecutive_failures=0,
                               failing_since=None)
            else:
                changed.update(enabled=False, disabled_at=security_now, disabled_reason=MANUAL)
        if not changed:
            return endpoint
        for key, value in changed.items():
            setattr(endpoint, key, value)
        endpoint.updated_at = now
        await endpoint.save(update_fields=[*changed, "updated_at"])
        if changed.get("enabled") is False:
            await end_unfinished(endpoint.id, "endpoint disabled", security_now)
        await record(AuditAction.WEBHOOK_ENDPOINT_UPDATED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=_subject(endpoint),
                     detail={"changed": sorted(k for k in changed if k in ("url", "events", "enabled")),
                             "host": _host(endpoint.url), "events": endpoint.events, "enabled": endpoint.enabled})
        return endpoint


async def rotate_secret(actor: Actor, endpoint_id: int, *, settings: Settings, now: datetime,
                        security_now: datetime) -> EndpointWithSecret:
    """A new secret signs from now on; the one it replaces keeps signing beside it for
    ROTATION_GRACE (a secret older than that, from an earlier rotation, ends now)."""
    account_id = managed_account(actor)
    secret = new_secret()
    vault = Vault.from_settings(settings)
    async with transaction():
        endpoint = await own_endpoint(account_id, endpoint_id, lock=True)
        endpoint.previous_secret_encrypted = endpoint.secret_encrypted
        endpoint.previous_secret_expires_at = security_now + ROTATION_GRACE
        endpoint.secret_encrypted = vault.seal(secret)
        endpoint.updated_at = now
        await endpoint.save(update_fields=["previous_secret_encrypted", "previous_secret_expires_at",
                                           "secret_encrypted", "updated_at"])
        await record(AuditAction.WEBHOOK_SECRET_ROTATED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=_subject(endpoint),
                     detail={"previous_secret_until": endpoint.previous_secret_expires_at.isoformat()})
    return EndpointWithSecret(endpoint, secret)


async def delete_endpoint(actor: Actor, endpoint_id: int, *, now: datetime) -> int:
    """Gone with its deliveries; the audit log keeps that it existed."""
    account_id = managed_account(actor)
    async with transaction():
        endpoint = await own_endpoint(account_id, endpoint_id, lock=True)
        await WebhookDelivery.filter(endpoint_id=endpoint.id).delete()
        await endpoint.delete()
        await record(AuditAction.WEBHOOK_ENDPOINT_DELETED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=_subject(endpoint), detail={"host": _host(endpoint.url)})
    return endpoint_id


def secrets_in_force(endpoint: WebhookEndpoint, vault: Vault, now: datetime) -> list[str]:
    """The secrets a delivery is signed with now: the current one, and the previous one
    while its grace period lasts."""
    found = [vault.open(endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > now:
        found.append(vault.open(endpoint.previous_secret_encrypted))
    return found


async def visible_endpoint(account_id: int, endpoint_id: int) -> WebhookEndpoint | None:
    return await WebhookEndpoint.filter(id=endpoint_id, account_id=account_id).first()


async def endpoints_of(account_id: int) -> list[WebhookEndpoint]:
    return await WebhookEndpoint.filter(account_id=account_id).order_by("id")
