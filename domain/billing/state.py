"""Loading a subscription for a change: the row locked for this transaction, the
account's local day, the discounts in force and the terms it buys. Shared by quotes,
applying, cancelling, renewals and operator actions, so they all see one state."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from domain.accounts.models import Membership
from domain.billing.catalog import SpecialDiscount
from domain.billing.models import AccountDiscount, ScheduledChange, Subscription
from domain.billing.pricing import DiscountSet, SubscriptionTerms
from infra.clock import local_date
from domain.core.errors import DomainError, ErrorCode, NotFound


class AccountReadOnly(DomainError):
    code = ErrorCode.ACCOUNT_READ_ONLY

    def __init__(self, ended_on: date) -> None:
        super().__init__(f"The subscription ended on {ended_on.isoformat()}: the account can read and "
                         "export its dossiers, but not change anything.")


def has_ended(cancels_on: date | None, today: date) -> bool:
    """S9: from the cancellation date on, the account reads but cannot write."""
    return cancels_on is not None and cancels_on <= today


@dataclass
class Locked:
    subscription: Subscription
    time_zone: str
    today: date

    @property
    def account_id(self) -> int:
        return self.subscription.account_id

    @property
    def ended(self) -> bool:
        return has_ended(self.subscription.cancels_on, self.today)

    def ensure_open(self) -> None:
        if self.ended:
            raise AccountReadOnly(self.subscription.cancels_on)


async def lock_subscription(account_id: int, now: datetime) -> Locked:
    """Lock the account's subscription row until the transaction ends (FOR UPDATE on
    PostgreSQL; SQLite runs one process whose statements are serialised already), read
    with its account's time zone in one statement. Call inside `transaction()`."""
    subscription = await (Subscription.filter(account_id=account_id).select_related("account")
                          .select_for_update(of=("subscription",)).first())
    if subscription is None:
        raise NotFound("account", field=("accountId",))
    time_zone = subscription.account.time_zone
    return Locked(subscription, time_zone, local_date(now, time_zone))


def terms_of(subscription: Subscription) -> SubscriptionTerms:
    return SubscriptionTerms(subscription.plan_code, subscription.term, subscription.seats, subscription.tier)


def is_active_discount(row: AccountDiscount, day: date) -> bool:
    """In force on `day`: not removed, and `ends_on` (exclusive) still ahead."""
    return row.removed_at is None and (row.ends_on is None or row.ends_on > day)


def discount_set(subscription: Subscription, rows: list[AccountDiscount], day: date) -> DiscountSet:
    specials = tuple(SpecialDiscount(row.code, row.name, row.percent)
                     for row in rows if is_active_discount(row, day))
    return DiscountSet(specials=specials, negotiated_seat_price=subscription.negotiated_seat_price)


async def discounts_on(subscription: Subscription, day: date) -> DiscountSet:
    rows = await AccountDiscount.filter(account_id=subscription.account_id, removed_at__isnull=True)
    return discount_set(subscription, rows, day)


async def pending_changes(account_id: int) -> dict[str, ScheduledChange]:
    rows = await ScheduledChange.filter(account_id=account_id)
    return {row.change: row for row in rows}


async def teammate_count(account_id: int) -> int:
    """Each membership is one paid seat (SPEC §1)."""
    return await Membership.filter(account_id=account_id).count()
