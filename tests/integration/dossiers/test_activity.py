"""Active clients at the service level (SPEC A1–A5, S5, S9), including the race that
A5 is about: PostgreSQL, separate connections, transactions overlapping."""
import asyncio
from datetime import date, datetime, timezone

import pytest

from domain.billing.catalog import load_catalog
from domain.billing.models import Subscription
from domain.core.errors import ErrorCode, LimitReached
from domain.dossiers import entries, measurements, service
from domain.dossiers.models import ActiveDossier, ActiveMonth, Dossier, Entry, Measurement
from tests.support.dossiers import owner_actor

CATALOG = load_catalog()
APRIL = datetime(2026, 4, 10, 8, 0, tzinfo=timezone.utc)
MAY = datetime(2026, 5, 10, 8, 0, tzinfo=timezone.utc)


async def _count(account_id: int, month: str) -> int:
    row = await ActiveMonth.get_or_none(account_id=account_id, month=month)
    return row.count if row else 0


async def _dossiers(actor, n: int, now: datetime, prefix: str = "Client") -> list[Dossier]:
    return [await service.create_dossier(actor, client_name=f"{prefix} {i:02d}", now=now, catalog=CATALOG)
            for i in range(n)]


async def test_a3_the_eleventh_dossier_is_refused_and_nothing_of_it_is_stored(db):
    owner = await owner_actor(tier="UP_TO_10")
    active = await _dossiers(owner, 10, APRIL)
    with pytest.raises(LimitReached) as refused:
        await service.create_dossier(owner, client_name="Eleven", now=APRIL, catalog=CATALOG)
    assert refused.value.code is ErrorCode.ACTIVE_CLIENT_LIMIT_REACHED
    assert refused.value.lift.tier == "UP_TO_25" and refused.value.lift.account_id == owner.account_id
    assert await Dossier.filter(client_name="Eleven").count() == 0
    assert await ActiveDossier.filter(month="2026-04").count() == 10
    assert await _count(owner.account_id, "2026-04") == 10

    # A4: the ten active ones go on being written, and the count stays.
    for dossier in active:
        await entries.add_entry(owner, dossier.id, kind="NOTE", body="more", now=APRIL, catalog=CATALOG)
        await service.update_dossier(owner, dossier.id, reference="R", now=APRIL, catalog=CATALOG)
    assert await _count(owner.account_id, "2026-04") == 10


async def test_a3_a_refused_first_write_to_an_existing_dossier_stores_nothing(db):
    owner = await owner_actor(tier="UP_TO_10")
    waiting = (await _dossiers(owner, 1, datetime(2026, 3, 31, 8, tzinfo=timezone.utc), "March"))[0]
    await _dossiers(owner, 10, APRIL)
    for write in (
        entries.add_entry(owner, waiting.id, kind="NOTE", body="x", now=APRIL, catalog=CATALOG),
        measurements.record_measurement(owner, waiting.id, metric="w", value="1", unit="kg",
                                        measured_at=APRIL, now=APRIL, catalog=CATALOG),
        service.update_dossier(owner, waiting.id, client_name="Renamed", now=APRIL, catalog=CATALOG),
    ):
        with pytest.raises(LimitReached):
            await write
    assert await Entry.filter(dossier_id=waiting.id).count() == 0
    assert await Measurement.filter(dossier_id=waiting.id).count() == 0
    assert (await Dossier.get(id=waiting.id)).client_name == "March 00"
    assert not await ActiveDossier.exists(dossier_id=waiting.id, month="2026-04")


async def test_a2_a_new_month_starts_at_zero_without_a_job(db):
    owner = await owner_actor(tier="UP_TO_10")
    april = await _dossiers(owner, 10, APRIL)
    await entries.add_entry(owner, april[0].id, kind="NOTE", body="May", now=MAY, catalog=CATALOG)
    new = await service.create_dossier(owner, client_name="New in May", now=MAY, catalog=CATALOG)
    assert await _count(owner.account_id, "2026-05") == 2
    assert await _count(owner.account_id, "2026-04") == 10
    assert new.id


async def test_a1_reading_assigning_and_archiving_do_not_activate(db):
    owner = await owner_actor()
    dossier = (await _dossiers(owner, 1, APRIL))[0]
    await service.assign_teammate(owner, dossier.id, owner.membership_id, now=MAY, catalog=CATALOG)
    await service.unassign_teammate(owner, dossier.id, owner.membership_id, now=MAY, catalog=CATALOG)
    await service.archive_dossier(owner, dossier.id, now=MAY, catalog=CATALOG)
    assert await _count(owner.account_id, "2026-05") == 0


async def test_a1_an_update_that_changes_nothing_does_not_activate(db):
    owner = await owner_actor()
    dossier = (await _dossiers(owner, 1, APRIL))[0]
    await service.update_dossier(owner, dossier.id, client_name=dossier.client_name, now=MAY, catalog=CATALOG)
    assert await _count(owner.account_id, "2026-05") == 0


async def test_s5_a_tier_decrease_mid_month_caps_new_activations_only(db):
    owner = await owner_actor(tier="UP_TO_25")
    active = await _dossiers(owner, 12, APRIL)
    await Subscription.filter(account_id=owner.account_id).update(tier="UP_TO_10")
    for dossier in active:  # A4: already active this month stays writable
        await entries.add_entry(owner, dossier.id, kind="NOTE", body="x", now=APRIL, catalog=CATALOG)
    with pytest.raises(LimitReached) as refused:
        await service.create_dossier(owner, client_name="Thirteen", now=APRIL, catalog=CATALOG)
    assert refused.value.lift.tier == "UP_TO_25"  # room for 13
    assert await _count(owner.account_id, "2026-04") == 12


async def test_unlimited_tier_counts_without_a_cap(db):
    owner = await owner_actor(tier="UNLIMITED")
    await _dossiers(owner, 80, APRIL)
    assert await _count(owner.account_id, "2026-04") == 80


async def test_s9_after_cancellation_takes_effect_writes_are_refused(db):
    owner = await owner_actor()
    dossier = (await _dossiers(owner, 1, APRIL))[0]
    await Subscription.filter(account_id=owner.account_id).update(cancels_on=date(2026, 5, 1))
    # 23:59 on 30 April in Amsterdam is still before the cancellation date.
    await entries.add_entry(owner, dossier.id, kind="NOTE", body="last",
                            now=datetime(2026, 4, 30, 21, 59, tzinfo=timezone.utc), catalog=CATALOG)
    from domain.core.errors import DomainError

    for write in (
        entries.add_entry(owner, dossier.id, kind="NOTE", body="x", now=MAY, catalog=CATALOG),
        service.create_dossier(owner, client_name="New", now=MAY, catalog=CATALOG),
        service.archive_dossier(owner, dossier.id, now=MAY, catalog=CATALOG),
    ):
        with pytest.raises(DomainError) as refused:
            await write
        assert refused.value.code is ErrorCode.ACCOUNT_READ_ONLY
    # Erasure stays possible (the client's legal right), read-only or not.
    await service.delete_dossier(owner, dossier.id, now=MAY)
    assert await Dossier.all().count() == 0


@pytest.mark.postgres_only
async def test_a5_racing_first_writes_at_one_short_of_the_cap_let_exactly_one_through(db):
    owner = await owner_actor(tier="UNLIMITED")
    waiting = await _dossiers(owner, 12, datetime(2026, 3, 20, tzinfo=timezone.utc), "March")
    await Subscription.filter(account_id=owner.account_id).update(tier="UP_TO_10")
    await _dossiers(owner, 9, APRIL)

    results = await asyncio.gather(*[
        entries.add_entry(owner, dossier.id, kind="NOTE", body="race", now=APRIL, catalog=CATALOG)
        for dossier in waiting
    ], return_exceptions=True)

    passed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, LimitReached)]
    assert (len(passed), len(refused)) == (1, 11), results
    assert await _count(owner.account_id, "2026-04") == 10
    assert await ActiveDossier.filter(account_id=owner.account_id, month="2026-04").count() == 10
    assert await Entry.filter(dossier_id__in=[d.id for d in waiting]).count() == 1


@pytest.mark.postgres_only
async def test_a5_racing_creations_never_pass_the_cap(db):
    owner = await owner_actor(tier="UP_TO_10")
    await _dossiers(owner, 9, APRIL)
    results = await asyncio.gather(*[
        service.create_dossier(owner, client_name=f"Racer {i}", now=APRIL, catalog=CATALOG) for i in range(12)
    ], return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    assert all(isinstance(r, (Dossier, LimitReached)) for r in results), results
    assert await Dossier.filter(account_id=owner.account_id).count() == 10
    assert await _count(owner.account_id, "2026-04") == 10


@pytest.mark.postgres_only
async def test_a4_racing_first_writes_to_one_dossier_all_pass_and_count_once(db):
    owner = await owner_actor(tier="UP_TO_10")
    dossier = (await _dossiers(owner, 1, datetime(2026, 3, 20, tzinfo=timezone.utc)))[0]
    await _dossiers(owner, 9, APRIL)
    results = await asyncio.gather(*[
        entries.add_entry(owner, dossier.id, kind="NOTE", body=f"n{i}", now=APRIL, catalog=CATALOG)
        for i in range(12)
    ], return_exceptions=True)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert await _count(owner.account_id, "2026-04") == 10


@pytest.mark.postgres_only
async def test_d5_racing_revisions_get_consecutive_versions(db):
    owner = await owner_actor()
    dossier = (await _dossiers(owner, 1, APRIL))[0]
    written = await entries.add_entry(owner, dossier.id, kind="NOTE", body="v1", now=APRIL, catalog=CATALOG)
    await asyncio.gather(*[
        entries.revise_entry(owner, written.entry.id, body=f"r{i}", now=APRIL, catalog=CATALOG) for i in range(8)
    ])
    from domain.dossiers.models import EntryRevision

    versions = sorted(await EntryRevision.filter(entry_id=written.entry.id).values_list("version", flat=True))
    assert versions == list(range(1, 10))
    assert (await Entry.get(id=written.entry.id)).current_version == 9
