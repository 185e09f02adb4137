"""Operator actions (P3, S7, S8): special discounts and negotiated seat prices. Every
action is audited in the account's log, and bumps the subscription's version so that
quotes priced before it go stale (Q2: never a different amount than quoted). A renewal
that is due is applied first (O2), so a period that began before the action is priced
as it stood then."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from domain import events
from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog, SPECIAL_AGREEMENT_EXTRA_SEATS
from domain.billing.models import AccountDiscount, Subscription
from domain.billing.renewal import renew_locked
from domain.billing.state import Locked, lock_subscription
from domain.core.actor import Actor, ActorKind
from infra.db import transaction
from domain.core.errors import Forbidden, InvalidInput, NotFound

NEW_BUSINESS = "new_business"
MAX_SEAT_PRICE = Decimal("100000.00")


def _operator(actor: Actor) -> None:
    if actor.kind is not ActorKind.OPERATOR:
        raise Forbidden("operators only")


async def _current(account_id: int, now: datetime, catalog: Catalog) -> Locked:
    locked = await lock_subscription(account_id, now)
    await renew_locked(locked, catalog, now=now)
    return locked


async def _touch(locked: Locked, actor: Actor, now: datetime, detail: dict) -> Subscription:
    sub = locked.subscription
    sub.version += 1
    sub.updated_at = now
    await sub.save()
    await record(AuditAction.OPERATOR_ACTION, now=now, account_id=sub.account_id, actor_user_id=actor.user_id,
                 subject=f"subscription:{sub.id}", detail=detail)
    await events.announce(events.SUBSCRIPTION_CHANGED, account_id=sub.account_id, now=now)
    return sub


async def set_account_discount(actor: Actor, account_id: int, code: str, ends_on: date | None, *,
                               now: datetime, catalog: Catalog) -> Subscription:
    """Grant (or re-grant with a new end date) a special discount of the catalog. A
    new-business discount needs an end date (S7); the end date is exclusive."""
    _operator(actor)
    try:
        special = catalog.special_discount(code)
    except InvalidInput:
        raise InvalidInput(f"The catalog has no {code!r} discount.", field=("code",)) from None
    if code == NEW_BUSINESS and ends_on is None:
        raise InvalidInput("A new-business discount needs an end date.", field=("endsOn",))
    async with transaction():
        locked = await _current(account_id, now, catalog)
        if ends_on is not None and ends_on <= locked.today:
            raise InvalidInput("The end date must be after today.", field=("endsOn",))
        await AccountDiscount.filter(account_id=account_id, code=code, removed_at__isnull=True).update(
            removed_at=now, removed_by_user_id=actor.user_id)
        await AccountDiscount.create(account_id=account_id, code=code, name=special.name, percent=special.percent,
                                     ends_on=ends_on, created_by_user_id=actor.user_id, created_at=now)
        return await _touch(locked, actor, now, {
            "action": "set_discount", "code": code, "percent": str(special.percent),
            "ends_on": ends_on.isoformat() if ends_on else None})


async def remove_account_discount(actor: Actor, account_id: int, code: str, *, now: datetime,
                                  catalog: Catalog) -> Subscription:
    _operator(actor)
    async with transaction():
        locked = await _current(account_id, now, catalog)
        removed = await AccountDiscount.filter(account_id=account_id, code=code, removed_at__isnull=True).update(
            removed_at=now, removed_by_user_id=actor.user_id)
        if not removed:
            raise NotFound("discount", field=("code",))
        return await _touch(locked, actor, now, {"action": "remove_discount", "code": code})


def _check_price(raw: Decimal | str | None) -> Decimal | None:
    if raw is None:
        return None
    try:
        price = Decimal(str(raw))
    except InvalidOperation:
        raise InvalidInput("The seat price must be a decimal amount such as \"9.50\".", field=("seatPrice",)) from None
    if not price.is_finite() or price <= 0 or price > MAX_SEAT_PRICE or price != price.quantize(Decimal("0.01")):
        raise InvalidInput(f"The seat price must be whole cents above 0 and at most {MAX_SEAT_PRICE}.",
                           field=("seatPrice",))
    return price.quantize(Decimal("0.01"))


async def set_negotiated_seat_price(actor: Actor, account_id: int, seat_price: Decimal | str | None, *,
                                    now: datetime, catalog: Catalog) -> Subscription:
    """S8: only for accounts with 30 or more seats beyond their plan's standard; None
    ends the agreement. It lapses at a renewal that drops below the threshold."""
    _operator(actor)
    price = _check_price(seat_price)
    async with transaction():
        locked = await _current(account_id, now, catalog)
        sub = locked.subscription
        plan = catalog.plan(sub.plan_code)
        if price is not None and not plan.allows_special_agreement(sub.seats):
            needed = plan.standard_seats + SPECIAL_AGREEMENT_EXTRA_SEATS
            raise InvalidInput(f"A negotiated seat price needs at least {needed} seats on the {plan.name} plan "
                               f"({SPECIAL_AGREEMENT_EXTRA_SEATS} beyond its standard); this account has "
                               f"{sub.seats}.", field=("seatPrice",))
        before = sub.negotiated_seat_price
        sub.negotiated_seat_price = price
        return await _touch(locked, actor, now, {
            "action": "set_negotiated_seat_price", "from": str(before) if before is not None else None,
            "to": str(price) if price is not None else None})
