"""Exports in the account's language (L1) and the complete account archive (L2): a PDF
read back as text in Dutch and in German, the JSON's labels, and an archive holding
each part — dossiers, team with roles over time, audit log, read log, ledger — read
back and checked against the schemas it carries."""
import csv
import io
import json
import zipfile

import jsonschema_rs
from pypdf import PdfReader

from domain.exports.archive import PARTS
from tests.support.dossiers import add_entry, create_ok, global_id, pk, read, record, teammate
from tests.support.exports import download, export_account, export_dossier, ready
from tests.support.flows import sign_up
from tests.support.teammates import CHANGE_ROLE, REMOVE

MAY_15 = "2026-05-15T10:00:00+02:00"
MAY_20 = "2026-05-20T10:00:00+02:00"


async def _owner(api, locale: str) -> tuple[str, int]:
    payload = await sign_up(api, locale=locale, seats=3, now=MAY_15)
    return payload["accessToken"], pk(payload["viewer"]["account"]["id"])


async def _pdf_text(api, locale: str) -> str:
    token, _ = await _owner(api, locale)
    dossier_id = await create_ok(api, token, "Zoë Brontë", now=MAY_15, dateOfBirth="1950-05-15")
    await add_entry(api, token, dossier_id, "Intake; doelen afgesproken.", now=MAY_15)
    await record(api, token, dossier_id, "72.5", measured_at=MAY_15, now=MAY_15)
    export = await ready(api, token, await export_dossier(api, token, dossier_id, "PDF", now=MAY_15))
    content = (await download(api, export["downloadUrl"], token)).content
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


async def test_l1_a_dutch_pdf_export_reads_in_dutch(api):
    text = await _pdf_text(api, "NL")
    assert "Cliëntdossier: Zoë Brontë" in text and "Pagina 1 van 1" in text
    assert "15 mei 1950" in text            # date of birth
    assert "geschreven op 15 mei 2026, 10:00" in text and "Notitie" in text
    assert "72,5 kg" in text and "Metingen (1)" in text
    for english in ("Client file", "Page 1", "Measurements", "Date of birth", "written", "May"):
        assert english not in text, english


async def test_l1_a_german_pdf_export_reads_in_german(api):
    text = await _pdf_text(api, "DE")
    assert "Klientendossier: Zoë Brontë" in text and "Seite 1 von 1" in text
    assert "15. Mai 1950" in text and "Geburtsdatum" in text
    assert "geschrieben am 15. Mai 2026, 10:00" in text and "Notiz" in text
    assert "72,5 kg" in text and "Messwerte (1)" in text
    for english in ("Client file", "Page 1", "Measurements", "Date of birth", "written"):
        assert english not in text, english


async def test_l1_a_json_export_carries_the_words_a_person_reads(api):
    token, _ = await _owner(api, "DE")
    dossier_id = await create_ok(api, token, "Anna", now=MAY_15)
    export = await ready(api, token, await export_dossier(api, token, dossier_id, "JSON", now=MAY_15))
    document = json.loads((await download(api, export["downloadUrl"], token)).content)
    assert document["practice"]["locale"] == "DE"
    assert document["labels"]["fields"]["dateOfBirth"] == "Geburtsdatum"
    assert document["labels"]["entryKinds"]["MEAL_PLAN"] == "Ernährungsplan"
    assert document["dossier"]["clientName"] == "Anna"  # keys stay the format's
    _validator(_schemas_on_disk(), "dossier.schema.json").validate(document)


def _schemas_on_disk() -> dict[str, dict]:
    from domain.exports.archive import SCHEMAS

    return {path.name: json.loads(path.read_text()) for path in SCHEMAS.glob("*.schema.json")}


def _validator(schemas: dict[str, dict], name: str):
    return jsonschema_rs.validator_for(schemas[name], retriever=lambda uri: schemas[uri.rsplit("/", 1)[1]])


def _csv(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    raw = archive.read(name)
    assert raw.startswith("\ufeff".encode())  # spreadsheets take it as UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


async def test_l2_the_archive_holds_every_part_and_each_reads_back(api):
    token, account_id = await _owner(api, "NL")
    dossier_id = await create_ok(api, token, "Zoë Brontë", now=MAY_15)
    await add_entry(api, token, dossier_id, "Eerste gesprek.", now=MAY_15)
    await read(api, token, dossier_id, now=MAY_15)
    _, membership_id = await teammate(api, account_id, "MEMBER", "lid@example.org")
    teammate_id = global_id("Teammate", membership_id)
    changed = await api.data(CHANGE_ROLE, {"input": {"teammateId": teammate_id, "role": "ADMIN"}}, token=token,
                             now=MAY_15)
    assert changed["changeTeammateRole"]["userErrors"] == []
    removed = await api.data(REMOVE, {"input": {"teammateId": teammate_id}}, token=token, now=MAY_20)
    assert removed["removeTeammate"]["userErrors"] == []

    export = await ready(api, token, await export_account(api, token, now=MAY_20))
    archive = zipfile.ZipFile(io.BytesIO((await download(api, export["downloadUrl"], token)).content))
    names = set(archive.namelist())

    # The manifest lists every part; each is there and documented by a file that is there too.
    manifest = json.loads(archive.read("manifest.json"))
    assert [part["path"] for part in manifest["parts"]] == [part.path for part in PARTS] == [
        "dossiers/<id>.json", "team.csv", "audit-log.csv", "read-log.csv", "ledger.json", "ledger.csv", "invoices.json"]
    for part in manifest["parts"]:
        assert part["documentedBy"] in names
    assert f"dossiers/{dossier_id}.json" in names and manifest["dossierCount"] == 1
    assert manifest["practice"]["locale"] == "NL" and manifest["labels"]["fields"]["entries"] == "Aantekeningen"

    # JSON parts against the schemas the archive itself carries.
    schemas = {name.rsplit("/", 1)[1]: json.loads(archive.read(name)) for name in names
               if name.startswith("schemas/")}
    _validator(schemas, "account-archive.schema.json").validate(manifest)
    dossier = json.loads(archive.read(f"dossiers/{dossier_id}.json"))
    _validator(schemas, "dossier.schema.json").validate(dossier)
    assert dossier["dossier"]["entries"][0]["versions"][0]["body"] == "Eerste gesprek."
    ledger = json.loads(archive.read("ledger.json"))
    _validator(schemas, "ledger.schema.json").validate(ledger)
    assert ledger["lines"] and ledger["lines"][0]["amount"]

    # CSV parts: the header in Dutch, the columns as csv-metadata.json names them.
    metadata = json.loads(archive.read("csv-metadata.json"))
    columns = {table["url"]: table["tableSchema"]["columns"] for table in metadata["tables"]}
    assert set(columns) == {"team.csv", "audit-log.csv", "read-log.csv", "ledger.csv"}
    tables = {}
    for name, described in columns.items():
        header, *rows = _csv(archive, name)
        assert header == [column["titles"] for column in described]
        tables[name] = [dict(zip([column["name"] for column in described], row)) for row in rows]
    assert _csv(archive, "team.csv")[0] == ["Persoon", "Naam", "E-mailadres", "Rol", "Van", "Tot"]

    team = tables["team.csv"]
    owner_rows = [row for row in team if row["role"] == "OWNER"]
    assert len(owner_rows) == 1 and owner_rows[0]["from"].startswith("2026-05-15T10:00:00+02:00") \
        and owner_rows[0]["until"] == ""
    mate = [(row["role"], row["from"][:10], row["until"][:10]) for row in team if row["email"] == "lid@example.org"]
    assert mate == [("MEMBER", "", "2026-05-15"), ("ADMIN", "2026-05-15", "2026-05-20")]

    actions = [row["action"] for row in tables["audit-log.csv"]]
    assert actions[0] == "auth.sign_up" and "teammate.role_changed" in actions and "teammate.removed" in actions
    assert "export.requested" in actions
    assert all(row["at"].endswith("+02:00") for row in tables["audit-log.csv"])
    assert json.loads([row for row in tables["audit-log.csv"] if row["action"] == "teammate.role_changed"][0]
                      ["detail"])["to"] == "ADMIN"
    [charge] = tables["ledger.csv"]  # the first period, charged at sign-up, as in ledger.json
    assert (charge["id"], charge["amount"], charge["periodStart"]) == (
        ledger["lines"][0]["id"], ledger["lines"][0]["amount"], "2026-05-15")
    reads = tables["read-log.csv"]
    assert any(row["dossierId"] == dossier_id for row in reads)

    readme = archive.read("README.txt").decode("utf-8")
    assert readme.startswith("Casebook-archief van ")
    for path in ["manifest.json", "csv-metadata.json", "schemas/", *[part.path for part in PARTS]]:
        assert path in readme
    assert "het inzagelog: wie welk dossier wanneer heeft ingezien" in readme and "\nGemaakt op " in readme
