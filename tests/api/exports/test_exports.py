"""Exporting a dossier (SPEC D8): JSON that holds every version of every entry with its
author and time, a PDF a person can read; recorded (P2) and audited (P1); the file only
to the bearer who may read it (D4)."""
import io
from datetime import datetime, timedelta, timezone

import pytest
from pypdf import PdfReader

from domain.audit.models import AuditEvent
from domain.dossiers.models import DossierRead
from domain.exports.builder import sweep
from domain.exports.models import Export
from domain.outbox.models import OutboxMessage
from domain.shares.models import Share
from tests.conftest import deliver_outbox
from tests.support.dossiers import (
    ARCHIVE, DELETE, UPDATE, add_entry, create_ok, guest, pk, practice, record, revise, share, teammate,
)
from tests.support.exports import EXPORT, download, export_account, export_dossier, exported_json, ready

APRIL = "2026-04-10T09:00:00+02:00"

HISTORY = """query($id: ID!) { dossier(id: $id) { id clientName reference dateOfBirth freeFields { name value }
  entries(first: 100) { edges { node { id kind revisions { version body writtenAt author { userId email } } } } }
  measurements { id metric value unit measuredAt author { userId email } } shares { id email access status } } }"""


async def _full_dossier(api):
    """A dossier with a profile, free fields, entries in several versions by two authors,
    measurements and a share."""
    owner = await practice(api, now=APRIL)
    admin_token, _ = await teammate(api, owner.account_id, "ADMIN", email="admin@example.org")
    dossier_id = await create_ok(api, owner.token, "Zoë Brontë", reference="ZB-1", dateOfBirth="1990-02-03",
                                 freeFields=[{"name": "Allergies", "value": "Peanuts"}], now=APRIL)
    first = (await add_entry(api, owner.token, dossier_id, "Intake.", "REPORT", now=APRIL))["entry"]
    await revise(api, admin_token, first["id"], "Intake, weight 70 kg.", now="2026-04-11T09:00:00+02:00")
    await revise(api, owner.token, first["id"], "Intake, weight 70 kg; goals agreed.", now="2026-04-12T09:00:00+02:00")
    await add_entry(api, admin_token, dossier_id, "Plan: more vegetables.", "MEAL_PLAN", now=APRIL)
    await record(api, owner.token, dossier_id, "70.5")
    await record(api, admin_token, dossier_id, "69.25", measured_at="2026-04-10T07:00:00+02:00")
    guest_token, guest_user = await guest(api)
    await share(dossier_id, guest_user)
    return owner, admin_token, dossier_id, guest_token


async def test_d8_a_json_export_round_trips_every_version_of_every_entry(api):
    owner, _, dossier_id, _ = await _full_dossier(api)
    seen = (await api.data(HISTORY, {"id": dossier_id}, token=owner.token, now=APRIL))["dossier"]

    document = await exported_json(api, owner.token, dossier_id, now=APRIL)

    assert (document["format"], document["formatVersion"]) == ("casebook.dossier", 1)
    assert document["practice"]["name"].startswith("Practice ")
    dossier = document["dossier"]
    assert (dossier["id"], dossier["clientName"], dossier["reference"], dossier["dateOfBirth"]) == (
        dossier_id, "Zoë Brontë", "ZB-1", "1990-02-03")
    assert dossier["freeFields"] == [{"name": "Allergies", "value": "Peanuts"}]
    api_entries = sorted((edge["node"] for edge in seen["entries"]["edges"]), key=lambda entry: pk(entry["id"]))
    assert [(entry["id"], entry["kind"]) for entry in dossier["entries"]] == [
        (entry["id"], entry["kind"]) for entry in api_entries]
    for exported, shown in zip(dossier["entries"], api_entries):
        assert [(v["version"], v["body"], v["author"], v["writtenAt"]) for v in exported["versions"]] == [
            (r["version"], r["body"], r["author"], _utc(r["writtenAt"])) for r in shown["revisions"]]
    assert len(dossier["entries"][0]["versions"]) == 3
    assert {v["author"]["email"] for v in dossier["entries"][0]["versions"]} == {owner.owner_email,
                                                                                  "admin@example.org"}
    assert sorted((m["id"], m["value"], m["unit"], m["author"]["email"]) for m in dossier["measurements"]) == sorted(
        (m["id"], m["value"], m["unit"], m["author"]["email"]) for m in seen["measurements"])
    assert [(s["id"], s["email"], s["access"], s["status"]) for s in dossier["shares"]] == [
        (s["id"], s["email"], s["access"], s["status"]) for s in seen["shares"]]
    # P2: the owner may read who read it — the export itself included.
    assert dossier["accessLog"] and dossier["accessLog"][-1]["email"] == owner.owner_email


def _utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


async def test_d8_a_pdf_holds_the_client_s_name_the_practice_and_page_numbers(api):
    owner, _, dossier_id, _ = await _full_dossier(api)
    export = await ready(api, owner.token, await export_dossier(api, owner.token, dossier_id, "PDF", now=APRIL))

    response = await download(api, export["downloadUrl"], owner.token)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "Zoë Brontë" in text and "Intake, weight 70 kg; goals agreed." in text
    assert "Practice owner" in text and "Generated" in text and "Page 1 of" in text


async def test_d8_a_long_dossier_prints_on_numbered_pages(api):
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Łukasz Şahin", now=APRIL)
    for n in range(12):
        await add_entry(api, owner.token, dossier_id, f"Session {n}. " + "Weekly check-in. " * 60, now=APRIL)
    export = await ready(api, owner.token, await export_dossier(api, owner.token, dossier_id, "PDF", now=APRIL))
    pages = PdfReader(io.BytesIO((await download(api, export["downloadUrl"], owner.token)).content)).pages
    assert len(pages) > 2
    assert f"Page {len(pages)} of {len(pages)}" in pages[-1].extract_text()
    assert "Łukasz Şahin" in pages[0].extract_text()


async def test_d4_another_account_no_token_and_a_guest_without_access_get_nothing(api):
    owner, _, dossier_id, guest_token = await _full_dossier(api)
    other = await practice(api, now=APRIL)
    stranger_token, _ = await guest(api)
    export = await ready(api, owner.token, await export_dossier(api, owner.token, dossier_id, now=APRIL))
    url = export["downloadUrl"]
    key = url.removeprefix("/exports/")
    assert url.startswith("/exports/") and len(key) == 43 and export["id"] not in url  # 256 random bits

    answers = [await download(api, url), await download(api, url, other.token),
               await download(api, url, stranger_token), await download(api, url, guest_token),
               await download(api, url, "not-a-token"), await download(api, url + "x", owner.token),
               await download(api, "/exports/" + "A" * 43, owner.token)]

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert len({answer.content for answer in answers}) == 1
    assert (await download(api, url, owner.token)).status_code == 200
    for token in (other.token, stranger_token, guest_token):
        assert (await api.data(EXPORT, {"id": export["id"]}, token=token))["export"] is None


async def test_d8_a_teammate_of_the_same_account_cannot_take_someone_else_s_export(api):
    owner, admin_token, dossier_id, _ = await _full_dossier(api)
    export = await ready(api, owner.token, await export_dossier(api, owner.token, dossier_id, now=APRIL))
    assert (await download(api, export["downloadUrl"], admin_token)).status_code == 404
    assert (await api.data(EXPORT, {"id": export["id"]}, token=admin_token))["export"] is None


async def test_d3_a_guest_exports_what_is_shared_without_shares_or_access_log_until_revoked(api):
    owner, _, dossier_id, guest_token = await _full_dossier(api)

    document = await exported_json(api, guest_token, dossier_id)

    assert document["dossier"]["clientName"] == "Zoë Brontë"
    assert document["dossier"]["shares"] is None and document["dossier"]["accessLog"] is None
    [export] = await Export.filter(kind="DOSSIER")
    await Share.filter(dossier_id=pk(dossier_id)).update(revoked_at=datetime.now(timezone.utc))  # G6
    assert (await download(api, f"/exports/{export.download_key}", guest_token)).status_code == 404


async def test_d8_an_assigned_member_exports_shares_but_not_who_read(api):
    owner = await practice(api, now=APRIL)
    member_token, _ = await teammate(api, owner.account_id)
    dossier_id = await create_ok(api, member_token, "Anna", now=APRIL)
    document = await exported_json(api, member_token, dossier_id)
    assert document["dossier"]["shares"] == [] and document["dossier"]["accessLog"] is None


async def test_d8_archived_dossiers_export_and_the_export_is_recorded_and_audited(api):
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    await api.data(ARCHIVE, {"input": {"dossierId": dossier_id}}, token=owner.token, now=APRIL)
    reads_before = await DossierRead.filter(dossier_id=pk(dossier_id)).count()

    document = await exported_json(api, owner.token, dossier_id, now=APRIL)

    assert document["dossier"]["archived"] is True
    assert await DossierRead.filter(dossier_id=pk(dossier_id)).count() == reads_before + 1  # P2
    [requested] = await AuditEvent.filter(action="export.requested")
    assert requested.account_id == owner.account_id and requested.detail["dossierId"] == dossier_id
    assert await AuditEvent.filter(action="export.downloaded").count() == 1


async def _counts() -> tuple[int, ...]:
    return (await Export.all().count(), await AuditEvent.all().count(), await DossierRead.all().count(),
            await OutboxMessage.all().count())


async def test_d4_refusals_write_nothing(api):
    owner = await practice(api, now=APRIL)
    other = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    member_token, _ = await teammate(api, owner.account_id)
    before = await _counts()

    foreign = await export_dossier(api, other.token, dossier_id)
    bogus = await export_dossier(api, owner.token, "RG9zc2llcjo5OTk5")
    wrong_format = await export_dossier(api, owner.token, dossier_id, "ZIP")
    unassigned = await export_dossier(api, member_token, dossier_id)
    account_as_json = await export_account(api, owner.token, "JSON")
    member_account = await api(
        "mutation { exportAccount(input: {format: ZIP}) { export { id } userErrors { code } } }", token=member_token)

    assert [p["userErrors"][0]["code"] for p in (foreign, bogus, unassigned)] == ["NOT_FOUND"] * 3
    assert [p["userErrors"][0]["code"] for p in (wrong_format, account_as_json)] == ["INVALID_INPUT"] * 2
    assert member_account["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert all(p["export"] is None for p in (foreign, bogus, wrong_format, unassigned, account_as_json))
    assert await _counts() == before


ADVANCE_CLOCK = """mutation($to: DateTime!) { advanceTestClock(input: {to: $to}) { account { testClock }
  userErrors { code message } } }"""


async def test_d8_an_export_expires_and_its_file_is_deleted(api, settings):
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    export = await ready(api, owner.token, await export_dossier(api, owner.token, dossier_id))
    row = await Export.get(id=pk(export["id"]))
    path = settings.export_dir + "/" + row.file_name
    expires_at = datetime.fromisoformat(export["expiresAt"])
    assert expires_at - row.ready_at == timedelta(seconds=settings.export_ttl_seconds)
    # O4: the account lives in April (its test clock); the wall clock is far past the
    # expiry, yet the link holds until the account's clock passes it.
    assert expires_at < datetime.now(timezone.utc)
    assert await sweep(settings) == 0
    assert (await download(api, export["downloadUrl"], owner.token)).status_code == 200

    moved = await api.data(ADVANCE_CLOCK, {"to": (expires_at + timedelta(seconds=1)).isoformat()}, token=owner.token)
    assert moved["advanceTestClock"]["userErrors"] == []

    assert (await api.data(EXPORT, {"id": export["id"]}, token=owner.token))["export"]["downloadUrl"] is None
    assert (await download(api, export["downloadUrl"], owner.token)).status_code == 404
    assert await sweep(settings) == 1
    import os

    assert not os.path.exists(path)
    assert (await Export.get(id=row.id)).file_deleted_at is not None


async def test_d6_erasing_a_dossier_ends_its_exports_at_once(api, settings):
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    export = await ready(api, owner.token, await export_dossier(api, owner.token, dossier_id))
    erased = await api.data(DELETE, {"input": {"dossierId": dossier_id}}, token=owner.token)
    assert erased["deleteDossier"]["userErrors"] == []

    assert (await download(api, export["downloadUrl"], owner.token)).status_code == 404
    assert await sweep(settings) == 1


async def test_d8_asking_again_while_one_is_being_built_answers_the_same_export(api):
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    api.deliver = False
    first = await export_dossier(api, owner.token, dossier_id)
    again = await export_dossier(api, owner.token, dossier_id)
    assert first["export"]["status"] == "PENDING" and first["export"]["downloadUrl"] is None
    assert again["export"]["id"] == first["export"]["id"]
    assert await Export.all().count() == 1


async def test_d8_a_failing_build_ends_failed_after_its_attempts(api, settings, monkeypatch):
    from domain.exports import builder
    from domain.outbox.worker import Worker
    from api.worker import handlers

    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    api.deliver = False
    payload = await export_dossier(api, owner.token, dossier_id)

    async def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(builder, "_write_dossier_json", broken)
    for _ in range(builder.MAX_ATTEMPTS):
        await Worker(handlers(settings), name="w").deliver_due()
        # Due now whatever the account's clock says (O4).
        await OutboxMessage.filter(kind="export").update(available_at=datetime(1970, 1, 2, tzinfo=timezone.utc))
    export = (await api.data(EXPORT, {"id": payload["export"]["id"]}, token=owner.token))["export"]
    assert export["status"] == "FAILED" and export["downloadUrl"] is None
    assert list((__import__("pathlib").Path(settings.export_dir)).glob("*")) == []


@pytest.mark.parametrize("fmt", ["JSON", "PDF"])
async def test_t4_a_machine_credential_exports_a_dossier_but_not_who_read_it(api, fmt):
    from tests.api.auth.test_machine_credentials import _credential, _token

    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    credential, secret = await _credential(api, owner.token, scopes=("dossiers:read",))
    token = (await _token(api, credential["clientId"], secret))["accessToken"]

    export = await ready(api, token, await export_dossier(api, token, dossier_id, fmt))
    response = await download(api, export["downloadUrl"], token)

    assert response.status_code == 200
    if fmt == "JSON":
        assert response.json()["dossier"]["accessLog"] is None
    refused = await api("mutation { exportAccount(input: {format: ZIP}) { export { id } } }", token=token)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_d8_an_update_after_the_request_is_in_the_file(api):
    """The file is built from the dossier as the worker finds it."""
    owner = await practice(api, now=APRIL)
    dossier_id = await create_ok(api, owner.token, "Anna", now=APRIL)
    api.deliver = False
    payload = await export_dossier(api, owner.token, dossier_id)
    await api.data(UPDATE, {"input": {"dossierId": dossier_id, "clientName": "Anna B."}}, token=owner.token, now=APRIL)
    await deliver_outbox(api.app.state.settings)
    export = await ready(api, owner.token, payload)
    assert (await download(api, export["downloadUrl"], owner.token)).json()["dossier"]["clientName"] == "Anna B."
