"""G5: a paid user who stops being one keeps their three oldest shares; the others are
suspended, nothing is deleted, and they come back when the person is paid again or an
older share ends. Audited (P1)."""
import pytest

from domain.accounts.models import Membership, User
from domain.audit.models import AuditEvent
from domain.core.errors import ErrorCode, LimitReached
from domain.dossiers.access import dossier_access
from domain.shares.models import GuestQuota, Share
from domain.shares.paid_status import paid_status_changed
from domain.shares.service import revoke_share, share_dossier
from tests.support.billing import CATALOG
from tests.support.shares import NOW, account_with_owner, dossier, guest_actor, later, person, teammate


async def _five_shares_to_a_paid_user(settings):
    """Five accounts each share one dossier with a coach who is a teammate elsewhere,
    oldest first."""
    home = await account_with_owner()
    coach = await teammate(home, "coach@example.org")
    shares, owners = [], []
    for minute in range(5):
        owner = await account_with_owner()
        row = await dossier(owner.account_id, f"Client {minute}")
        shares.append(await share_dossier(owner, row.id, "coach@example.org", "CONTRIBUTOR",
                                          now=later(minute), catalog=CATALOG, settings=settings))
        owners.append(owner)
    return coach, shares, owners


async def _statuses(shares) -> list[str]:
    return [(await Share.get(id=share.id)).status for share in shares]


async def test_g5_losing_the_last_seat_suspends_all_but_the_three_oldest(db, settings):
    coach, shares, _ = await _five_shares_to_a_paid_user(settings)
    assert await _statuses(shares) == ["ACTIVE"] * 5

    await Membership.filter(id=coach.membership_id).delete()
    await paid_status_changed(coach.user_id, now=later(10))

    assert await _statuses(shares) == ["ACTIVE"] * 3 + ["SUSPENDED"] * 2
    # G6 on the path every request takes: the coach, now a guest, reads the three oldest.
    holder = guest_actor(await User.get(id=coach.user_id))
    assert [await dossier_access(holder, share.dossier_id) is not None for share in shares] == [True] * 3 + [False] * 2
    assert await Share.filter(email="coach@example.org").count() == 5  # nothing deleted
    assert (await GuestQuota.get(email="coach@example.org")).held == 3
    suspended = await AuditEvent.filter(action="share.suspended").values_list("subject", "account_id")
    assert sorted(suspended) == sorted((f"share:{s.id}", s.account_id) for s in shares[3:])

    # Deterministic: the same call again changes nothing.
    await paid_status_changed(coach.user_id, now=later(11))
    assert await _statuses(shares) == ["ACTIVE"] * 3 + ["SUSPENDED"] * 2
    assert await AuditEvent.filter(action="share.suspended").count() == 2


async def test_g5_an_older_share_ending_brings_the_next_one_back(db, settings):
    coach, shares, owners = await _five_shares_to_a_paid_user(settings)
    await Membership.filter(id=coach.membership_id).delete()
    await paid_status_changed(coach.user_id, now=later(10))

    await revoke_share(owners[1], shares[1].id, now=later(20))

    assert await _statuses(shares) == ["ACTIVE", "ACTIVE", "ACTIVE", "ACTIVE", "SUSPENDED"]
    assert await AuditEvent.filter(action="share.restored", subject=f"share:{shares[3].id}").count() == 1
    assert (await GuestQuota.get(email="coach@example.org")).held == 3


async def test_g5_a_suspended_outsider_cannot_be_given_a_fourth_share(db, settings):
    coach, shares, _ = await _five_shares_to_a_paid_user(settings)
    await Membership.filter(id=coach.membership_id).delete()
    await paid_status_changed(coach.user_id, now=later(10))
    newcomer = await account_with_owner()
    row = await dossier(newcomer.account_id)
    with pytest.raises(LimitReached) as refused:
        await share_dossier(newcomer, row.id, "coach@example.org", "VIEWER", now=later(30), catalog=CATALOG, settings=settings)
    assert refused.value.code is ErrorCode.GUEST_DOSSIER_LIMIT_REACHED


async def test_g5_paid_again_restores_every_share(db, settings):
    coach, shares, _ = await _five_shares_to_a_paid_user(settings)
    await Membership.filter(id=coach.membership_id).delete()
    await paid_status_changed(coach.user_id, now=later(10))

    new_home = await account_with_owner()
    await teammate(new_home, "coach@example.org")
    await paid_status_changed(coach.user_id, now=later(20))

    assert await _statuses(shares) == ["ACTIVE"] * 5
    assert await AuditEvent.filter(action="share.restored").count() == 2
    assert (await GuestQuota.get(email="coach@example.org")).held == 0


async def test_g5_a_restored_share_never_taken_up_is_pending_again(db, settings):
    """A share given while its holder had no login yet is PENDING; suspended and
    restored, it is PENDING again, not ACTIVE (nobody has taken it up)."""
    owner = await account_with_owner()
    rows = [await dossier(owner.account_id, f"C{i}") for i in range(4)]
    elsewhere = await account_with_owner()
    # A teammate through an accepted invitation, which proved the address (I1).
    user = await person("invited@example.org", login=False, proven=True)
    membership = await Membership.create(account_id=elsewhere.account_id, user=user, role="MEMBER", created_at=NOW)
    shares = [await share_dossier(owner, row.id, "invited@example.org", "VIEWER", now=later(i), catalog=CATALOG, settings=settings)
              for i, row in enumerate(rows)]
    assert await _statuses(shares) == ["PENDING"] * 4

    await membership.delete()
    await paid_status_changed(user.id, now=later(10))
    assert await _statuses(shares) == ["PENDING"] * 3 + ["SUSPENDED"]
    await revoke_share(owner, shares[0].id, now=later(20))
    assert await _statuses(shares[1:]) == ["PENDING"] * 3
