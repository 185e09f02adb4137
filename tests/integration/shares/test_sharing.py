"""Giving and revoking shares: who may, what is refused, what is written (SPEC §4, D2,
D3, D4, P1)."""
import pytest

from tests.conftest import deliver_outbox

from domain.accounts.models import Invitation
from domain.audit.models import AuditEvent
from domain.core.errors import DomainError, ErrorCode
from domain.dossiers.models import Dossier, DossierAssignment
from domain.dossiers.access import dossier_access
from domain.shares.models import GuestQuota, Share
from domain.shares.service import revoke_share, share_dossier
from tests.support.billing import CATALOG
from tests.support.shares import (
    NOW, account_with_owner, dossier, guest_actor, mails, person, teammate, token_in,
)


async def _refused(call, code: ErrorCode) -> DomainError:
    with pytest.raises(DomainError) as caught:
        await call
    assert caught.value.code is code, caught.value.message
    return caught.value


async def _nothing_written(dossier_row) -> None:
    assert await Share.all().count() == 0
    assert await Invitation.filter(kind="share").count() == 0
    assert (await Dossier.get(id=dossier_row.id)).share_count == 0
    assert await GuestQuota.filter(held__gt=0).count() == 0
    assert await AuditEvent.filter(action__startswith="share.").count() == 0


async def test_sharing_with_a_person_without_login_is_pending_and_mails_an_invitation(db, settings):
    owner = await account_with_owner(name="Kind Care")
    row = await dossier(owner.account_id, "Anna Client")

    share = await share_dossier(owner, row.id, " Gran@Example.NET ", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)

    assert (share.email, share.status, share.user_id, share.access) == ("gran@example.net", "PENDING", None, "VIEWER")
    assert (await Dossier.get(id=row.id)).share_count == 1
    assert (await GuestQuota.get(email="gran@example.net")).held == 1
    invitation = await Invitation.get(kind="share", share_id=share.id)
    assert invitation.email == "gran@example.net" and invitation.account_id == owner.account_id
    await deliver_outbox(settings)
    [mail] = mails(settings)
    assert "To: gran@example.net" in mail and "Kind Care" in mail
    assert "Anna Client" not in mail  # the client's name is health data: not in mail
    assert len(token_in(mail)) > 30
    event = await AuditEvent.get(action="share.given")
    assert event.subject == f"share:{share.id}" and event.actor_user_id == owner.user_id


async def test_a_person_with_a_login_has_access_at_once(db, settings):
    """A person with a login finds the dossier at once (ACTIVE, no token)."""
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    friend = await person("friend@example.net")

    share = await share_dossier(owner, row.id, "friend@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)

    assert (share.status, share.user_id) == ("ACTIVE", friend.id)
    assert (await dossier_access(guest_actor(friend), row.id)).level == "READ"
    assert await Invitation.filter(kind="share").count() == 0
    await deliver_outbox(settings)
    [mail] = mails(settings)
    assert "token=" not in mail


async def test_members_share_only_dossiers_they_are_assigned_to(db, settings):
    """D2: owners, admins and assigned members may share; an unassigned member is told
    the dossier does not exist (D4)."""
    owner = await account_with_owner()
    admin = await teammate(owner, "admin@example.org", "ADMIN")
    member = await teammate(owner, "member@example.org", "MEMBER")
    row = await dossier(owner.account_id)

    await _refused(share_dossier(member, row.id, "a@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings),
                   ErrorCode.NOT_FOUND)
    await DossierAssignment.create(account_id=owner.account_id, dossier=row, membership_id=member.membership_id,
                                   created_at=NOW)
    await share_dossier(member, row.id, "a@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    await share_dossier(admin, row.id, "b@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert await Share.filter(dossier_id=row.id).count() == 2


async def test_other_accounts_and_guests_cannot_share(db, settings):
    """D3, D4: a dossier of another account is NOT_FOUND; a guest, even holding a share,
    never shares."""
    owner = await account_with_owner()
    stranger = await account_with_owner()
    row = await dossier(owner.account_id)
    guest = await person("guest@example.net")
    await share_dossier(owner, row.id, "guest@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)

    await _refused(share_dossier(stranger, row.id, "x@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings),
                   ErrorCode.NOT_FOUND)
    await _refused(share_dossier(guest_actor(guest), row.id, "x@example.net", "VIEWER", now=NOW,
                                 catalog=CATALOG, settings=settings), ErrorCode.NOT_FOUND)
    await _refused(share_dossier(owner, 999_999, "x@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings),
                   ErrorCode.NOT_FOUND)
    assert await Share.all().count() == 1


@pytest.mark.parametrize("email, access, code, field", [
    ("not an email", "VIEWER", ErrorCode.INVALID_INPUT, ("email",)),
    ("a@b", "VIEWER", ErrorCode.INVALID_INPUT, ("email",)),
    ("", "VIEWER", ErrorCode.INVALID_INPUT, ("email",)),
    ("x@example.net", "OWNER", ErrorCode.INVALID_INPUT, ("access",)),
    ("stranger@example.net", "CONTRIBUTOR", ErrorCode.INVALID_INPUT, ("access",)),
])
async def test_bad_input_is_refused_and_nothing_written(db, settings, email, access, code, field):
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    error = await _refused(share_dossier(owner, row.id, email, access, now=NOW, catalog=CATALOG, settings=settings), code)
    assert error.field == field
    await _nothing_written(row)


async def test_contributor_for_a_non_paid_person_says_why(db, settings):
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    await person("guest@example.net")
    error = await _refused(share_dossier(owner, row.id, "guest@example.net", "CONTRIBUTOR", now=NOW,
                                         catalog=CATALOG, settings=settings), ErrorCode.INVALID_INPUT)
    assert "not a paid user" in error.message and "VIEWER" in error.message
    await _nothing_written(row)


async def test_sharing_with_oneself_or_a_teammate_is_refused(db, settings):
    owner = await account_with_owner("boss@example.org")
    await teammate(owner, "colleague@example.org", "MEMBER")
    row = await dossier(owner.account_id)

    await _refused(share_dossier(owner, row.id, "BOSS@example.org", "VIEWER", now=NOW, catalog=CATALOG, settings=settings),
                   ErrorCode.INVALID_INPUT)
    error = await _refused(share_dossier(owner, row.id, "colleague@example.org", "VIEWER", now=NOW,
                                         catalog=CATALOG, settings=settings), ErrorCode.ALREADY_EXISTS)
    assert "teammate" in error.message and "access already" in error.message
    await _nothing_written(row)


async def test_a_second_live_share_of_one_dossier_to_one_email_is_refused(db, settings):
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    first = await share_dossier(owner, row.id, "twice@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)

    await _refused(share_dossier(owner, row.id, "Twice@Example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings),
                   ErrorCode.ALREADY_EXISTS)
    assert await Share.filter(dossier_id=row.id).count() == 1
    assert (await Dossier.get(id=row.id)).share_count == 1
    assert (await GuestQuota.get(email="twice@example.net")).held == 1

    # Once revoked, the same email may be given the dossier again.
    await revoke_share(owner, first.id, now=NOW)
    again = await share_dossier(owner, row.id, "twice@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert again.id != first.id


async def test_an_archived_dossier_cannot_be_shared(db, settings):
    owner = await account_with_owner()
    row = await dossier(owner.account_id, archived=True)
    await _refused(share_dossier(owner, row.id, "x@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings),
                   ErrorCode.DOSSIER_ARCHIVED)
    await _nothing_written(row)


async def test_revoking_ends_access_and_keeps_the_row(db, settings):
    """G6 (the access every request reads is fresh), P1 (audited), nothing deleted."""
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    holder = await person("holder@example.net")
    share = await share_dossier(owner, row.id, "holder@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert (await dossier_access(guest_actor(holder), row.id)).level == "READ"

    assert await revoke_share(owner, share.id, now=NOW) == share.id

    assert await dossier_access(guest_actor(holder), row.id) is None
    kept = await Share.get(id=share.id)
    assert kept.revoked_at is not None
    assert (await Dossier.get(id=row.id)).share_count == 0
    assert (await GuestQuota.get(email="holder@example.net")).held == 0
    assert await AuditEvent.filter(action="share.revoked", subject=f"share:{share.id}").count() == 1


async def test_revoking_a_pending_share_withdraws_its_invitation(db, settings):
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    share = await share_dossier(owner, row.id, "new@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    await revoke_share(owner, share.id, now=NOW)
    assert (await Invitation.get(share_id=share.id)).revoked_at is not None


async def test_revoking_someone_elses_share_is_not_found_and_changes_nothing(db, settings):
    owner = await account_with_owner()
    other = await account_with_owner()
    member = await teammate(owner, "member@example.org")
    row = await dossier(owner.account_id)
    share = await share_dossier(owner, row.id, "x@example.net", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)

    await _refused(revoke_share(other, share.id, now=NOW), ErrorCode.NOT_FOUND)
    await _refused(revoke_share(member, share.id, now=NOW), ErrorCode.NOT_FOUND)  # not assigned
    await _refused(revoke_share(owner, 424242, now=NOW), ErrorCode.NOT_FOUND)
    assert (await Share.get(id=share.id)).revoked_at is None
    assert (await Dossier.get(id=row.id)).share_count == 1
    await revoke_share(owner, share.id, now=NOW)
    await _refused(revoke_share(owner, share.id, now=NOW), ErrorCode.NOT_FOUND)  # already revoked
    assert (await Dossier.get(id=row.id)).share_count == 0
