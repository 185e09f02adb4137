"""The account archive (D8, L2): everything an account needs to leave — its dossiers
with their history, its team and their roles over time, its audit log (P1), its read log
(P2) and its ledger (Q4) — as one ZIP, streamed, with a README in the account's language.

The archive is a list of parts (`PARTS`). Each part writes its own member(s) and says
what it is: its path, a one-line description for the README (translated), its format and
the file that documents it (a JSON Schema under `schemas/`, or `csv-metadata.json` for
CSV tables). Adding a part — invoices, say — is one `ArchivePart` in `PARTS`; the README,
the manifest and the tests pick it up from there."""
from __future__ import annotations

import csv
import io
import json
import os
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, AsyncIterator, Awaitable, Callable, Iterable
from zoneinfo import ZoneInfo

from domain.core.ids import global_id
from domain.core.locale_format import format_moment
from domain.core.translations import N_, translations
from domain.exports import documents
from domain.exports.invoices import INVOICES_FORMAT, write_invoices
from domain.exports.archive_tables import AUDIT_LOG, LEDGER, READ_LOG, TABLES, TEAM, Table, audit_rows, \
    ledger_rows, read_rows, team_rows
from domain.exports.content import BatchReader, Parts, account_batches, ledger_lines
from domain.exports.labels import dossier_labels
from domain.exports.models import Export

SCHEMAS = Path(__file__).parent / "schemas"
CSV_METADATA = "csv-metadata.json"


@dataclass
class ArchiveBuild:
    """What every part writes from."""

    conn: Any
    export: Export
    practice: dict[str, Any]
    generated_at: datetime
    heartbeat: Any = None
    dossier_count: int = 0

    @property
    def locale(self) -> str:
        return self.practice.get("locale", "EN")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.practice["timeZone"])

    def about(self) -> dict[str, Any]:
        return {"exportId": global_id("Export", self.export.id),
                "requestedBy": documents.author(self.export.requested_by_user_id, self.export.requested_by_email)}

    def parts(self) -> Parts:
        return Parts(shares=self.export.includes_shares, access_log=self.export.includes_access_log)


@dataclass(frozen=True)
class ArchivePart:
    path: str            # the member's path, or a pattern for a folder ("dossiers/<id>.json")
    description: str     # one line of the README, marked for translation with N_
    format: str          # a casebook.* JSON format, or "text/csv"
    documented_by: str   # the schema file in the archive that describes it
    write: Callable[[ArchiveBuild, zipfile.ZipFile], Awaitable[None]]


def _member(archive: zipfile.ZipFile, name: str) -> Any:
    return archive.open(name, "w", force_zip64=True)


async def _write_dossiers(build: ArchiveBuild, archive: zipfile.ZipFile) -> None:
    async for batch in account_batches(build.conn, build.export.account_id, up_to_id=build.export.dossier_id_limit):
        reader = BatchReader(build.conn, build.export.account_id, [row["id"] for row in batch], build.parts())
        for row in sorted(batch, key=lambda item: item["id"]):
            with archive.open(f"dossiers/{global_id('Dossier', row['id'])}.json", "w", force_zip64=False) as member:
                write = documents.Writer(member.write)
                write(documents.header(documents.DOSSIER_FORMAT, build.generated_at, build.practice,
                                       **build.about()))
                write('  "dossier": ')
                await documents.write_dossier(write, row, reader)
                write("\n}\n")
                write.flush()
            build.dossier_count += 1
        if build.heartbeat is not None:
            await build.heartbeat()


async def _write_ledger(build: ArchiveBuild, archive: zipfile.ZipFile) -> None:
    with _member(archive, "ledger.json") as member:
        write = documents.Writer(member.write)
        write(documents.header(documents.LEDGER_FORMAT, build.generated_at, build.practice, **build.about()))
        write('  "lines": [')
        first = True
        async for line in ledger_lines(build.conn, build.export.account_id):
            write(("\n    " if first else ",\n    ") + documents.dumps(documents.ledger_line(line)))
            first = False
        write("]\n}\n" if first else "\n  ]\n}\n")
        write.flush()


def csv_part(table: Table, description: str,
             rows: Callable[[ArchiveBuild], AsyncIterator[list[str]]]) -> ArchivePart:
    """A CSV table (RFC 4180, UTF-8 with a byte-order mark so spreadsheets read it as UTF-8),
    its header row in the account's language, its columns in csv-metadata.json."""

    async def write(build: ArchiveBuild, archive: zipfile.ZipFile) -> None:
        catalog = translations(build.locale)
        with _member(archive, table.path) as member:
            text = io.TextIOWrapper(member, encoding="utf-8-sig", newline="")
            out = csv.writer(text)
            out.writerow([catalog.gettext(column.title) for column in table.columns])
            async for row in rows(build):
                out.writerow(row)
            text.flush()
            text.detach()

    return ArchivePart(table.path, description, "text/csv", CSV_METADATA, write)


PARTS: tuple[ArchivePart, ...] = (
    ArchivePart("dossiers/<id>.json", N_("one file per dossier, archived ones too: the client's profile, every "
                                        "version of every entry with its author and time, measurements, shares "
                                        "and who read it"),
                documents.DOSSIER_FORMAT, "schemas/dossier.schema.json", _write_dossiers),
    csv_part(TEAM, N_("the team: every teammate and their roles over time"),
             lambda build: team_rows(build.conn, build.export.account_id, build.zone)),
    csv_part(AUDIT_LOG, N_("the audit log: sign-ins, team changes, shares given and revoked, subscription "
                           "changes, exports and other security-relevant events"),
             lambda build: audit_rows(build.conn, build.export.account_id, build.zone)),
    csv_part(READ_LOG, N_("the read log: who read which dossier, when"),
             lambda build: read_rows(build.conn, build.export.account_id, build.zone)),
    ArchivePart("ledger.json", N_("the subscription's ledger: every charge, with its period and how it was "
                                  "computed"),
                documents.LEDGER_FORMAT, "schemas/ledger.schema.json", _write_ledger),
    csv_part(LEDGER, N_("the same ledger as a table, for a spreadsheet or bookkeeping software"),
             lambda build: ledger_rows(build.conn, build.export.account_id, build.zone)),
    ArchivePart("invoices.json", N_("the invoices and credit notes, each as it was issued: number, date, seller "
                                    "and buyer, lines, VAT and totals (their PDFs stay in the app)"),
                INVOICES_FORMAT, "schemas/invoices.schema.json", write_invoices),
)


def readme(parts: Iterable[ArchivePart], practice: dict[str, Any], generated: str, locale: str) -> str:
    catalog = translations(locale)
    _ = catalog.gettext
    rows = [("README.txt", _("this file")),
            ("manifest.json", _("what this archive is: its format, the practice, when it was made, and its parts")),
            *[(part.path, _(part.description)) for part in parts],
            (CSV_METADATA, _("the columns of every CSV file (W3C CSV on the Web)")),
            ("schemas/", _("a JSON Schema for every JSON file"))]
    width = max(len(path) for path, _text in rows) + 2
    title = _("Casebook account archive of %(practice)s") % {"practice": practice["name"]}
    lines = [title, "=" * len(title), "", _("Made on %(when)s.") % {"when": generated}, ""]
    lines += [f"{path.ljust(width)}{text}" for path, text in rows]
    lines += ["", _("Times in JSON files are in UTC; times in CSV files are in %(zone)s, with their offset. "
                    "CSV files are UTF-8, separated by commas; in a spreadsheet, open them as text/CSV "
                    "import.") % {"zone": practice["timeZone"]}, ""]
    return "\n".join(lines)


def csv_metadata(locale: str) -> dict[str, Any]:
    """CSVW metadata (https://www.w3.org/TR/tabular-metadata/) of every CSV table."""
    catalog = translations(locale)
    return {"@context": "http://www.w3.org/ns/csvw", "dialect": {"encoding": "utf-8", "header": True},
            "tables": [{"url": table.path, "dc:title": catalog.gettext(table.title),
                        "tableSchema": {"columns": [
                            {"name": column.name, "titles": catalog.gettext(column.title),
                             "datatype": column.datatype, "dc:description": catalog.gettext(column.description)}
                            for column in table.columns]}} for table in TABLES]}


async def write_archive(conn: Any, export: Export, practice: dict, path: Path, generated_at: datetime,
                        heartbeat: Any = None, parts: tuple[ArchivePart, ...] = PARTS) -> int:
    """The account archive, streamed into a ZIP file: each part writes its members as it
    reads; the README, the schemas and the manifest come last. Returns the dossier count."""
    build = ArchiveBuild(conn, export, practice, generated_at, heartbeat)
    handle = open(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb")
    with handle, zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        for part in parts:
            await part.write(build, archive)
        generated = format_moment(generated_at, build.locale, practice["timeZone"], with_zone=True)
        archive.writestr("README.txt", readme(parts, practice, generated, build.locale))
        archive.writestr(CSV_METADATA, json.dumps(csv_metadata(build.locale), ensure_ascii=False, indent=2) + "\n")
        for schema in sorted(SCHEMAS.glob("*.schema.json")):
            archive.write(schema, f"schemas/{schema.name}")
        manifest = documents.header(
            documents.ARCHIVE_FORMAT, generated_at, practice, **build.about(), dossierCount=build.dossier_count,
            parts=[{"path": part.path, "format": part.format, "documentedBy": part.documented_by}
                   for part in parts],
            labels=dossier_labels(build.locale))
        archive.writestr("manifest.json", manifest.rstrip(",\n") + "\n}\n")
    return build.dossier_count
