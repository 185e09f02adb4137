"""G4: G1 and G2 hold under concurrency. Each call is its own transaction on its own
pooled connection, as from several server processes; exactly the allowed number pass."""
import asyncio

import pytest

from domain.accounts.models import Membership
from infra.db import transaction
from domain.core.errors import ErrorCode, LimitReached
from domain.dossiers.models import Dossier
from domain.shares.models import GuestQuota, Share
from domain.shares.paid_status import paid_status_changed
from domain.shares.service import share_dossier
from tests.support.billing import CATALOG
from tests.support.shares import NOW, account_with_owner, dossier, dossier_with_shares, live_shares, teammate

pytestmark = pytest.mark.postgres_only


async def _outcomes(calls) -> tuple[int, list[ErrorCode]]:
    results = await asyncio.gather(*calls, return_exceptions=True)
    refused = [r.code for r in results if isinstance(r, LimitReached)]
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, LimitReached)]
    assert not unexpected, unexpected
    return len(results) - len(refused), refused


async def test_g4_ten_accounts_racing_to_share_with_one_outsider_let_exactly_three_through(db, settings):
    owners = [await account_with_owner() for _ in range(10)]
    rows = [await dossier(owner.account_id) for owner in owners]

    passed, refused = await _outcomes(
        share_dossier(owner, row.id, "popular@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
        for owner, row in zip(owners, rows))

    assert passed == 3
    assert refused == [ErrorCode.GUEST_DOSSIER_LIMIT_REACHED] * 7
    assert len(await live_shares("popular@example.net")) == 3
    assert (await GuestQuota.get(email="popular@example.net")).held == 3
    assert sum(row.share_count for row in await Dossier.all()) == 3


async def test_g4_racing_shares_of_one_dossier_near_1000_let_exactly_the_rest_through(db, settings):
    owner = await account_with_owner()
    row = await dossier_with_shares(owner.account_id, 997)

    passed, refused = await _outcomes(
        share_dossier(owner, row.id, f"late{i}@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
        for i in range(10))

    assert passed == 3
    assert refused == [ErrorCode.DOSSIER_SHARE_LIMIT_REACHED] * 7
    assert await Share.filter(dossier_id=row.id, revoked_at__isnull=True).count() == 1000
    assert (await Dossier.get(id=row.id)).share_count == 1000
    # Refused calls gave their guest slot back with the rollback.
    assert await GuestQuota.filter(held__gt=0).count() == 3


async def test_g4_one_dossier_shared_to_one_email_by_racing_calls_exists_once(db, settings):
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    results = await asyncio.gather(*(
        share_dossier(owner, row.id, "dup@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
        for _ in range(6)), return_exceptions=True)
    codes = sorted(getattr(r, "code", "ok") for r in results)
    assert codes.count("ok") == 1 and codes.count(ErrorCode.ALREADY_EXISTS) == 5
    assert (await Dossier.get(id=row.id)).share_count == 1
    assert (await GuestQuota.get(email="dup@example.net")).held == 1


async def test_g4_losing_the_seat_while_being_shared_never_leaves_more_than_three_usable(db, settings):
    """A paid-status change racing with new shares: whichever order the locks give, the
    person ends with at most three usable shares once they are no longer paid."""
    home = await account_with_owner()
    coach = await teammate(home, "coach@example.org")
    owners = [await account_with_owner() for _ in range(6)]
    rows = [await dossier(owner.account_id) for owner in owners]

    async def lose_seat():
        async with transaction():
            await Membership.filter(id=coach.membership_id).delete()
            await paid_status_changed(coach.user_id, now=NOW)

    results = await asyncio.gather(lose_seat(), *(
        share_dossier(owner, row.id, "coach@example.org", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
        for owner, row in zip(owners, rows)), return_exceptions=True)
    unexpected = [r for r in results if isinstance(r, BaseException) and not isinstance(r, LimitReached)]
    assert not unexpected, unexpected

    usable = [s for s in await live_shares("coach@example.org") if s.status != "SUSPENDED"]
    assert len(usable) <= 3
    assert (await GuestQuota.get(email="coach@example.org")).held == len(usable)
