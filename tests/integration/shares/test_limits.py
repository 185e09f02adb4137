"""The share limits: 1000 people per dossier (G1), 3 dossiers per non-paid email across
all accounts (G2), none for paid users (G3)."""
import pytest

from domain.accounts.models import Membership
from domain.core.errors import ErrorCode, LimitReached
from domain.dossiers.models import Dossier
from domain.shares.models import GuestQuota, Share
from domain.shares.paid_status import paid_status_changed
from domain.shares.service import revoke_share, share_dossier
from tests.support.billing import CATALOG
from tests.support.shares import (
    NOW, account_with_owner, dossier, dossier_with_shares, later, live_shares, teammate,
)


async def test_g2_one_email_shared_by_three_accounts_then_refused_by_a_fourth(db, settings):
    """G2: X, Y and Z share with one outsider; W is refused with a way out (a paid seat,
    quoted for W's account); once X revokes, W may share."""
    x, y, z, w = [await account_with_owner() for _ in range(4)]
    shares = {}
    for owner in (x, y, z):
        row = await dossier(owner.account_id)
        shares[owner] = await share_dossier(owner, row.id, "gran@example.net", "VIEWER", now=NOW,
                                            catalog=CATALOG, settings=settings)
    w_dossier = await dossier(w.account_id)

    with pytest.raises(LimitReached) as refused:
        await share_dossier(w, w_dossier.id, "GRAN@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    error = refused.value
    assert error.code is ErrorCode.GUEST_DOSSIER_LIMIT_REACHED
    assert "paid teammate" in error.message and "any number" in error.message
    assert (error.lift.account_id, error.lift.seats_delta) == (w.account_id, 1)
    assert await Share.filter(dossier_id=w_dossier.id).count() == 0
    assert (await Dossier.get(id=w_dossier.id)).share_count == 0  # the refused slot rolled back
    assert (await GuestQuota.get(email="gran@example.net")).held == 3

    await revoke_share(x, shares[x].id, now=NOW)
    await share_dossier(w, w_dossier.id, "gran@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert len(await live_shares("gran@example.net")) == 3


async def test_g2_pending_invitations_count_and_revoked_shares_do_not(db, settings):
    owner = await account_with_owner()
    rows = [await dossier(owner.account_id, f"Client {i}") for i in range(5)]
    first = await share_dossier(owner, rows[0].id, "nologin@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    await revoke_share(owner, first.id, now=NOW)
    for row in rows[1:4]:
        share = await share_dossier(owner, row.id, "nologin@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
        assert share.status == "PENDING"
    with pytest.raises(LimitReached) as refused:
        await share_dossier(owner, rows[4].id, "nologin@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert refused.value.code is ErrorCode.GUEST_DOSSIER_LIMIT_REACHED


async def test_g3_a_paid_user_of_another_account_gets_any_number_of_dossiers_as_contributor(db, settings):
    owner = await account_with_owner()
    elsewhere = await account_with_owner()
    await teammate(elsewhere, "coach@example.org")  # a paid user, of another account
    rows = [await dossier(owner.account_id, f"Client {i}") for i in range(5)]

    for row in rows:
        share = await share_dossier(owner, row.id, "coach@example.org", "CONTRIBUTOR", now=NOW, catalog=CATALOG, settings=settings)
        assert (share.status, share.access) == ("ACTIVE", "CONTRIBUTOR")
    assert len(await live_shares("coach@example.org")) == 5
    assert (await GuestQuota.get(email="coach@example.org")).held == 0


async def test_g1_the_1000th_share_of_a_dossier_is_accepted_and_the_1001st_refused(db, settings):
    owner = await account_with_owner()
    row = await dossier_with_shares(owner.account_id, 999)

    thousandth = await share_dossier(owner, row.id, "number1000@example.net", "VIEWER", now=NOW,
                                     catalog=CATALOG, settings=settings)
    assert thousandth.id
    with pytest.raises(LimitReached) as refused:
        await share_dossier(owner, row.id, "number1001@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert refused.value.code is ErrorCode.DOSSIER_SHARE_LIMIT_REACHED
    assert refused.value.lift is None
    assert await Share.filter(dossier_id=row.id, revoked_at__isnull=True).count() == 1000
    assert (await Dossier.get(id=row.id)).share_count == 1000
    assert not await GuestQuota.filter(email="number1001@example.net", held__gt=0).exists()

    # One ends: one place frees up.
    await revoke_share(owner, thousandth.id, now=NOW)
    await share_dossier(owner, row.id, "number1001@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)


async def test_g1_counts_suspended_shares_and_paid_users_too(db, settings):
    """G1 counts people, whoever they are: a paid user's share takes a place as well, and
    so does a share suspended when its holder stopped being paid (G5)."""
    owner = await account_with_owner()
    elsewhere = await account_with_owner()
    await teammate(elsewhere, "paid@example.org")
    row = await dossier_with_shares(owner.account_id, 1000)
    with pytest.raises(LimitReached) as refused:
        await share_dossier(owner, row.id, "paid@example.org", "CONTRIBUTOR", now=NOW, catalog=CATALOG, settings=settings)
    assert refused.value.code is ErrorCode.DOSSIER_SHARE_LIMIT_REACHED

    # A dossier at 999 whose 1000th share, the coach's fourth, is suspended when the coach
    # loses their seat: the suspended share keeps its place.
    coach = await teammate(elsewhere, "coach@example.org")
    full = await dossier_with_shares(owner.account_id, 999)
    for minute, target in enumerate([await dossier(owner.account_id, f"C{i}") for i in range(3)] + [full]):
        await share_dossier(owner, target.id, "coach@example.org", "VIEWER", now=later(minute), catalog=CATALOG, settings=settings)
    await Membership.filter(id=coach.membership_id).delete()
    await paid_status_changed(coach.user_id, now=later(10))
    assert (await Share.get(dossier_id=full.id, email="coach@example.org")).status == "SUSPENDED"
    with pytest.raises(LimitReached) as refused:
        await share_dossier(owner, full.id, "late@example.net", "VIEWER", now=later(20), catalog=CATALOG, settings=settings)
    assert refused.value.code is ErrorCode.DOSSIER_SHARE_LIMIT_REACHED
