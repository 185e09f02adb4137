"""What an outside probe of the landed code found (issue 20), each through the public API.
The archive/un-archive findings are tests/api/dossiers/test_dossier_unarchive.py's."""
from domain.accounts.models import Account, User
from domain.shares.models import Share
from schema.relay import to_global_id
from tests.support.dossiers import create_ok, practice, session_for, teammate
from tests.support.exports import download, export_dossier, ready
from tests.support.flows import sign_up

APRIL = "2026-04-10T09:00:00+02:00"
REFRESH = """mutation($input: RefreshSessionInput!) { refreshSession(input: $input) {
  accessToken userErrors { code } } }"""
NODE = "query($id: ID!) { node(id: $id) { id ... on Share { email status access } } }"
MY_SHARES = "{ me { shares { id } } }"


async def test_i5_a_download_honours_the_account_s_two_factor_policy(api):
    """An export asked for before the owner required two-factor sign-in was still served
    to a member who has not enrolled, for up to 24 h."""
    owner = await practice(api, now=APRIL)
    member_token, _ = await teammate(api, owner.account_id, "MEMBER")
    dossier_id = await create_ok(api, member_token, "Anna", now=APRIL)
    export = await ready(api, member_token, await export_dossier(api, member_token, dossier_id, now=APRIL))
    assert (await download(api, export["downloadUrl"], member_token)).status_code == 200

    await Account.filter(id=owner.account_id).update(require_two_factor=True)

    refused = await download(api, export["downloadUrl"], member_token)
    assert refused.status_code == 404  # the same answer as for a key that does not exist (D4)
    assert refused.content == (await download(api, "/exports/" + "A" * 43, member_token)).content


async def test_i5_a_refreshed_token_does_not_open_the_download_either(api):
    owner = await practice(api, now=APRIL)
    _, membership_id = await teammate(api, owner.account_id, "MEMBER")
    user = await User.get(memberships__id=membership_id)
    session = await session_for(api, user)
    dossier_id = await create_ok(api, session.access_token, "Anna", now=APRIL)
    export = await ready(api, session.access_token,
                         await export_dossier(api, session.access_token, dossier_id, now=APRIL))
    await Account.filter(id=owner.account_id).update(require_two_factor=True)

    refreshed = (await api.data(REFRESH, {"input": {"refreshToken": session.refresh_token}}))["refreshSession"]
    assert refreshed["userErrors"] == []
    for token in (session.access_token, refreshed["accessToken"]):
        assert (await download(api, export["downloadUrl"], token)).status_code == 404


async def test_i1_node_shows_an_unproven_login_nothing_of_what_waits_for_its_address(api):
    """Sequential global ids revealed pending shares (status, access, date) to whoever
    signed up with the address and had not proven it, while me.shares stayed empty."""
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    from tests.support.dossiers import pk

    pending = await Share.create(account_id=owner.account_id, dossier_id=pk(dossier_id), email="later@example.org",
                                 access="VIEWER", status="PENDING", created_at=user_now())
    unproven = (await sign_up(api, "later@example.org", verified=False))["accessToken"]

    assert (await api.data(MY_SHARES, token=unproven))["me"]["shares"] == []
    assert (await api.data(NODE, {"id": to_global_id("Share", pending.id)}, token=unproven))["node"] is None
    missing = await api.data(NODE, {"id": to_global_id("Share", pending.id + 1000)}, token=unproven)
    assert missing["node"] is None

    proven = (await sign_up(api, "proven@example.org"))["accessToken"]
    waiting = await Share.create(account_id=owner.account_id, dossier_id=pk(dossier_id), email="proven@example.org",
                                 access="VIEWER", status="PENDING", created_at=user_now())
    shown = (await api.data(NODE, {"id": to_global_id("Share", waiting.id)}, token=proven))["node"]
    assert shown == {"id": to_global_id("Share", waiting.id), "email": "proven@example.org", "status": "PENDING",
                     "access": "VIEWER"}


def user_now():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)
