"""Applying a quote (Q2, Q3, Q4, S5) and cancelling (S9).

Applying charges exactly the quoted amount or refuses: the quote must be the account's,
unexpired, and computed against the subscription's current version. One idempotency key
applies once; sending it again answers the stored result. The subscription row lock
serialises applies of one account, and the unique (account, key) and (quote) indexes
back it up, so racing requests with one key charge once.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tortoise.exceptions import IntegrityError

from auth import policy
from domain import events
from domain.audit.service import AuditAction, record
from domain.billing.catalog import Catalog
from domain.billing.ledger import add_proration, lines_by_id
from domain.billing.models import LedgerLine, Quote, QuoteApplication, QuoteLine, ScheduledChange, Subscription
from domain.billing.pricing import ZERO
from domain.billing.quotes import AT_RENEWAL, NOW
from domain.billing.renewal import renew_locked
from domain.billing.state import lock_subscription
from domain.billing.terms import Terms
from domain.billing.tiers import QUOTE, record_tier
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput, NotFound
from domain.core.validation import clean_text
from domain.billing.invoices.issue import invoice_charge

MAX_KEY = 200
_FIELDS = {"plan": "plan_code", "term": "term", "seats": "seats", "tier": "tier"}


@dataclass(frozen=True)
class Applied:
    subscription: Terms
    charged: Decimal
    currency: str
    ledger_lines: list[LedgerLine]
    replayed: bool = False


class QuoteExpired(DomainError):
    code = ErrorCode.QUOTE_EXPIRED


class QuoteStale(DomainError):
    code = ErrorCode.QUOTE_STALE


def _owner(actor: Actor) -> int:
    return policy.acting_account(actor, "billing", "manage")


async def apply_subscription_change(actor: Actor, quote_id: int, idempotency_key: str, *,
                                    now: datetime, catalog: Catalog) -> Applied:
    account_id = _owner(actor)
    key = clean_text(idempotency_key, field="idempotencyKey", max_length=MAX_KEY)
    try:
        return await _apply(actor, account_id, quote_id, key, now, catalog)
    except IntegrityError:
        # Only if the lock was bypassed (another process on one SQLite file): the other
        # apply committed, so answer as a repeat of it.
        return await _apply(actor, account_id, quote_id, key, now, catalog)


async def _apply(actor: Actor, account_id: int, quote_id: int, key: str, now: datetime,
                 catalog: Catalog) -> Applied:
    async with transaction():
        locked = await lock_subscription(account_id, now)
        sub = locked.subscription
        done = await QuoteApplication.get_or_none(account_id=account_id, idempotency_key=key)
        if done is not None:
            if done.quote_id != quote_id:
                raise InvalidInput("This idempotency key was already used for another quote; use a new key.",
                                   field=("idempotencyKey",))
            lines = await lines_by_id(done.result.get("ledger_line_ids", []))
            return Applied(Terms.of_locked(locked), done.charged, done.result.get("currency", ""), lines,
                           replayed=True)
        quote = await Quote.get_or_none(id=quote_id, account_id=account_id)
        if quote is None:
            raise NotFound("quote", field=("quoteId",))
        if now >= quote.expires_at:
            raise QuoteExpired("This quote has expired (it held for the day it was made); ask for a new one.",
                               field=("quoteId",))
        locked.ensure_open()
        if sub.version != quote.subscription_version:
            raise QuoteStale("The subscription changed since this quote was made; ask for a new one.",
                             field=("quoteId",))
        quote_lines = await QuoteLine.filter(quote_id=quote.id).order_by("position")
        ledger = await _charge(sub, quote, quote_lines, now)
        await _schedule(sub, quote, quote_lines, now)
        sub.version += 1
        sub.updated_at = now
        await sub.save()
        charged = sum((line.amount for line in ledger), ZERO)
        if ledger:
            await invoice_charge(catalog, account_id, ledger, now=now)  # B2: the charge's lines, one invoice
        await QuoteApplication.create(
            account_id=account_id, idempotency_key=key, quote_id=quote.id, charged=charged,
            result={"ledger_line_ids": [line.id for line in ledger], "currency": quote.currency,
                    "subscription_version": sub.version},
            created_by_user_id=actor.user_id, created_at=now,
        )
        await record(AuditAction.SUBSCRIPTION_CHANGED, now=now, account_id=account_id, actor_user_id=actor.user_id,
                     subject=f"quote:{quote.id}",
                     detail={"charged": str(charged), "currency": quote.currency,
                             "changes": [_change_detail(line) for line in quote_lines]})
        await events.announce(events.SUBSCRIPTION_CHANGED, account_id=account_id, now=now)
        return Applied(Terms.of_locked(locked), charged, quote.currency, ledger)


async def _charge(sub: Subscription, quote: Quote, lines: list[QuoteLine], now: datetime) -> list[LedgerLine]:
    """Increases take effect today and are charged as quoted, each its own ledger line
    (a zero-cent line too: its exact value still counts in the S4 running total)."""
    ledger = []
    for line in lines:
        if line.effect != NOW:
            continue
        value = int(line.to_value) if line.change == "seats" else line.to_value
        quantity = int(line.to_value) - int(line.from_value) if line.change == "seats" else 1
        setattr(sub, _FIELDS[line.change], value)
        if line.change == "tier":
            await record_tier(sub.account_id, value, effective_on=quote.computed_for, cause=QUOTE, now=now)
        ledger.append(await add_proration(
            sub, description=line.description, quantity=quantity, amount=line.amount, currency=quote.currency,
            today=quote.computed_for, quote_id=quote.id, exact=line.exact, explanation=line.explanation, now=now,
        ))
    return ledger


async def _schedule(sub: Subscription, quote: Quote, lines: list[QuoteLine], now: datetime) -> None:
    """The quote's target replaces whatever was pending (S5: a later change of the same
    thing replaces a pending one; withdrawn lines just drop it)."""
    await ScheduledChange.filter(account_id=sub.account_id).delete()
    for line in lines:
        if line.effect == AT_RENEWAL:
            await ScheduledChange.create(
                account_id=sub.account_id, change=line.change, from_value=line.from_value,
                to_value=line.to_value, description=line.description, effective_on=line.effective_on,
                quote_id=quote.id, created_at=now,
            )


def _change_detail(line: QuoteLine) -> dict:
    return {"change": line.change, "effect": line.effect, "from": line.from_value, "to": line.to_value,
            "amount": str(line.amount)}


async def cancel_subscription(actor: Actor, *, now: datetime, catalog: Catalog,
                              reason: str | None = None) -> Terms:
    """S9: ends at the renewal date; until then everything works. Pending changes are
    dropped (there is no renewal for them). Cancelling again changes nothing."""
    account_id = _owner(actor)
    reason = clean_text(reason, field="reason", required=False)
    async with transaction():
        locked = await lock_subscription(account_id, now)
        locked.ensure_open()
        sub = locked.subscription
        if sub.cancels_on is not None:
            return Terms.of_locked(locked)
        await renew_locked(locked, catalog, now=now)
        sub.cancels_on = sub.renews_on
        sub.version += 1  # outstanding quotes go stale
        sub.updated_at = now
        await sub.save()
        await ScheduledChange.filter(account_id=account_id).delete()
        await record(AuditAction.SUBSCRIPTION_CANCELLED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"subscription:{sub.id}",
                     detail={"cancels_on": sub.cancels_on.isoformat(), "reason": reason})
        await events.announce(events.SUBSCRIPTION_CHANGED, account_id=account_id, now=now)
        return Terms.of_locked(locked)
