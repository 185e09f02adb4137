"""Bringing an archived dossier back (SPEC D6): whoever may archive it (issue 20); audited; announced as
`dossier.updated`; not activity (A1); refused like everything else the principal may
not see or do — and a refusal writes nothing."""
import json

from domain.audit.models import AuditEvent
from domain.dossiers.models import ActiveDossier
from domain.webhooks.models import WebhookDelivery
from tests.integration.outbox.test_events import _subscribe
from tests.support.dossiers import ARCHIVE, DOSSIERS, add_entry, create_ok, guest, pk, practice, share, teammate

APRIL = "2026-04-10T09:00:00+02:00"
MAY = "2026-05-12T09:00:00+02:00"

UNARCHIVE = """mutation($input: UnarchiveDossierInput!) {
  unarchiveDossier(input: $input) { dossier { id archived activeThisMonth } userErrors { code message field } } }"""


async def _archived(api, owner) -> str:
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    body = await api.data(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=owner.token, now=APRIL)
    assert body["archiveDossier"]["userErrors"] == []
    return dossier_id


async def test_d6_an_owner_brings_an_archived_dossier_back_into_the_list_and_to_writes(api):
    owner = await practice(api, now=APRIL)
    dossier_id = await _archived(api, owner)

    payload = (await api.data(UNARCHIVE, {"input": {"dossierId": dossier_id}}, token=owner.token,
                              now=MAY))["unarchiveDossier"]

    assert payload["userErrors"] == []
    assert payload["dossier"]["archived"] is False
    listed = await api.data(DOSSIERS, {"first": 10}, token=owner.token, now=MAY)
    assert [edge["node"]["id"] for edge in listed["dossiers"]["edges"]] == [dossier_id]
    assert (await add_entry(api, owner.token, dossier_id, "Back again.", now=MAY))["userErrors"] == []


async def test_d6_unarchiving_is_audited_announced_and_not_activity(api):
    owner = await practice(api, now=APRIL)
    dossier_id = await _archived(api, owner)
    await _subscribe(api, owner.token)
    api.deliver = False

    payload = (await api.data(UNARCHIVE, {"input": {"dossierId": dossier_id}}, token=owner.token,
                              now=MAY))["unarchiveDossier"]

    assert payload["dossier"]["activeThisMonth"] is False  # A1: not a content write
    assert await ActiveDossier.filter(dossier_id=pk(dossier_id), month="2026-05").count() == 0
    [event] = await AuditEvent.filter(action="dossier.unarchived")
    assert (event.account_id, event.subject) == (owner.account_id, f"dossier:{pk(dossier_id)}")
    [announced] = [json.loads(d.body) for d in await WebhookDelivery.all()
                   if json.loads(d.body)["type"] == "dossier.updated"]
    assert announced["data"]["dossierId"] == dossier_id


async def test_d6_whoever_may_archive_may_unarchive_and_no_one_else(api):
    """Issue 20's probe: an assigned member archived, then un-archiving was FORBIDDEN."""
    owner = await practice(api, now=APRIL)
    member_token, _ = await teammate(api, owner.account_id, "MEMBER")
    other_member, _ = await teammate(api, owner.account_id, "MEMBER")
    dossier_id = await create_ok(api, member_token, "Assigned to the member", now=APRIL)
    await api.data(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=member_token, now=APRIL)

    hidden = (await api.data(UNARCHIVE, {"input": {"dossierId": dossier_id}}, token=other_member,
                             now=MAY))["unarchiveDossier"]
    assert hidden["userErrors"][0]["code"] == "NOT_FOUND"  # D4: not assigned, so not there
    assert await AuditEvent.filter(action="dossier.unarchived").count() == 0

    done = (await api.data(UNARCHIVE, {"input": {"dossierId": dossier_id}}, token=member_token,
                           now=MAY))["unarchiveDossier"]
    assert done["userErrors"] == [] and done["dossier"]["archived"] is False


async def test_d4_another_account_a_guest_and_a_bad_id_get_not_found_and_nothing_changes(api):
    owner = await practice(api, now=APRIL)
    other = await practice(api, now=APRIL)
    dossier_id = await _archived(api, owner)
    guest_token, guest_user = await guest(api)
    await share(dossier_id, guest_user)

    for token, target in ((other.token, dossier_id), (owner.token, "bm9wZToxMjM")):
        payload = (await api.data(UNARCHIVE, {"input": {"dossierId": target}}, token=token,
                                  now=MAY))["unarchiveDossier"]
        assert payload["userErrors"][0]["code"] == "NOT_FOUND"
    refused = await api(UNARCHIVE, {"input": {"dossierId": dossier_id}}, token=guest_token, now=MAY)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # guests hold no write scope
    assert await AuditEvent.filter(action="dossier.unarchived").count() == 0
    archived = await api.data(DOSSIERS, {"first": 10, "archived": True}, token=owner.token, now=MAY)
    assert [edge["node"]["archived"] for edge in archived["dossiers"]["edges"]] == [True]


async def test_d6_unarchiving_an_active_dossier_answers_like_archiving_an_archived_one(api):
    """Issue 20's probe: a second archive was DOSSIER_ARCHIVED while un-archiving an active
    dossier quietly succeeded; now each answers its state's code and changes nothing."""
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    payload = (await api.data(UNARCHIVE, {"input": {"dossierId": dossier_id}}, token=owner.token,
                              now=APRIL))["unarchiveDossier"]
    assert [error["code"] for error in payload["userErrors"]] == ["DOSSIER_NOT_ARCHIVED"]
    assert payload["dossier"] is None
    assert await AuditEvent.filter(action="dossier.unarchived").count() == 0
