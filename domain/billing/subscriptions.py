"""Opening an account's subscription at sign-up (S1), with the defaults of API.md."""
from __future__ import annotations

from datetime import date, datetime

from domain.billing.catalog import Catalog
from domain.billing.ledger import open_period
from domain.billing.models import Subscription
from domain.billing.periods import renewal_date
from domain.billing.pricing import NO_DISCOUNTS
from domain.billing.tiers import SIGN_UP, record_tier
from domain.core.errors import InvalidInput

MAX_SEATS = 10_000


def check_choice(catalog: Catalog, *, plan: str | None, term: str | None, seats: int | None,
                 tier: str | None) -> None:
    """Refuse unknown plans, terms, tiers and seat counts outside 1..MAX_SEATS."""
    if plan is not None and plan not in {p.code for p in catalog.plans}:
        raise InvalidInput(f"Unknown plan {plan!r}.", field=("plan",))
    if term is not None and term not in {t.name for t in catalog.terms}:
        raise InvalidInput(f"Unknown term {term!r}.", field=("term",))
    if tier is not None and tier not in {t.name for t in catalog.tiers}:
        raise InvalidInput(f"Unknown active-client tier {tier!r}.", field=("activeClientTier",))
    if seats is not None and not 1 <= seats <= MAX_SEATS:
        raise InvalidInput(f"Seats must be between 1 and {MAX_SEATS}.", field=("seats",))


async def open_subscription(catalog: Catalog, account_id: int, *, today: date, now: datetime,
                            plan: str | None = None, term: str | None = None,
                            seats: int | None = None, tier: str | None = None) -> Subscription:
    """The first period starts today (the account's local day) and follows its day (S3);
    it is recorded and charged in full like every later period (Q4)."""
    check_choice(catalog, plan=plan, term=term, seats=seats, tier=tier)
    term = term or "MONTHLY"
    months = catalog.term(term).months
    subscription = await Subscription.create(
        account_id=account_id,
        plan_code=plan or catalog.default_plan_code,
        term=term,
        seats=seats or 1,
        tier=tier or "UP_TO_10",
        anchor_day=today.day,
        period_start=today,
        renews_on=renewal_date(today, today.day, months),
        version=1,
        created_at=now,
        updated_at=now,
    )
    await open_period(catalog, subscription, NO_DISCOUNTS, now=now)
    await record_tier(account_id, subscription.tier, effective_on=today, cause=SIGN_UP, now=now)
    return subscription
