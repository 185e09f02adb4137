"""Renewal (S3, S5, S8, S9): scheduled changes at the renewal date, the next period charged
in full, exactly once however often and from however many runners."""
from __future__ import annotations

import asyncio
from datetime import date
from decimal import Decimal

import pytest

from domain.billing.changes import apply_subscription_change, cancel_subscription
from domain.billing.models import BillingPeriod, LedgerLine, Subscription
from domain.billing.quotes import ChangeRequest, quote_subscription_change
from domain.billing.renewal import renew_due
from domain.billing.terms import writable_terms
from domain.core.errors import DomainError, ErrorCode
from tests.support.billing import CATALOG, add_teammates, at, given_account
from schema.relay import to_global_id

START = "2026-01-31T10:00:00+01:00"


async def _change(actor, now: str, **change):
    stored = await quote_subscription_change(actor, ChangeRequest(**change), now=at(now), catalog=CATALOG)
    return await apply_subscription_change(actor, stored.quote.id, f"k-{stored.quote.id}", now=at(now), catalog=CATALOG)


async def _periods(account_id: int) -> list[tuple[date, date, Decimal]]:
    rows = await LedgerLine.filter(account_id=account_id, kind="period").order_by("id")
    return [(row.period_start, row.period_end, row.amount) for row in rows]


async def test_s3_renewal_catches_up_missed_periods_with_month_end_clamping(db):
    """A start on 31 January renews 28 February, 31 March, 30 April (S3)."""
    account_id, _ = await given_account(START)
    report = await renew_due(CATALOG, now=at("2026-05-01T12:00:00+02:00"))
    assert report.renewed == 3 and report.failed == []
    assert [(start, end) for start, end, _ in await _periods(account_id)] == [
        (date(2026, 1, 31), date(2026, 2, 28)), (date(2026, 2, 28), date(2026, 3, 31)),
        (date(2026, 3, 31), date(2026, 4, 30)), (date(2026, 4, 30), date(2026, 5, 31)),
    ]
    again = await renew_due(CATALOG, now=at("2026-05-01T12:00:00+02:00"))
    assert again.renewed == 0
    assert await BillingPeriod.filter(account_id=account_id).count() == 4


async def test_renewal_is_due_on_the_accounts_local_day(db):
    """Auckland is already on 15 May while UTC is still on 14 May."""
    account_id, _ = await given_account("2026-04-15T10:00:00+12:00", time_zone="Pacific/Auckland")
    assert (await renew_due(CATALOG, now=at("2026-05-14T11:00:00+00:00"))).renewed == 0  # 23:00 in Auckland
    assert (await renew_due(CATALOG, now=at("2026-05-14T12:30:00+00:00"))).renewed == 1  # 00:30 on 15 May
    sub = await Subscription.get(account_id=account_id)
    assert (sub.period_start, sub.renews_on) == (date(2026, 5, 15), date(2026, 6, 15))


async def test_s5_a_scheduled_seat_decrease_never_goes_below_the_teammates_at_renewal(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00", seats=4)
    await _change(owner, "2026-05-10T10:00:00+02:00", seats=1)
    await add_teammates(to_global_id("Account", account_id), 2, now="2026-05-12T10:00:00+02:00")
    await renew_due(CATALOG, now=at("2026-05-15T08:00:00+02:00"))
    sub = await Subscription.get(account_id=account_id)
    assert sub.seats == 3  # the owner and two teammates
    period = await BillingPeriod.get(account_id=account_id, period_start=date(2026, 5, 15))
    assert "Seats kept at 3 instead of 1" in period.note
    assert (await _periods(account_id))[-1][2] == Decimal("60.00")  # 3 × 15 + 15


async def test_s8_a_negotiated_seat_price_lapses_when_seats_drop_below_the_threshold(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00", seats=40)
    await Subscription.filter(account_id=account_id).update(negotiated_seat_price=Decimal("9.50"))
    await _change(owner, "2026-05-10T10:00:00+02:00", seats=20)
    await renew_due(CATALOG, now=at("2026-05-15T08:00:00+02:00"))
    sub = await Subscription.get(account_id=account_id)
    assert (sub.seats, sub.negotiated_seat_price) == (20, None)


async def test_s9_cancellation_ends_at_the_renewal_date_without_a_new_charge(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00")
    sub = await cancel_subscription(owner, now=at("2026-05-10T10:00:00+02:00"), catalog=CATALOG)
    assert sub.cancels_on == date(2026, 5, 15)
    again = await cancel_subscription(owner, now=at("2026-05-11T10:00:00+02:00"), catalog=CATALOG)
    assert again.version == sub.version  # cancelling twice changes nothing

    # Still writable the day before.
    await writable_terms(account_id, now=at("2026-05-14T23:59:00+02:00"), catalog=CATALOG)
    with pytest.raises(DomainError) as refused:
        await writable_terms(account_id, now=at("2026-05-15T00:00:00+02:00"), catalog=CATALOG)
    assert refused.value.code is ErrorCode.ACCOUNT_READ_ONLY

    assert (await renew_due(CATALOG, now=at("2026-06-20T10:00:00+02:00"))).renewed == 0
    assert len(await _periods(account_id)) == 1  # only the first period, nothing after the end
    with pytest.raises(DomainError) as quoting:
        await quote_subscription_change(owner, ChangeRequest(seats=2), now=at("2026-05-16T10:00:00+02:00"),
                                        catalog=CATALOG)
    assert quoting.value.code is ErrorCode.ACCOUNT_READ_ONLY


async def test_q4_the_ledger_is_append_only(db):
    account_id, _ = await given_account("2026-04-15T10:00:00+02:00")
    line = await LedgerLine.get(account_id=account_id)
    # The trigger refuses (SQLite, an owner); on PostgreSQL the application's role has no
    # UPDATE or DELETE on the table in the first place (issue 28).
    with pytest.raises(Exception, match="append-only|permission denied"):
        await LedgerLine.filter(id=line.id).update(amount=Decimal("0.00"))
    with pytest.raises(Exception, match="append-only|permission denied"):
        await LedgerLine.filter(id=line.id).delete()
    assert (await LedgerLine.get(id=line.id)).amount == Decimal("30.00")


@pytest.mark.postgres_only
async def test_renewal_runs_exactly_once_when_two_runners_race(db):
    ids = [(await given_account("2026-04-15T10:00:00+02:00"))[0] for _ in range(5)]
    now = at("2026-07-16T08:00:00+02:00")  # three periods due for each
    reports = await asyncio.gather(renew_due(CATALOG, now=now), renew_due(CATALOG, now=now),
                                   renew_due(CATALOG, now=now))
    assert sum(report.renewed for report in reports) == 15
    assert all(report.failed == [] for report in reports)
    for account_id in ids:
        assert [start for start, _, _ in await _periods(account_id)] == [
            date(2026, 4, 15), date(2026, 5, 15), date(2026, 6, 15), date(2026, 7, 15)]


async def test_o4_an_account_opened_with_a_test_clock_while_renewals_run_renews_at_its_own_clock(db, monkeypatch):
    """The worker reads the test clocks, then what is due. An account signed up with a test
    clock in between (one transaction) is due by the wall clock; it must renew at its own
    clock, i.e. not at all yet (found by CI: its period jumped to the wall clock's month)."""
    from domain.billing import renewal
    from domain.core import account_clock
    from domain.team import sign_up as signing_up
    from infra.settings import Settings

    read_clocks = account_clock.test_clocks
    opened: list[int] = []

    async def clocks_then_sign_up(*args, **kwargs):
        clocks = await read_clocks(*args, **kwargs)
        if not opened:  # the first read: the sign-up commits right after it
            request = signing_up.SignUpRequest(email="late@example.org", name="Olga", account_name="Late")
            user = await signing_up.sign_up(signing_up.check_sign_up(request, CATALOG), "not-a-real-hash", CATALOG,
                                            now=at("2026-04-15T10:00:00+00:00"), settings=Settings(jwt_secret="x" * 32),
                                            security_now=at("2026-04-15T10:00:00+00:00"), test_clock=True)
            opened.append(user.id)
        return clocks

    monkeypatch.setattr(account_clock, "test_clocks", clocks_then_sign_up)
    report = await renewal.renew_due(CATALOG)  # the worker: each account at its own clock
    assert report.failed == []
    sub = await Subscription.get(account__memberships__user_id=opened[0])
    assert (sub.period_start, sub.renews_on) == (date(2026, 4, 15), date(2026, 5, 15))
