"""The account archive's tables for a spreadsheet (L2): the team and its roles over
time, the audit log (P1) and the read log (P2), each a CSV file whose columns are
described once here — the same list writes the header row (in the account's language),
the rows, and the W3C CSV-on-the-Web metadata (`csv-metadata.json`) that documents them.

Rows are read a chunk at a time by keyset, like the dossiers (domain.exports.content).
Times are ISO 8601 in the account's time zone with its offset, so a spreadsheet shows
the practice's clock and a program still reads an exact moment."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, AsyncIterator
from zoneinfo import ZoneInfo

from infra.db import execute, placeholders
from domain.core.ids import global_id
from domain.core.translations import N_
from domain.exports.content import CHUNK, ledger_lines
from domain.exports.documents import day, decimal_text


@dataclass(frozen=True)
class Column:
    name: str          # stable, English: what a program reads (csv-metadata.json)
    title: str         # the header a person reads, translated
    datatype: str      # CSVW datatype
    description: str   # for csv-metadata.json, translated


@dataclass(frozen=True)
class Table:
    path: str
    title: str
    columns: tuple[Column, ...]


TEAM = Table("team.csv", N_("The team: who was a teammate, in which role, from when until when"), (
    Column("userId", N_("Person"), "string", N_("The person's id, as in the API")),
    Column("name", N_("Name"), "string", N_("Their name now")),
    Column("email", N_("Email address"), "string", N_("Their address now")),
    Column("role", N_("Role"), "string", N_("OWNER, ADMIN or MEMBER")),
    Column("from", N_("From"), "datetime", N_("When they got this role; empty when it was before the audit log")),
    Column("until", N_("Until"), "datetime", N_("When the role ended; empty while it lasts")),
))
AUDIT_LOG = Table("audit-log.csv", N_("The audit log: security-relevant events, oldest first"), (
    Column("id", N_("Number"), "integer", N_("The event's number, increasing")),
    Column("at", N_("When"), "datetime", N_("When it happened")),
    Column("action", N_("Event"), "string", N_("What happened, e.g. teammate.added")),
    Column("actorUserId", N_("By"), "string", N_("Who did it (a person's id), if anyone")),
    Column("actorEmail", N_("By (address)"), "string", N_("Their address now")),
    Column("subject", N_("Concerning"), "string", N_("What it concerns, e.g. user:12")),
    Column("detail", N_("Details"), "json", N_("Further details, as JSON")),
    Column("requestId", N_("Request"), "string", N_("The request it was part of")),
))
READ_LOG = Table("read-log.csv", N_("The read log: who read which dossier, when, oldest first"), (
    Column("at", N_("When"), "datetime", N_("When the dossier was read")),
    Column("dossierId", N_("Dossier"), "string", N_("The dossier's id, as in dossiers/<id>.json")),
    Column("userId", N_("Person"), "string", N_("Who read it (a person's id)")),
    Column("email", N_("Email address"), "string", N_("Their address now")),
))
LEDGER = Table("ledger.csv", N_("The subscription's ledger: every charge, oldest first"), (
    Column("id", N_("Line"), "string", N_("The ledger line's id, as in ledger.json")),
    Column("createdAt", N_("Booked"), "datetime", N_("When it was charged")),
    Column("kind", N_("Kind"), "string", N_("What kind of charge, e.g. PERIOD or PRORATION")),
    Column("description", N_("Description"), "string", N_("What was charged")),
    Column("quantity", N_("Quantity"), "integer", N_("How many")),
    Column("amount", N_("Amount"), "decimal", N_("The amount, with a decimal point")),
    Column("currency", N_("Currency"), "string", N_("ISO 4217 code, e.g. EUR")),
    Column("periodStart", N_("Period from"), "date", N_("First day of the period charged")),
    Column("periodEnd", N_("Period until"), "date", N_("Day after the period charged (exclusive)")),
    Column("explanation", N_("Calculation"), "string", N_("How the amount was computed")),
))
TABLES = (TEAM, AUDIT_LOG, READ_LOG, LEDGER)


def local_time(value: Any, zone: ZoneInfo) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(zone).isoformat(timespec="seconds")


def _detail(value: Any) -> dict:
    if value in (None, ""):
        return {}
    return json.loads(value) if isinstance(value, (str, bytes)) else dict(value)


async def _chunks(conn: Any, sql: str, account_id: int) -> AsyncIterator[dict]:
    """`sql` selects `id` first, filtered by `account_id = $1 AND id > $2`, with `LIMIT $3`."""
    last = 0
    while True:
        _, rows = await execute(conn, sql, [account_id, last, CHUNK])
        for row in rows:
            yield row
        if len(rows) < CHUNK:
            return
        last = rows[-1]["id"]


_TEAM_ACTIONS = ("auth.sign_up", "teammate.added", "teammate.role_changed", "teammate.removed")


async def team_rows(conn: Any, account_id: int, zone: ZoneInfo) -> AsyncIterator[list[str]]:
    """Role periods from the audit log's team events (P1 records each one), completed by
    today's memberships for any teammate whose joining predates those events."""
    periods: list[dict[str, Any]] = []
    open_: dict[int, dict[str, Any]] = {}
    actions = ", ".join(f"'{action}'" for action in _TEAM_ACTIONS)
    async for row in _chunks(conn, "SELECT id, action, subject, detail, created_at FROM audit_event "
                                   f"WHERE account_id = $1 AND id > $2 AND action IN ({actions}) "
                                   "ORDER BY id LIMIT $3", account_id):
        subject = row["subject"] or ""
        if not subject.startswith("user:"):
            continue
        user_id, detail = int(subject[5:]), _detail(row["detail"])
        current = open_.pop(user_id, None)
        if current is not None:
            current["until"] = row["created_at"]
        elif row["action"] == "teammate.role_changed" and detail.get("from"):
            # Joined before the log recorded joining: the old role, from an unknown start.
            periods.append({"user_id": user_id, "role": detail["from"], "from": None, "until": row["created_at"]})
        if row["action"] == "teammate.removed":
            continue
        role = {"auth.sign_up": "OWNER", "teammate.role_changed": detail.get("to")}.get(
            row["action"], detail.get("role"))
        period = {"user_id": user_id, "role": role or "MEMBER", "from": row["created_at"], "until": None}
        periods.append(period)
        open_[user_id] = period
    _, members = await execute(conn, "SELECT user_id, role, created_at FROM membership WHERE account_id = $1 "
                                     "ORDER BY id", [account_id])
    for member in members:
        if member["user_id"] not in open_:
            period = {"user_id": member["user_id"], "role": member["role"], "from": member["created_at"],
                      "until": None}
            periods.append(period)
            open_[member["user_id"]] = period
    people: dict[int, dict] = {}
    ids = sorted({period["user_id"] for period in periods})
    for start in range(0, len(ids), CHUNK):
        part = ids[start:start + CHUNK]
        marks = placeholders(1, len(part))
        _, rows = await execute(conn, f'SELECT id, name, email FROM "user" WHERE id IN ({marks})', part)
        people.update({row["id"]: row for row in rows})
    for period in periods:
        person = people.get(period["user_id"], {})
        yield [global_id("User", period["user_id"]), person.get("name", ""), person.get("email", ""),
               period["role"], local_time(period["from"], zone), local_time(period["until"], zone)]


async def audit_rows(conn: Any, account_id: int, zone: ZoneInfo) -> AsyncIterator[list[str]]:
    async for row in _chunks(conn, 'SELECT a.id AS id, a.created_at AS created_at, a.action AS action, '
                                   'a.actor_user_id AS actor_user_id, u.email AS email, a.subject AS subject, '
                                   'a.detail AS detail, a.request_id AS request_id FROM audit_event a '
                                   'LEFT JOIN "user" u ON u.id = a.actor_user_id '
                                   'WHERE a.account_id = $1 AND a.id > $2 ORDER BY a.id LIMIT $3', account_id):
        yield [str(row["id"]), local_time(row["created_at"], zone), row["action"],
               global_id("User", row["actor_user_id"]) if row["actor_user_id"] else "", row["email"] or "",
               row["subject"] or "", json.dumps(_detail(row["detail"]), ensure_ascii=False, sort_keys=True),
               row["request_id"] or ""]


async def read_rows(conn: Any, account_id: int, zone: ZoneInfo) -> AsyncIterator[list[str]]:
    async for row in _chunks(conn, 'SELECT r.id AS id, r.read_at AS read_at, r.dossier_id AS dossier_id, '
                                   'r.user_id AS user_id, u.email AS email FROM dossier_read r '
                                   'LEFT JOIN "user" u ON u.id = r.user_id '
                                   'WHERE r.account_id = $1 AND r.id > $2 ORDER BY r.id LIMIT $3', account_id):
        yield [local_time(row["read_at"], zone), global_id("Dossier", row["dossier_id"]),
               global_id("User", row["user_id"]), row["email"] or ""]


async def ledger_rows(conn: Any, account_id: int, zone: ZoneInfo) -> AsyncIterator[list[str]]:
    async for row in ledger_lines(conn, account_id):
        yield [global_id("LedgerLine", row["id"]), local_time(row["created_at"], zone), row["kind"],
               row["description"], str(row["quantity"]), decimal_text(row["amount"]), row["currency"],
               day(row["period_start"]) or "", day(row["period_end"]) or "", row["explanation"] or ""]
