"""Changing an account's name, time zone, language and two-factor policy (API.md
updateAccount; SPEC I5, L1). Owners change everything; admins the name only.

A new language applies to what is written from then on: mail queued before, exports
already built and issued invoices stay in the language they were written in.

A time-zone change applies from the moment it is saved: from then on "today" and "this
month" are read in the new zone — for the active-client count (A1, A2), the day a
proration is computed for (S4) and the day quotes expire (Q1). Nothing stored is
rewritten: month keys of activity already recorded, periods, renewal dates and ledger
lines stay as they were, since they were right when written. Open quotes were computed
for a day of the old zone, so the change makes them stale (QUOTE_STALE), like any change
to the subscription."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth import policy
from domain.accounts.locale import check_locale
from domain.accounts.models import Account
from domain.billing.terms import lock_team
from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog
from domain.core.actor import Actor
from infra.db import execute, transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput
from domain.core.validation import MAX_NAME, check_time_zone, clean_name
from domain.live import publish as live


@dataclass(frozen=True)
class AccountChange:
    name: str | None = None
    time_zone: str | None = None
    require_two_factor: bool | None = None
    locale: str | None = None


async def update_account(actor: Actor, change: AccountChange, *, now: datetime, catalog: Catalog,
                         actor_has_two_factor: bool) -> Account:
    account_id = policy.acting_account(actor, "account", "update")
    if change.time_zone is not None or change.require_two_factor is not None or change.locale is not None:
        policy.ensure(actor, "account", "configure", policy.Facts(account_id))
    name = clean_name(change.name, field="name", max_length=MAX_NAME) if change.name is not None else None
    zone = check_time_zone(change.time_zone) if change.time_zone is not None else None
    locale = check_locale(change.locale)
    if change.require_two_factor and not actor_has_two_factor:
        # Otherwise the owner would lock themselves out of their own account.
        raise DomainError("Turn on two-factor sign-in for yourself first, then require it of the team.",
                          code=ErrorCode.TWO_FACTOR_REQUIRED, field=("requireTwoFactor",))
    if name is None and zone is None and locale is None and change.require_two_factor is None:
        raise InvalidInput("Give a name, a time zone, a locale or requireTwoFactor to change.")
    async with transaction() as conn:
        # The team lock, also after cancellation: naming or securing an account stays allowed.
        await lock_team(actor.account_id, now=now, catalog=catalog, writable=False)
        account = await Account.get(id=actor.account_id)
        before = {"name": account.name, "timeZone": account.time_zone, "locale": account.locale}
        changed: dict[str, object] = {}
        if name is not None and name != account.name:
            account.name = changed["name"] = name
        if zone is not None and zone != account.time_zone:
            account.time_zone = changed["timeZone"] = zone
            await execute(conn, "UPDATE subscription SET version = version + 1 WHERE account_id = $1",
                          [account.id])  # open quotes were computed for the old zone's day
        if locale is not None and locale != account.locale:
            account.locale = changed["locale"] = locale
        if changed:
            await account.save(update_fields=[{"name": "name", "timeZone": "time_zone", "locale": "locale"}[k]
                                             for k in changed])
            await record(AuditAction.ACCOUNT_UPDATED, now=now, account_id=account.id, actor_user_id=actor.user_id,
                         subject=f"account:{account.id}",
                         detail={"from": {k: before[k] for k in changed}, "to": changed})
        if change.require_two_factor is not None and change.require_two_factor != account.require_two_factor:
            account.require_two_factor = change.require_two_factor
            await account.save(update_fields=["require_two_factor"])
            await live.account_access_changed(account.id, now)  # live streams re-decide at once (T7)
            await record(AuditAction.TWO_FACTOR_POLICY_CHANGED, now=now, account_id=account.id,
                         actor_user_id=actor.user_id, subject=f"account:{account.id}",
                         detail={"requireTwoFactor": change.require_two_factor})
        return account
