"""The account archive (SPEC D8, S9): every dossier as JSON plus the ledger, for owners
only, also after cancellation, built by the worker with bounded memory."""
import io
import json
from decimal import Decimal
import tracemalloc
import zipfile

import pytest

from domain.audit.models import AuditEvent
from domain.dossiers.models import DossierRead
from tests.conftest import deliver_outbox
from tests.support.billing import CANCEL
from tests.support.dossiers import create_ok, practice
from tests.support.exports import download, export_account, ready
from tests.support.seed import seed_practice

APRIL = "2026-04-10T09:00:00+02:00"
AFTER_CANCELLATION = "2026-06-01T09:00:00+02:00"


def _archive(content: bytes) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(io.BytesIO(content))
    assert archive.testzip() is None
    return archive


@pytest.mark.slow
async def test_d8_an_archive_of_1000_dossiers_is_built_by_the_worker_in_bounded_memory(api):
    practice_ = await seed_practice(api, 1000, entries=3, revisions=2, shares=1, teammates=1, measurements=1)
    api.deliver = False
    payload = await export_account(api, practice_.token)
    assert payload["export"]["status"] == "PENDING"

    tracemalloc.start()
    try:
        await deliver_outbox(api.app.state.settings)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    export = await ready(api, practice_.token, payload)
    response = await download(api, export["downloadUrl"], practice_.token)
    assert response.status_code == 200 and response.headers["content-type"] == "application/zip"
    archive = _archive(response.content)
    names = archive.namelist()
    assert len([name for name in names if name.startswith("dossiers/")]) == 1000
    assert {"manifest.json", "ledger.json", "README.txt"} <= set(names)
    manifest = json.loads(archive.read("manifest.json"))
    assert (manifest["format"], manifest["formatVersion"], manifest["dossierCount"]) == (
        "casebook.account-archive", 1, 1000)
    one = json.loads(archive.read(sorted(name for name in names if name.startswith("dossiers/"))[0]))
    assert one["format"] == "casebook.dossier"
    assert [len(entry["versions"]) for entry in one["dossier"]["entries"]] == [2, 2, 2]
    assert len(one["dossier"]["shares"]) == 1 and one["dossier"]["accessLog"]
    ledger = json.loads(archive.read("ledger.json"))
    assert ledger["format"] == "casebook.ledger" and ledger["lines"][0]["amount"]
    # B6, L2: the invoices as issued.
    invoices = json.loads(archive.read("invoices.json"))
    assert invoices["format"] == "casebook.invoices"
    first = invoices["invoices"][0]
    assert (first["kind"], first["buyer"]["country"], first["vatScheme"]) == ("INVOICE", "NL", "domestic")
    assert Decimal(first["netTotal"]) == sum(Decimal(line["net"]) for line in first["lines"]) == Decimal(
        ledger["lines"][0]["amount"])
    # Bounded: a batch of profiles and a chunk per stream, not the account (≈ 1.3 MB of JSON here).
    assert peak < 12 * 2 ** 20, f"peak {peak / 2 ** 20:.1f} MiB"
    # P2 for every dossier it holds, one audit event (P1).
    assert await DossierRead.filter(account_id=practice_.account_id, user_id=practice_.user_id).count() >= 1000
    assert await AuditEvent.filter(action="export.requested", account_id=practice_.account_id).count() == 1


async def test_s9_an_owner_exports_the_account_after_cancellation_but_cannot_write(api):
    owner = await practice(api, now=APRIL)
    await create_ok(api, owner.token, "Zoë Brontë", now=APRIL)
    cancelled = (await api.data(CANCEL, token=owner.token, now=APRIL))["cancelSubscription"]
    assert cancelled["userErrors"] == []

    refused = await api.data("""mutation { createDossier(input: {clientName: "Late"}) { userErrors { code } } }""",
                             token=owner.token, now=AFTER_CANCELLATION)
    assert refused["createDossier"]["userErrors"][0]["code"] == "ACCOUNT_READ_ONLY"
    export = await ready(api, owner.token, await export_account(api, owner.token, now=AFTER_CANCELLATION))

    archive = _archive((await download(api, export["downloadUrl"], owner.token)).content)
    [dossier] = [name for name in archive.namelist() if name.startswith("dossiers/")]
    assert json.loads(archive.read(dossier))["dossier"]["clientName"] == "Zoë Brontë"


async def test_d8_the_archive_is_the_account_s_own(api):
    owner = await practice(api, now=APRIL)
    other = await practice(api, now=APRIL)
    await create_ok(api, owner.token, "Mine", now=APRIL)
    await create_ok(api, other.token, "Theirs", now=APRIL)
    export = await ready(api, owner.token, await export_account(api, owner.token))

    archive = _archive((await download(api, export["downloadUrl"], owner.token)).content)
    names = [json.loads(archive.read(name))["dossier"]["clientName"] for name in archive.namelist()
             if name.startswith("dossiers/")]
    assert names == ["Mine"]
    assert (await download(api, export["downloadUrl"], other.token)).status_code == 404
