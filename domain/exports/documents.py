"""The JSON export format (docs/exports.md), written as a stream.

A dossier document is `{"format": "casebook.dossier", "formatVersion": 1, …, "dossier":
{…}}`. Ids are the API's global ids; times are ISO 8601 in UTC; decimals are strings, as
in the API. Fields may be added in later versions of the same format; a change that
breaks a reader gets a new `formatVersion`.

Entries and their versions, measurements, shares and access-log rows are written as they
come from their streams (domain.exports.content), so a dossier with years of history is
never held in memory whole.
"""
from __future__ import annotations

import json
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, Callable

from domain.core.ids import global_id
from domain.exports.content import BatchReader

DOSSIER_FORMAT = "casebook.dossier"
ARCHIVE_FORMAT = "casebook.account-archive"
LEDGER_FORMAT = "casebook.ledger"
FORMAT_VERSION = 1


def when(value: Any) -> str | None:
    """A stored time as ISO 8601 in UTC (SQLite hands back text, PostgreSQL datetimes)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def day(value: Any) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else value.isoformat()


def decimal_text(value: Any) -> str:
    """Plain digits, no exponent, no trailing zeros ("72.5", "100")."""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    return format(number.normalize() + 0, "f")


def free_fields(value: Any) -> list[dict[str, str]]:
    if value in (None, ""):
        return []
    return json.loads(value) if isinstance(value, (str, bytes)) else list(value)


def author(user_id: int, email: str) -> dict[str, str]:
    return {"userId": global_id("User", user_id), "email": email}


def profile(row: dict) -> dict[str, Any]:
    return {
        "id": global_id("Dossier", row["id"]),
        "clientName": row["client_name"],
        "reference": row["reference"],
        "dateOfBirth": day(row["date_of_birth"]),
        "freeFields": [{"name": item["name"], "value": item["value"]} for item in free_fields(row["free_fields"])],
        "archived": row["archived_at"] is not None,
        "archivedAt": when(row["archived_at"]),
        "createdAt": when(row["created_at"]),
        "updatedAt": when(row["updated_at"]),
    }


def version(row: dict) -> dict[str, Any]:
    return {"version": row["r_version"], "body": row["body"],
            "author": author(row["author_user_id"], row["author_email"]), "writtenAt": when(row["written_at"])}


def entry_head(row: dict) -> dict[str, Any]:
    return {"id": global_id("Entry", row["e_id"]), "kind": row["kind"], "createdAt": when(row["created_at"]),
            "currentVersion": row["current_version"]}


def measurement(row: dict) -> dict[str, Any]:
    return {"id": global_id("Measurement", row["id"]), "metric": row["metric"], "value": decimal_text(row["value"]),
            "unit": row["unit"], "measuredAt": when(row["measured_at"]), "recordedAt": when(row["created_at"]),
            "author": author(row["author_user_id"], row["author_email"])}


def share(row: dict) -> dict[str, Any]:
    return {"id": global_id("Share", row["id"]), "email": row["email"], "access": row["access"],
            "status": "REVOKED" if row["revoked_at"] is not None else row["status"],
            "createdAt": when(row["created_at"]), "revokedAt": when(row["revoked_at"])}


def read(row: dict) -> dict[str, Any]:
    return {"userId": global_id("User", row["user_id"]), "email": row["email"], "readAt": when(row["read_at"])}


def ledger_line(row: dict) -> dict[str, Any]:
    return {"id": global_id("LedgerLine", row["id"]), "kind": row["kind"], "description": row["description"],
            "quantity": row["quantity"], "amount": decimal_text(row["amount"]), "currency": row["currency"],
            "periodStart": day(row["period_start"]), "periodEnd": day(row["period_end"]),
            "quoteId": global_id("Quote", row["quote_id"]) if row["quote_id"] else None,
            "explanation": row["explanation"], "createdAt": when(row["created_at"])}


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))


class Writer:
    """Buffers text and hands it on as UTF-8 in pieces of about 64 KiB."""

    def __init__(self, sink: Callable[[bytes], Any], size: int = 1 << 16) -> None:
        self.sink, self.size, self.parts, self.length = sink, size, [], 0

    def __call__(self, text: str) -> None:
        self.parts.append(text)
        self.length += len(text)
        if self.length >= self.size:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.sink("".join(self.parts).encode("utf-8"))
            self.parts, self.length = [], 0


def header(format_name: str, generated_at: datetime, practice: dict[str, Any], **extra: Any) -> str:
    """The opening of a document, up to and including the comma after the last field."""
    fields = {"format": format_name, "formatVersion": FORMAT_VERSION, "generatedAt": when(generated_at),
              "practice": practice, **extra}
    return "{\n" + "".join(f"  {json.dumps(key)}: {dumps(value)},\n" for key, value in fields.items())


async def write_dossier(write: Writer, row: dict, reader: BatchReader) -> None:
    """One dossier object, every part streamed from `reader`."""
    head = profile(row)
    write("{\n" + "".join(f"    {json.dumps(key)}: {dumps(value)},\n" for key, value in head.items()))
    write('    "entries": [')
    current: int | None = None
    first_entry = True
    async for item in reader.versions.of(row["id"]):
        if item["e_id"] != current:
            if current is not None:
                write("]}")
            write(("\n" if first_entry else ",\n") + "      " + dumps(entry_head(item))[:-1] + ', "versions": [')
            current, first_version, first_entry = item["e_id"], True, False
        write(("" if first_version else ", ") + dumps(version(item)))
        first_version = False
    if current is not None:
        write("]}\n    ")
    write("],\n")
    await _list(write, "measurements", reader.measurements.of(row["id"]), measurement)
    write(",\n")
    await _list(write, "shares", reader.shares.of(row["id"]) if reader.shares else None, share)
    write(",\n")
    await _list(write, "accessLog", reader.reads.of(row["id"]) if reader.reads else None, read)
    write("\n  }")


async def _list(write: Writer, key: str, rows: Any, shape: Callable[[dict], dict]) -> None:
    """`"key": [ … ]`, or `"key": null` when the reader may not see this part."""
    if rows is None:
        write(f"    {json.dumps(key)}: null")
        return
    write(f"    {json.dumps(key)}: [")
    first = True
    async for row in rows:
        write(("\n" if first else ",\n") + "      " + dumps(shape(row)))
        first = False
    write("]" if first else "\n    ]")
