"""Renewals (S3, S5, S9): on its renewal date a subscription takes its scheduled changes,
moves to the next period and is charged that period's full price; on its cancellation
date it ends instead. Time runs without a cron (O2): whatever reads or writes on a
subscription catches it up first (`domain.billing.terms`); `casebook worker` and
`casebook renew` run `renew_due` for the subscriptions nobody touched.

Exactly once, from any number of hosts at once: each subscription renews in its own
transaction holding its row lock, re-reads the row after the lock, and the unique
(account, period start) of BillingPeriod refuses a second opening of one period.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone

from tortoise.exceptions import IntegrityError

from domain import events
from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog
from domain.billing.ledger import open_period
from domain.billing.models import ScheduledChange, Subscription
from domain.billing.periods import renewal_date
from domain.billing.state import Locked, discounts_on, lock_subscription, pending_changes, teammate_count
from domain.billing.tiers import RENEWAL, record_tier
from domain.core import account_clock
from infra.clock import utc_now
from infra.db import transaction

log = logging.getLogger("casebook.billing.renewal")
# A generous bound on catching up: a subscription years behind renews in several runs.
MAX_PERIODS_PER_RUN = 120


@dataclass
class RenewalReport:
    renewed: int = 0  # periods opened
    failed: list[int] = field(default_factory=list)  # account ids


def is_due(sub: Subscription, today: date) -> bool:
    """A period has begun by `today` that is not opened yet (a cancelled subscription
    ends on its renewal date instead: never due). `sub` may be a row or its terms."""
    ends_at_renewal = sub.cancels_on is not None and sub.cancels_on <= sub.renews_on
    return sub.renews_on <= today and not ends_at_renewal


async def renew_locked(locked: Locked, catalog: Catalog, *, now: datetime) -> int:
    """Open every period that has begun by the account's today; the caller holds the
    row lock. Returns the number of periods opened."""
    opened = 0
    while is_due(locked.subscription, locked.today) and opened < MAX_PERIODS_PER_RUN:
        await _renew_once(locked.subscription, catalog, now=now)
        opened += 1
    return opened


async def _renew_once(sub: Subscription, catalog: Catalog, *, now: datetime) -> None:
    pending = await pending_changes(sub.account_id)
    before = {"plan": sub.plan_code, "term": sub.term, "seats": sub.seats, "tier": sub.tier}
    notes: list[str] = []
    if "plan" in pending:
        sub.plan_code = pending["plan"].to_value
    if "term" in pending:
        sub.term = pending["term"].to_value
    if "tier" in pending:
        sub.tier = pending["tier"].to_value
    if "seats" in pending:
        wanted, teammates = int(pending["seats"].to_value), await teammate_count(sub.account_id)
        # S5: never fewer seats than the teammates the account has at this moment.
        sub.seats = max(wanted, teammates)
        if sub.seats != wanted:
            notes.append(f"Seats kept at {sub.seats} instead of {wanted}: the account has {teammates} teammates.")
    if sub.negotiated_seat_price is not None and not catalog.plan(sub.plan_code).allows_special_agreement(sub.seats):
        # S8: the special agreement needs 30 seats beyond the plan's standard.
        notes.append(f"The negotiated seat price {sub.negotiated_seat_price} lapsed: {sub.seats} seats are "
                     "below the special-agreement threshold.")
        sub.negotiated_seat_price = None
    start = sub.renews_on
    sub.period_start = start
    sub.renews_on = renewal_date(start, sub.anchor_day, catalog.term(sub.term).months)
    sub.version += 1
    sub.updated_at = now
    await sub.save()
    await ScheduledChange.filter(account_id=sub.account_id).delete()
    if sub.tier != before["tier"]:
        await record_tier(sub.account_id, sub.tier, effective_on=start, cause=RENEWAL, now=now)
    line = await open_period(catalog, sub, await discounts_on(sub, start), now=now,
                             note=" ".join(notes) or None)
    after = {"plan": sub.plan_code, "term": sub.term, "seats": sub.seats, "tier": sub.tier}
    await record(AuditAction.SUBSCRIPTION_RENEWED, now=now, account_id=sub.account_id,
                 subject=f"period:{start.isoformat()}",
                 detail={"before": before, "after": after, "charged": str(line.amount),
                         "renews_on": sub.renews_on.isoformat(), "notes": notes})
    await events.announce(events.SUBSCRIPTION_CHANGED, account_id=sub.account_id, now=now)


async def renew_account(account_id: int, catalog: Catalog, *, now: datetime) -> int:
    """One subscription, one transaction: the number of periods opened."""
    async with transaction():
        locked = await lock_subscription(account_id, now)
        return await renew_locked(locked, catalog, now=now)


async def renew_due(catalog: Catalog, *, now: datetime | None = None) -> RenewalReport:
    """Renew every subscription due on its account's local today (`casebook renew`, the
    worker). Without `now`, each account renews as of its own clock (O4): its test clock
    when it has one, else the wall clock. An explicit `now` (`casebook renew --now`)
    is the time for every account."""
    own_clocks = now is None
    clocks = await account_clock.test_clocks() if own_clocks else {}
    now = now or utc_now()
    # Local dates run at most a day ahead of UTC (UTC+14), so this over-selects safely;
    # the exact check is per account, under the lock.
    horizon = max([now, *clocks.values()]).astimezone(timezone.utc).date() + timedelta(days=1)
    # A cancelled subscription ends on its renewal date (cancels_on = renews_on): never due.
    due = await Subscription.filter(renews_on__lte=horizon, cancels_on__isnull=True).order_by(
        "id").values_list("account_id", "renews_on")
    if own_clocks:
        # Read the clocks again now: an account opened with a test clock after the first
        # read (sign-up sets both in one transaction) is due here, and must renew at its
        # own clock, never at the wall's.
        clocks = await account_clock.test_clocks()
    report = RenewalReport()
    for account_id, renews_on in due:
        account_now = clocks.get(account_id, now)
        if renews_on > account_now.astimezone(timezone.utc).date() + timedelta(days=1):
            continue
        try:
            opened = await renew_account(account_id, catalog, now=account_now)
        except IntegrityError:
            # Another host opened this period between our lock and our insert: its work stands.
            log.info("renewal of account %s was done by another run", account_id)
            continue
        except Exception:  # noqa: BLE001 - one bad subscription must not stop the others
            log.exception("renewal of account %s failed", account_id)
            report.failed.append(account_id)
            continue
        report.renewed += opened
    return report
