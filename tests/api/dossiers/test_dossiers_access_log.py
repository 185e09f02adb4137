"""The access log (SPEC P2) and erasure (D6, P1): reads of a dossier's content are
recorded; owners and admins read the log; only an owner deletes, and it is audited."""
from domain.audit.models import AuditEvent
from domain.dossiers.models import ActiveDossier, Dossier, DossierRead, Entry, EntryRevision, Measurement
from tests.support.dossiers import (
    DELETE, DOSSIERS, NODE, add_entry, create_ok, global_id, pk, practice, read, record, share, teammate, guest,
)

NOW = "2026-04-10T09:00:00+02:00"
LOG = """query($id: ID!, $after: String) { dossier(id: $id) {
  accessLog(first: 2, after: $after) { edges { node { userId email readAt } } pageInfo { hasNextPage endCursor } } } }"""


async def test_p2_every_read_of_content_is_recorded_once_per_request(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Mila", now=NOW)
    await add_entry(api, owner.token, dossier_id, "x", now=NOW)
    await DossierRead.all().delete()  # the mutations' payloads read too; start from here

    await read(api, owner.token, dossier_id, now="2026-04-11T09:00:00+02:00")
    rows = await DossierRead.all()
    assert [(r.dossier_id, r.account_id) for r in rows] == [(pk(dossier_id), owner.account_id)]
    assert rows[0].read_at.isoformat() == "2026-04-11T07:00:00+00:00"

    await api.data(DOSSIERS, token=owner.token)  # the list shows client names: a read too
    await api.data("query($id: ID!) { node(id: $id) { ... on Dossier { entries { edges { node { body } } } } } }",
                   {"id": dossier_id}, token=owner.token)
    assert await DossierRead.all().count() == 3


async def test_p2_ids_alone_are_not_content_and_invisible_dossiers_log_nothing(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Noor", now=NOW)
    await DossierRead.all().delete()
    await api.data(NODE, {"id": dossier_id}, token=owner.token)
    stranger = await practice(api, now=NOW)
    assert await read(api, stranger.token, dossier_id) is None
    assert await DossierRead.all().count() == 0


async def test_p2_owners_and_admins_read_the_log_newest_first(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Olaf", now=NOW)
    admin_token, _ = await teammate(api, owner.account_id, "ADMIN", email="admin2@example.org")
    guest_token, guest_user = await guest(api, "family@example.org")
    await share(dossier_id, guest_user)
    await DossierRead.all().delete()
    await read(api, guest_token, dossier_id, now="2026-04-11T09:00:00+02:00")
    await read(api, admin_token, dossier_id, now="2026-04-12T09:00:00+02:00")

    page = (await api.data(LOG, {"id": dossier_id}, token=owner.token))["dossier"]["accessLog"]
    assert [(e["node"]["email"], e["node"]["readAt"]) for e in page["edges"]] == [
        ("admin2@example.org", "2026-04-12T07:00:00+00:00"), ("family@example.org", "2026-04-11T07:00:00+00:00")]
    assert page["pageInfo"]["hasNextPage"] is False
    assert (await api.data(LOG, {"id": dossier_id}, token=admin_token))["dossier"]["accessLog"]["edges"]


async def test_p2_members_and_share_holders_cannot_read_the_log(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Piet", now=NOW)
    member_token, membership_id = await teammate(api, owner.account_id)
    from tests.support.dossiers import ASSIGN

    await api.data(ASSIGN, {"input": {"dossierId": dossier_id, "teammateId": global_id("Teammate", membership_id)}},
                   token=owner.token)
    guest_token, guest_user = await guest(api)
    await share(dossier_id, guest_user)
    other_admin = await practice(api, now=NOW)  # owner of another account, holding a share
    from domain.accounts.models import User

    await share(dossier_id, await User.get(email=other_admin.owner_email))
    for token in (member_token, guest_token, other_admin.token):
        body = await api(LOG, {"id": dossier_id}, token=token)
        assert body["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_d6_only_an_owner_deletes_and_the_deletion_is_audited_without_content(api):
    owner = await practice(api, now=NOW)
    dossier_id = await create_ok(api, owner.token, "Quinten Secret", now=NOW)
    await add_entry(api, owner.token, dossier_id, "Sensitive.", now=NOW)
    await record(api, owner.token, dossier_id)
    await read(api, owner.token, dossier_id)
    admin_token, _ = await teammate(api, owner.account_id, "ADMIN")

    refused = await api(DELETE, {"input": {"dossierId": dossier_id}}, token=admin_token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Dossier.all().count() == 1

    deleted = (await api.data(DELETE, {"input": {"dossierId": dossier_id}}, token=owner.token, now=NOW))["deleteDossier"]
    assert deleted == {"deletedDossierId": dossier_id, "userErrors": []}
    counts = [await model.all().count() for model in (Dossier, Entry, EntryRevision, Measurement)]
    assert counts == [0, 0, 0, 0]
    assert await read(api, owner.token, dossier_id) is None

    event = await AuditEvent.get(action="dossier.deleted")
    assert (event.account_id, event.subject) == (owner.account_id, f"dossier:{pk(dossier_id)}")
    assert "Quinten" not in str(event.detail) and "Sensitive" not in str(event.detail)
    # The access log and the month's count stay: erasing must not lower the count (A2).
    assert await DossierRead.filter(dossier_id=pk(dossier_id)).count() >= 1
    assert await ActiveDossier.filter(dossier_id=pk(dossier_id)).count() == 1
    usage = "{ account { usage(month: \"2026-04\") { count activeDossiers { id } } } }"
    assert (await api.data(usage, token=owner.token))["account"]["usage"] == {"count": 1, "activeDossiers": []}
