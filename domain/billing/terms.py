"""Billing's one public face. Every other area asks here, and only here, about an
account's subscription:

* `current_terms` — the terms as of now (O2): a renewal (with its scheduled changes)
  that is due is applied first, under the subscription row lock. The subscription and
  its account are read in one statement; a read that finds the subscription current
  takes no lock; one that finds it due locks, renews and re-reads.
* `writable_terms` — the same inside a write's transaction, refused with
  ACCOUNT_READ_ONLY from the cancellation date on (S9).
* `lock_team` — the team lock (the subscription row) for seat counts and last-owner
  checks, with the terms as of now.
* `Terms.cap` / `cap_of_month` — the active-client cap in force, today or in a past
  month (A3, A6).
* `may_see_prices`, `lift_quote` and `@quotes_lift` — the quote that lifts a limit
  (Q5), built by the domain after the refused write rolled back, and only for the
  account's own people acting in it.

A due renewal found inside a write runs in the write's transaction: a refused write
rolls it back with everything else (a refused mutation changes nothing), and the next
read or write applies it again.
"""
from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Awaitable, Callable, Sequence, TypeVar

from tortoise import connections

from domain.billing.catalog import Catalog
from domain.billing.models import Subscription, TierChange
from domain.billing.quotes import StoredQuote, quote_lift
from domain.billing.renewal import is_due, renew_locked
from domain.billing.state import AccountReadOnly, Locked, has_ended, lock_subscription
from domain.billing.tiers import tier_histories, tier_of_month
from domain.core.actor import Actor
from infra.clock import local_date
from infra.db import execute, placeholders, transaction
from domain.core.errors import DomainError, LiftRequest, LimitReached, NotFound

__all__ = ["AccountReadOnly", "AsOf", "Terms", "cap_of_month", "current_terms", "lift_quote", "lock_team",
           "may_see_prices", "quotes_lift", "terms_as_of", "tier_histories", "writable_terms"]

log = logging.getLogger("casebook.billing.terms")

_COLUMNS = ("account_id", "plan_code", "term", "seats", "tier", "anchor_day", "period_start", "renews_on",
            "cancels_on", "negotiated_seat_price", "version")


@dataclass(frozen=True)
class Terms:
    """An account's subscription as of `today` (the account's local day)."""

    account_id: int
    time_zone: str
    today: date
    plan_code: str
    term: str
    seats: int
    tier: str
    anchor_day: int
    period_start: date
    renews_on: date
    cancels_on: date | None
    negotiated_seat_price: Decimal | None
    version: int

    @classmethod
    def of_locked(cls, locked: Locked) -> "Terms":
        sub = locked.subscription
        return cls(locked.account_id, locked.time_zone, locked.today,
                   **{name: getattr(sub, name) for name in _COLUMNS[1:]})

    @property
    def due(self) -> bool:
        return is_due(self, self.today)

    @property
    def ended(self) -> bool:
        return has_ended(self.cancels_on, self.today)

    def ensure_writable(self) -> None:
        if self.ended:
            raise AccountReadOnly(self.cancels_on)

    def cap(self, catalog: Catalog) -> int | None:
        """The active-client cap in force (A3); None: unlimited."""
        return catalog.tier(self.tier).cap


# Each column as the model's field reads it back (SQLite hands dates and decimals back
# as text), so the terms are the same values the ORM would give.
_CONVERT = tuple((name, Subscription._meta.fields_map[name.removesuffix("_id")].to_python_value
                  if name != "account_id" else int) for name in _COLUMNS)
_SELECTED = ", ".join(f's."{name}"' for name in _COLUMNS)


async def _read(account_ids: Sequence[int], now: datetime) -> dict[int, Terms]:
    """Subscriptions with their accounts' time zones: one statement, no lock. Plain SQL:
    every write asks, and building the ORM's query cost more than running it."""
    ids = list(account_ids)
    marks = placeholders(1, len(ids))
    _, rows = await execute(connections.get("default"),
                            f'SELECT {_SELECTED}, a."time_zone" FROM "subscription" s JOIN "account" a ON a."id" = s."account_id" '
                            f'WHERE s."account_id" IN ({marks})', ids)
    found = {}
    for row in rows:
        time_zone = row.pop("time_zone")
        values = {name: value if value is None else convert(value) for (name, convert), value
                  in zip(_CONVERT, (row[name] for name, _ in _CONVERT))}
        found[values["account_id"]] = Terms(time_zone=time_zone, today=local_date(now, time_zone), **values)
    return found


async def _renewed(account_id: int, *, now: datetime, catalog: Catalog) -> Terms:
    """Lock, renew what is due, and answer the terms read under the lock. Its own
    transaction when called outside one; inside a write, part of the write's."""
    async with transaction():
        locked = await lock_subscription(account_id, now)
        await renew_locked(locked, catalog, now=now)
        return Terms.of_locked(locked)


async def current_terms(account_id: int, *, now: datetime, catalog: Catalog) -> Terms:
    """The account's terms as of `now`, renewed first when a renewal is due (O2)."""
    terms = (await _read([account_id], now)).get(account_id)
    if terms is None:
        raise NotFound("account")
    return await _renewed(account_id, now=now, catalog=catalog) if terms.due else terms


async def writable_terms(account_id: int, *, now: datetime, catalog: Catalog) -> Terms:
    """For a write, inside its transaction: the terms as of now, refused with
    ACCOUNT_READ_ONLY once the cancellation has taken effect (S9)."""
    terms = await current_terms(account_id, now=now, catalog=catalog)
    terms.ensure_writable()
    return terms


async def lock_team(account_id: int, *, now: datetime, catalog: Catalog, writable: bool = True) -> Terms:
    """Take the account's team lock (its subscription row) for the rest of the
    transaction, and answer the terms as of now, renewed first when due: a seat decrease
    taking effect at renewal counts the teammates of that moment (S5), not after a
    change made later. `writable=False` for what stays allowed after cancellation."""
    locked = await lock_subscription(account_id, now)
    await renew_locked(locked, catalog, now=now)
    terms = Terms.of_locked(locked)
    if writable:
        terms.ensure_writable()
    return terms


@dataclass(frozen=True)
class AsOf:
    """A key of `terms_as_of`; the catalog (the same for a whole request) is not part of
    the key's identity."""

    account_id: int
    now: datetime
    catalog: Catalog = field(compare=False)


async def terms_as_of(keys: Sequence[AsOf]) -> list[Terms | NotFound]:
    """DataLoader batch of `current_terms`: one statement for all accounts, then a
    renewal for each one found due."""
    by_now: dict[datetime, list[AsOf]] = {}
    for key in keys:
        by_now.setdefault(key.now, []).append(key)
    found: dict[AsOf, Terms] = {}
    for now, group in by_now.items():
        read = await _read([key.account_id for key in group], now)
        for key in group:
            terms = read.get(key.account_id)
            if terms is not None and terms.due:
                terms = await _renewed(key.account_id, now=now, catalog=key.catalog)
            if terms is not None:
                found[key] = terms
    return [found.get(key) or NotFound("account") for key in keys]


def cap_of_month(catalog: Catalog, terms: Terms, history: Sequence[TierChange], month: str) -> int | None:
    """The cap a month's usage is measured against (A6): the tier in force at the end
    of a past month, today's tier for this month and later ones. `history` may be empty
    when only this month or later ones are asked for."""
    this_month = f"{terms.today.year:04d}-{terms.today.month:02d}"
    return catalog.tier(tier_of_month(history, month, this_month=this_month, current_tier=terms.tier)).cap


def may_see_prices(actor: Actor | None, account_id: int) -> bool:
    """The one rule of who sees an account's prices in a limit's answer (Q5): its own
    people acting in it. Never a guest, an outsider writing through a share, or a
    partner system's machine credential (T4)."""
    return (actor is not None and actor.is_paid and not actor.machine
            and actor.account_id is not None and actor.account_id == account_id)


async def lift_quote(actor: Actor | None, lift: LiftRequest | None, *, now: datetime,
                     catalog: Catalog) -> StoredQuote | None:
    """Store the quote that would lift a limit, for someone who may see it; None when
    they may not, or when nothing can lift it (an ended account, seats at their bound).
    Call after the refused write rolled back."""
    if lift is None or not may_see_prices(actor, lift.account_id):
        return None
    try:
        return await quote_lift(lift, now=now, catalog=catalog, user_id=actor.user_id)
    except DomainError as error:
        log.info("no quote lifts %s: %s", lift, error.message)
        return None


Service = TypeVar("Service", bound=Callable[..., Awaitable[Any]])


def quotes_lift(service: Service) -> Service:
    """For a service that can hit a limit (A3, G2, S6): when it raises LimitReached (its
    transaction has rolled back by then), attach the quote that lifts the limit as
    `error.quote` — stored, so the owner can apply it in one step (Q5) — or None. The
    service takes the actor first and `now` and `catalog` as keywords."""

    @functools.wraps(service)
    async def run(actor: Actor, *args: Any, now: datetime, catalog: Catalog, **kwargs: Any) -> Any:
        try:
            return await service(actor, *args, now=now, catalog=catalog, **kwargs)
        except LimitReached as error:
            error.quote = await lift_quote(actor, error.lift, now=now, catalog=catalog)
            raise

    return run  # type: ignore[return-value]
