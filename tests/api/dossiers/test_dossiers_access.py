"""Who sees and writes which dossier (SPEC D2, D3, D4, P3, T2). A dossier the principal
may not see is null in queries and NOT_FOUND in mutations, exactly like a missing one."""
from domain.dossiers.models import Dossier, Entry, EntryRevision, Measurement
from tests.support.dossiers import (
    ARCHIVE, ASSIGN, DELETE, DOSSIERS, NODE, UNASSIGN, UPDATE, add_entry, create_ok, global_id, guest,
    pk, practice, read, record, revise, share, teammate,
)

NOW = "2026-04-10T09:00:00+02:00"
MISSING = global_id("Dossier", 999_999)


async def _setting(api):
    """A practice with one dossier holding an entry and a measurement."""
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Ilse", now=NOW)
    entry_id = (await add_entry(api, owner.token, dossier_id, "Private.", now=NOW))["entry"]["id"]
    measurement_id = (await record(api, owner.token, dossier_id))["measurement"]["id"]
    return owner, dossier_id, entry_id, measurement_id


async def _sees_nothing(api, token: str, dossier_id: str, entry_id: str, measurement_id: str) -> None:
    """Queries: null and empty lists, the same as for a dossier that does not exist."""
    assert await read(api, token, dossier_id) is None
    assert await read(api, token, MISSING) is None
    for node_id in (dossier_id, entry_id, measurement_id):
        assert (await api.data(NODE, {"id": node_id}, token=token))["node"] is None
    assert (await api.data(DOSSIERS, token=token))["dossiers"]["edges"] == []


async def _writes_nothing(api, token: str, dossier_id: str, entry_id: str) -> None:
    """Mutations: NOT_FOUND, the same code and message as for a missing dossier."""
    answers = [
        (await add_entry(api, token, dossier_id, "x", now=NOW))["userErrors"],
        (await revise(api, token, entry_id, "x", now=NOW))["userErrors"],
        (await record(api, token, dossier_id))["userErrors"],
        (await api.data(UPDATE, {"input": {"dossierId": dossier_id, "clientName": "X"}}, token=token))["updateDossier"]["userErrors"],
        (await api.data(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=token))["archiveDossier"]["userErrors"],
        (await api.data(DELETE, {"input": {"dossierId": dossier_id}}, token=token))["deleteDossier"]["userErrors"],
    ]
    missing = (await add_entry(api, token, MISSING, "x", now=NOW))["userErrors"]
    assert [[e["code"] for e in errors] for errors in answers] == [["NOT_FOUND"]] * len(answers)
    assert answers[0] == missing


async def _unchanged() -> tuple:
    return (await Dossier.all().count(), await Entry.all().count(), await EntryRevision.all().count(),
            await Measurement.all().count(), (await Dossier.get()).client_name, (await Dossier.get()).archived_at)


async def test_d4_another_account_gets_null_and_not_found(api):
    owner, dossier_id, entry_id, measurement_id = await _setting(api)
    before = await _unchanged()
    stranger = await practice(api, now=NOW)
    await _sees_nothing(api, stranger.token, dossier_id, entry_id, measurement_id)
    await _writes_nothing(api, stranger.token, dossier_id, entry_id)
    assert await _unchanged() == before


async def test_d2_an_unassigned_member_gets_null_and_not_found(api):
    owner, dossier_id, entry_id, measurement_id = await _setting(api)
    before = await _unchanged()
    member_token, _ = await teammate(api, owner.account_id)
    await _sees_nothing(api, member_token, dossier_id, entry_id, measurement_id)
    await _writes_nothing(api, member_token, dossier_id, entry_id)
    assert await _unchanged() == before


async def test_d3_a_guest_without_a_share_gets_null_and_cannot_write(api):
    owner, dossier_id, entry_id, measurement_id = await _setting(api)
    before = await _unchanged()
    guest_token, _ = await guest(api)
    await _sees_nothing(api, guest_token, dossier_id, entry_id, measurement_id)
    body = await api(UPDATE, {"input": {"dossierId": dossier_id, "clientName": "X"}}, token=guest_token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # T2: no write scope at all
    assert await _unchanged() == before


async def test_d3_a_guest_with_a_share_reads_that_dossier_only_and_writes_nothing(api):
    owner, dossier_id, entry_id, measurement_id = await _setting(api)
    other = await create_ok(api, owner.token, "Other", now=NOW)
    guest_token, guest_user = await guest(api)
    await share(dossier_id, guest_user, "CONTRIBUTOR")  # even CONTRIBUTOR: a guest writes nothing
    dossier = await read(api, guest_token, dossier_id)
    assert dossier["clientName"] == "Ilse" and dossier["entries"]["edges"][0]["node"]["body"] == "Private."
    assert await read(api, guest_token, other) is None
    listed = (await api.data(DOSSIERS, token=guest_token))["dossiers"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [dossier_id]
    for answer in (await api(UPDATE, {"input": {"dossierId": dossier_id, "clientName": "X"}}, token=guest_token),
                   await api(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=guest_token)):
        assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    stored = await Dossier.get(id=pk(dossier_id))
    assert (stored.client_name, stored.archived_at) == ("Ilse", None)


async def test_d3_paid_users_of_another_account_read_as_viewer_and_write_as_contributor(api):
    owner, dossier_id, entry_id, _ = await _setting(api)
    from domain.accounts.models import User

    viewer_practice = await practice(api, now=NOW)
    contributor_practice = await practice(api, now=NOW)
    await share(dossier_id, await User.get(email=viewer_practice.owner_email), "VIEWER")
    await share(dossier_id, await User.get(email=contributor_practice.owner_email), "CONTRIBUTOR")

    assert (await read(api, viewer_practice.token, dossier_id))["clientName"] == "Ilse"
    refused = await api(UPDATE, {"input": {"dossierId": dossier_id, "clientName": "X"}}, token=viewer_practice.token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"

    written = await add_entry(api, contributor_practice.token, dossier_id, "From a partner.", now=NOW)
    assert written["userErrors"] == [] and written["entry"]["author"]["email"] == contributor_practice.owner_email
    # The write counts for the dossier's own account, not the contributor's.
    usage = "{ account { usage(month: \"2026-04\") { count } } }"
    assert (await api.data(usage, token=owner.token))["account"]["usage"]["count"] == 1
    assert (await api.data(usage, token=contributor_practice.token))["account"]["usage"]["count"] == 0
    # Share holders do not get the account's teammates, nor may they archive.
    assert (await read_assignees(api, contributor_practice.token, dossier_id)) == []
    archive = await api(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=contributor_practice.token)
    assert archive["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def read_assignees(api, token, dossier_id):
    query = "query($id: ID!) { dossier(id: $id) { assignees { id } } }"
    return (await api.data(query, {"id": dossier_id}, token=token))["dossier"]["assignees"]


async def test_d2_assigned_members_see_and_write_their_dossiers_only(api):
    owner, dossier_id, entry_id, _ = await _setting(api)
    member_token, membership_id = await teammate(api, owner.account_id, email="member@example.org")
    teammate_id = global_id("Teammate", membership_id)
    assigned = (await api.data(ASSIGN, {"input": {"dossierId": dossier_id, "teammateId": teammate_id}},
                               token=owner.token))["assignTeammate"]
    assert assigned["userErrors"] == []
    assert [a["user"]["email"] for a in assigned["dossier"]["assignees"]] == ["member@example.org"]

    assert (await read(api, member_token, dossier_id))["clientName"] == "Ilse"
    assert (await revise(api, member_token, entry_id, "Edited by member.", now=NOW))["userErrors"] == []
    listed = (await api.data(DOSSIERS, token=member_token))["dossiers"]["edges"]
    assert [edge["node"]["id"] for edge in listed] == [dossier_id]

    # A member creates a dossier: they are assigned to it and see it.
    own = await create_ok(api, member_token, "Made by member", now=NOW)
    assert (await read(api, member_token, own))["clientName"] == "Made by member"

    # Members cannot assign (no teammates:manage scope) ...
    body = await api(ASSIGN, {"input": {"dossierId": dossier_id, "teammateId": teammate_id}}, token=member_token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # ... and unassigning takes access away on the next request.
    gone = await api.data(UNASSIGN, {"input": {"dossierId": dossier_id, "teammateId": teammate_id}}, token=owner.token)
    assert gone["unassignTeammate"]["userErrors"] == [] and gone["unassignTeammate"]["dossier"]["assignees"] == []
    assert await read(api, member_token, dossier_id) is None


async def test_d2_only_teammates_of_the_same_account_can_be_assigned(api):
    owner, dossier_id, _, _ = await _setting(api)
    stranger = await practice(api, now=NOW)
    from domain.accounts.models import Membership

    foreign = await Membership.get(account_id=stranger.account_id)
    answer = (await api.data(ASSIGN, {"input": {"dossierId": dossier_id, "teammateId": global_id("Teammate", foreign.id)}},
                             token=owner.token))["assignTeammate"]
    assert [(e["code"], e["field"]) for e in answer["userErrors"]] == [("NOT_FOUND", ["teammateId"])]


async def test_d2_admins_see_and_write_every_dossier_of_their_account(api):
    owner, dossier_id, entry_id, _ = await _setting(api)
    admin_token, _ = await teammate(api, owner.account_id, "ADMIN")
    assert (await read(api, admin_token, dossier_id))["clientName"] == "Ilse"
    assert (await add_entry(api, admin_token, dossier_id, "Admin note.", now=NOW))["userErrors"] == []


async def test_p3_operators_see_no_dossier_content(api):
    owner, dossier_id, entry_id, measurement_id = await _setting(api)
    from domain.accounts.models import User
    from tests.support.dossiers import token_for

    operator = await User.create(email="op@casebook.example", name="Op", is_operator=True,
                                 created_at=(await User.first()).created_at)
    token = await token_for(api, operator)
    body = await api("query($id: ID!) { dossier(id: $id) { clientName } }", {"id": dossier_id}, token=token)
    assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN" and body["data"] == {"dossier": None}
    for node_id in (dossier_id, entry_id, measurement_id):
        assert (await api.data(NODE, {"id": node_id}, token=token))["node"] is None


async def test_ids_of_another_type_are_answered_like_missing_ones(api):
    owner, dossier_id, entry_id, _ = await _setting(api)
    assert await read(api, owner.token, entry_id) is None
    answer = await add_entry(api, owner.token, entry_id, "x", now=NOW)
    assert [e["code"] for e in answer["userErrors"]] == ["NOT_FOUND"]
    assert [e["code"] for e in (await add_entry(api, owner.token, "garbage", "x", now=NOW))["userErrors"]] == ["NOT_FOUND"]
