"""Quoting a subscription change (Q1, S4, S5): price it for the account's today and store
it, binding until local midnight or until the subscription changes (Q2).

A request names only what changes; the rest of the target is what the subscription will
be after its renewal (pending scheduled changes included). So one quote describes the
whole outcome: increases charged now, decreases and term changes at renewal, and pending
changes that the request takes back ("a later increase replaces a pending decrease").
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from auth import policy
from domain.billing.catalog import Catalog, tier_rank
from domain.billing.ledger import prorations_of_period
from domain.billing.models import Quote, QuoteLine
from domain.billing.periods import local_midnight_after
from domain.billing.pricing import _LABELS, _describe, ZERO, QuoteDraft, SubscriptionTerms, quote_change
from domain.billing.renewal import renew_locked
from domain.billing.state import Locked, discounts_on, lock_subscription, pending_changes, teammate_count, terms_of
from domain.billing.subscriptions import MAX_SEATS, check_choice
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput, LiftRequest

NOW, AT_RENEWAL, WITHDRAWN = "now", "at_renewal", "withdrawn"
_FIELDS = {"plan": "plan_code", "term": "term", "seats": "seats", "tier": "tier"}


@dataclass(frozen=True)
class ChangeRequest:
    """What the owner asks for; None leaves that part as it will be after renewal."""

    plan: str | None = None
    term: str | None = None
    seats: int | None = None
    tier: str | None = None


@dataclass(frozen=True)
class StoredQuote:
    quote: Quote
    lines: list[QuoteLine]


class SeatsBelowTeammates(DomainError):
    code = ErrorCode.SEATS_BELOW_TEAMMATES


async def quote_subscription_change(actor: Actor, request: ChangeRequest, *, now: datetime,
                                    catalog: Catalog) -> StoredQuote:
    """An owner's quote for their account's subscription."""
    policy.acting_account(actor, "billing", "manage")
    check_choice(catalog, plan=request.plan, term=request.term, seats=request.seats, tier=request.tier)
    if request == ChangeRequest():
        raise InvalidInput("Say what to change: plan, term, seats or activeClientTier.")
    async with transaction():
        locked = await _current(actor.account_id, catalog, now)
        return await _store(locked, request, catalog, now=now, user_id=actor.user_id)


async def quote_lift(lift: LiftRequest, *, now: datetime, catalog: Catalog,
                     user_id: int | None) -> StoredQuote | None:
    """Q5: the quote that would lift a limit — `seats_delta` more seats and/or at least
    `tier` — for whoever hit it. None when no change would lift it."""
    async with transaction():
        locked = await _current(lift.account_id, catalog, now)
        sub = locked.subscription
        seats = sub.seats + lift.seats_delta if lift.seats_delta > 0 else None
        tier = lift.tier if lift.tier and tier_rank(lift.tier) > tier_rank(sub.tier) else None
        if (seats is None and tier is None) or (seats is not None and seats > MAX_SEATS):
            return None
        return await _store(locked, ChangeRequest(seats=seats, tier=tier), catalog, now=now, user_id=user_id)


async def _current(account_id: int, catalog: Catalog, now: datetime) -> Locked:
    locked = await lock_subscription(account_id, now)
    locked.ensure_open()
    await renew_locked(locked, catalog, now=now)  # a late cron must not leave us in a past period
    if locked.today < locked.subscription.period_start:
        # Only a test clock set before the period began gets here.
        raise InvalidInput(f"The current period starts on {locked.subscription.period_start.isoformat()}; "
                           "changes cannot be priced before it.")
    return locked


def _target(current: SubscriptionTerms, request: ChangeRequest, pending: dict) -> SubscriptionTerms:
    def pick(change: str, asked):  # noqa: ANN001, ANN202
        if asked is not None:
            return asked
        if change in pending:
            value = pending[change].to_value
            return int(value) if change == "seats" else value
        return getattr(current, _FIELDS[change])

    return SubscriptionTerms(pick("plan", request.plan), pick("term", request.term),
                             pick("seats", request.seats), pick("tier", request.tier))


async def _store(locked: Locked, request: ChangeRequest, catalog: Catalog, *, now: datetime,
                 user_id: int | None) -> StoredQuote:
    sub, today = locked.subscription, locked.today
    pending = await pending_changes(sub.account_id)
    current = terms_of(sub)
    target = _target(current, request, pending)
    if request.seats is not None:
        teammates = await teammate_count(sub.account_id)
        if request.seats < teammates:
            raise SeatsBelowTeammates(
                f"The account has {teammates} teammates, so it needs at least {teammates} seats; "
                "remove teammates first.", field=("seats",))
    prior, charged = await prorations_of_period(sub)
    draft = quote_change(catalog, current, target, await discounts_on(sub, today), today,
                         sub.period_start, sub.renews_on, prior, charged)
    rows = _line_rows(draft, catalog) + _withdrawn_rows(current, target, pending, catalog)
    if sub.cancels_on is not None and any(row["effect"] == AT_RENEWAL for row in rows):
        raise InvalidInput(f"The subscription ends on {sub.cancels_on.isoformat()}; nothing can be "
                           "scheduled for after it.")
    if not rows:
        raise InvalidInput("Nothing would change: the subscription already has these terms.")
    quote = await Quote.create(
        account_id=sub.account_id, subscription_version=sub.version, plan_code=target.plan_code,
        term=target.term, seats=target.seats, tier=target.tier, computed_for=today,
        period_start=sub.period_start, renews_on=sub.renews_on, currency=draft.currency,
        due_now=draft.due_now, price_per_period_after=draft.price_per_period_after,
        # Q1: the proration holds for today only, so the quote lapses at local midnight.
        expires_at=local_midnight_after(today, locked.time_zone), created_at=now, created_by_user_id=user_id,
    )
    lines = [await QuoteLine.create(quote=quote, account_id=sub.account_id, position=index, **row)
             for index, row in enumerate(rows)]
    return StoredQuote(quote, lines)


def _line_rows(draft: QuoteDraft, catalog: Catalog) -> list[dict]:
    return [{
        "change": line.change, "effect": AT_RENEWAL if line.scheduled else NOW,
        "from_value": str(line.from_value), "to_value": str(line.to_value),
        "description": line.description, "explanation": line.explanation, "amount": line.amount,
        "effective_on": line.effective_on, "remaining_days": line.remaining_days,
        "period_days": line.period_days, "exact": str(line.exact),
    } for line in draft.lines]


def _withdrawn_rows(current: SubscriptionTerms, target: SubscriptionTerms, pending: dict,
                    catalog: Catalog) -> list[dict]:
    """Pending changes the target takes back (it keeps the value in force today)."""
    rows = []
    for change, row in pending.items():
        kept = getattr(current, _FIELDS[change])
        if getattr(target, _FIELDS[change]) != kept:
            continue
        label = _LABELS[change]
        rows.append({
            "change": change, "effect": WITHDRAWN, "from_value": row.to_value, "to_value": str(kept),
            "description": f"{label}: stays {_describe(change, kept, catalog)}",
            "explanation": (f"The change to {_describe(change, row.to_value, catalog)} scheduled for "
                            f"{row.effective_on.isoformat()} is withdrawn; nothing is due."),
            "amount": ZERO, "effective_on": row.effective_on, "remaining_days": None,
            "period_days": None, "exact": "0",
        })
    return rows
