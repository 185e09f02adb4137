"""The hand-written floor for the hot operations besides the dossier page: one dossier
with its entries, addEntry, shareDossier, a search, and sign-in — each a plain Starlette
endpoint on asyncpg, doing the work the API does for the same request (the same rules,
the access check, the read log, the audit, the outbox, the mail ceiling per address,
the event a write announces) in as many statements or fewer. `make bench` measures each
against its GraphQL twin and prints the ratios.

What it leaves out, each said where it matters: members (the benchmark's principals are
owners), renewals due (a fresh seed has none), webhook fan-out beyond reading the
endpoints (the seed has none), live-update listeners (its notices go to a channel
nobody listens to), and the sign-in throttle beyond its one counter read."""
from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from domain.identity.passwords import verify_password_off_loop
from auth.scopes import format_scopes, scopes_for
from auth.tokens import ACCESS, TokenService
from domain import events
from domain.core.actor import ActorKind, Role
from domain.core.secrets import token_hash
from domain.core.validation import MAX_BODY, clean_text, normalize_email
from domain.dossiers.finding import search_term
from schema.relay import encode_cursor, from_global_id, to_global_id

ENTRY_KINDS = ("NOTE", "REPORT", "RECOMMENDATION", "MEAL_PLAN")
TIER_CAPS = {"UP_TO_10": 10, "UP_TO_25": 25, "UP_TO_75": 75, "UNLIMITED": None}
SHARE_LIMIT, GUEST_LIMIT = 1000, 3

# The principal as the API re-reads it on every request (G6, I4, I5): membership, token
# version, live session, the account's two-factor policy.
PRINCIPAL_SQL = """SELECT m.id AS membership_id, m.role, u.email, u.token_version,
  (u.totp_enabled_at IS NOT NULL) AS two_factor, a.require_two_factor
FROM membership m JOIN "user" u ON u.id = m.user_id JOIN account a ON a.id = m.account_id
JOIN user_session s ON s.user_id = m.user_id AND s.ended_at IS NULL
WHERE m.account_id = $1 AND m.user_id = $2 AND s.id = $3"""
# One dossier of the principal's own account with what the answer needs beside it: the
# account's zone (for "active this month") and whether it is.
DOSSIER_SQL = """SELECT d.id, d.account_id, d.client_name, d.reference, d.archived_at,
  EXISTS (SELECT 1 FROM active_dossier ad WHERE ad.account_id = d.account_id AND ad.dossier_id = d.id
          AND ad.month = to_char(($3::timestamptz AT TIME ZONE a.time_zone), 'YYYY-MM')) AS active
FROM dossier d JOIN account a ON a.id = d.account_id WHERE d.id = $1 AND d.account_id = $2"""
ENTRIES_SQL = """SELECT e.id, e.kind, e.current_version, r.body, r.author_email, r.written_at
FROM (SELECT id, kind, current_version FROM entry WHERE dossier_id = $1 ORDER BY id DESC LIMIT $2) e
JOIN entry_revision r ON r.entry_id = e.id AND r.version = e.current_version ORDER BY e.id DESC"""
MEASUREMENTS_SQL = """SELECT metric, value, unit, measured_at FROM measurement WHERE dossier_id = $1
ORDER BY measured_at, id"""
SHARES_SQL = "SELECT email, status FROM share WHERE dossier_id = $1 AND revoked_at IS NULL ORDER BY created_at, id"
ASSIGNEES_SQL = """SELECT m.role, u.email FROM dossier_assignment a JOIN membership m ON m.id = a.membership_id
JOIN "user" u ON u.id = m.user_id WHERE a.dossier_id = $1 ORDER BY a.created_at, a.id"""
READS_SQL = """INSERT INTO dossier_read (account_id, dossier_id, user_id, read_at)
SELECT account_id, dossier_id, $3, $4 FROM unnest($1::bigint[], $2::bigint[]) AS t(dossier_id, account_id)"""
READ_SQL = "INSERT INTO dossier_read (dossier_id, account_id, user_id, read_at) VALUES ($1, $2, $3, $4)"
# A write's gate: the subscription as of today (S9 read-only after cancellation) and the
# tier's cap (A3), with the zone that decides the month.
TERMS_SQL = """SELECT s.tier, s.cancels_on, a.time_zone FROM subscription s JOIN account a ON a.id = s.account_id
WHERE s.account_id = $1"""
WRITE_ENTRY_SQL = """WITH e AS (INSERT INTO entry (account_id, dossier_id, kind, current_version, created_at)
  VALUES ($1, $2, $3, 1, $4) RETURNING id),
r AS (INSERT INTO entry_revision (account_id, entry_id, version, body, author_user_id, author_email, written_at)
  VALUES ($1, (SELECT id FROM e), 1, $5, $6, $7, $4)),
a AS (INSERT INTO active_dossier (account_id, month, dossier_id, first_written_at) VALUES ($1, $8, $2, $4)
  ON CONFLICT (account_id, month, dossier_id) DO NOTHING RETURNING id)
SELECT (SELECT id FROM e) AS id, EXISTS (SELECT 1 FROM a) AS newly_active"""
ENDPOINTS_SQL = "SELECT id, events FROM webhook_endpoint WHERE account_id = $1 AND enabled"
# What announcing an event costs (T5, T7): the account's next event number, its webhook
# endpoints, and the live-update notice PostgreSQL sends at commit. On a channel nobody
# listens to: the API's servers must not receive (and pay for) the baseline's notices.
SEQUENCE_SQL = """INSERT INTO account_event_counter (account_id, last) VALUES ($1, 1)
ON CONFLICT (account_id) DO UPDATE SET last = account_event_counter.last + 1 RETURNING last"""
NOTIFY_SQL = "SELECT pg_notify('casebook_plain_live', $1)"
# The one mail ceiling per recipient address (domain/outbox/ceiling.py), counted in the
# transaction that queues the mail.
CEILING_SQL = """INSERT INTO rate_limit (key, window_start, window_end, count) VALUES ($1, $2, $3, 1)
ON CONFLICT (key, window_start) DO UPDATE SET count = rate_limit.count + 1 RETURNING count"""
MAILS_PER_HOUR = 10
# Sign-in: the person, their accounts, a new session with its refresh token, the audit.
USER_SQL = """SELECT id, email, password_hash, token_version, (totp_enabled_at IS NOT NULL) AS two_factor
FROM "user" WHERE email = $1"""
RECOGNISED_SQL = 'SELECT "count" FROM rate_limit WHERE "key" = $1 AND window_start = $2'
MEMBERSHIPS_SQL = "SELECT account_id, role FROM membership WHERE user_id = $1 ORDER BY id"


class Refused(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class PlainOps:
    """The endpoints, sharing the page's pool and token service."""

    def __init__(self, tokens: TokenService, state: dict[str, Any]) -> None:
        self.tokens, self.state = tokens, state

    @property
    def pool(self) -> asyncpg.Pool:
        return self.state["pool"]

    async def principal(self, conn: asyncpg.Connection, request: Request, now: datetime) -> dict[str, Any]:
        _, _, token = request.headers.get("authorization", "").partition(" ")
        try:
            claims = self.tokens.decode(token.strip(), ACCESS, now)
            user_id, account_id, session_id = int(claims["sub"]), int(claims["acc"]), int(claims["sid"])
        except Exception as error:  # noqa: BLE001 - any bad token is the same answer
            raise Refused("UNAUTHENTICATED", "Sign in first.") from error
        row = await conn.fetchrow(PRINCIPAL_SQL, account_id, user_id, session_id)
        if row is None or row["token_version"] != int(claims.get("ver", -1)) or row["role"] == "MEMBER" \
                or (row["require_two_factor"] and not row["two_factor"]):
            raise Refused("UNAUTHENTICATED", "Sign in first.")  # members: not part of this baseline
        return {"user_id": user_id, "account_id": account_id, "email": row["email"]}

    async def _answer(self, request: Request, work) -> Response:  # noqa: ANN001 - work(conn, body, now)
        now = datetime.now(timezone.utc)
        body = json.loads(await request.body() or b"{}")
        try:
            async with self.pool.acquire() as conn:
                data = await work(conn, body, now)
        except Refused as refused:
            return JSONResponse({"errors": [{"message": str(refused), "extensions": {"code": refused.code}}]})
        return Response(json.dumps({"data": data}), media_type="application/json")

    # -- one dossier with its entries -------------------------------------------------

    async def one_dossier(self, request: Request) -> Response:
        async def work(conn: asyncpg.Connection, body: dict, now: datetime) -> dict:
            who = await self.principal(conn, request, now)
            dossier_id = _key(body.get("id"), "Dossier")
            row = await conn.fetchrow(DOSSIER_SQL, dossier_id, who["account_id"], now)
            if row is None:
                return {"dossier": None}  # missing and not visible answer alike
            entries = await conn.fetch(ENTRIES_SQL, dossier_id, 21)
            measurements = await conn.fetch(MEASUREMENTS_SQL, dossier_id)
            shares = await conn.fetch(SHARES_SQL, dossier_id)
            assignees = await conn.fetch(ASSIGNEES_SQL, dossier_id)
            await conn.execute(READ_SQL, dossier_id, row["account_id"], who["user_id"], now)
            return {"dossier": {
                "id": to_global_id("Dossier", row["id"]), "clientName": row["client_name"],
                "reference": row["reference"], "activeThisMonth": row["active"],
                "entries": {"pageInfo": {"hasNextPage": len(entries) > 20}, "edges": [
                    {"node": {"id": to_global_id("Entry", e["id"]), "kind": e["kind"], "body": e["body"],
                              "version": e["current_version"], "writtenAt": e["written_at"].isoformat(),
                              "author": {"email": e["author_email"]}}} for e in entries[:20]]},
                "measurements": [{"metric": m["metric"], "value": str(m["value"]), "unit": m["unit"],
                                  "measuredAt": m["measured_at"].astimezone(timezone.utc).isoformat()}
                                 for m in measurements],
                "shares": [{"email": s["email"], "status": s["status"]} for s in shares],
                "assignees": [{"role": a["role"], "user": {"email": a["email"]}} for a in assignees]}}
        return await self._answer(request, work)

    # -- addEntry ---------------------------------------------------------------------

    async def add_entry(self, request: Request) -> Response:
        async def work(conn: asyncpg.Connection, body: dict, now: datetime) -> dict:
            who = await self.principal(conn, request, now)
            payload = body.get("input") or {}
            dossier_id = _key(payload.get("dossierId"), "Dossier")
            if payload.get("kind") not in ENTRY_KINDS:
                return _user_error("addEntry", "INVALID_INPUT", "Unknown entry kind.")
            text = clean_text(payload.get("body"), field="body", max_length=MAX_BODY)
            async with conn.transaction():
                dossier = await conn.fetchrow("SELECT account_id, archived_at FROM dossier WHERE id = $1 "
                                              "AND account_id = $2", dossier_id, who["account_id"])
                if dossier is None:
                    return _user_error("addEntry", "NOT_FOUND", "No such dossier.")
                if dossier["archived_at"] is not None:
                    return _user_error("addEntry", "DOSSIER_ARCHIVED", "The dossier is archived.")
                terms = await conn.fetchrow(TERMS_SQL, who["account_id"])
                today = now.astimezone(ZoneInfo(terms["time_zone"])).date()
                if terms["cancels_on"] is not None and terms["cancels_on"] <= today:
                    return _user_error("addEntry", "ACCOUNT_READ_ONLY", "The subscription has ended.")
                month = today.strftime("%Y-%m")
                # The entry, its first version and the dossier's mark as active this month
                # in one statement, as the API writes them.
                written = await conn.fetchrow(WRITE_ENTRY_SQL, who["account_id"], dossier_id, payload["kind"], now,
                                              text, who["user_id"], who["email"], month)
                entry_id = written["id"]
                if written["newly_active"]:
                    await conn.execute("INSERT INTO active_month (account_id, month, count) VALUES ($1, $2, 0) "
                                       "ON CONFLICT (account_id, month) DO NOTHING", who["account_id"], month)
                    cap = TIER_CAPS[terms["tier"]]
                    updated = await conn.execute(
                        "UPDATE active_month SET count = count + 1 WHERE account_id = $1 AND month = $2 "
                        "AND count < $3", who["account_id"], month, cap if cap is not None else 2**31 - 1)
                    if updated.endswith(" 0"):
                        raise Refused("ACTIVE_CLIENT_LIMIT_REACHED", "The active-client cap is reached.")
                await _announce(conn, events.ENTRY_ADDED, who["account_id"], now, dossierId=("Dossier", dossier_id),
                                entryId=("Entry", entry_id))
            return {"addEntry": {"entry": {"id": to_global_id("Entry", entry_id), "version": 1}, "userErrors": []}}
        return await self._answer(request, work)

    # -- shareDossier -------------------------------------------------------------------

    async def share_dossier(self, request: Request) -> Response:
        async def work(conn: asyncpg.Connection, body: dict, now: datetime) -> dict:
            who = await self.principal(conn, request, now)
            payload = body.get("input") or {}
            dossier_id = _key(payload.get("dossierId"), "Dossier")
            email = normalize_email(payload.get("email") or "")
            access = payload.get("access")
            if access not in ("VIEWER", "CONTRIBUTOR"):
                return _user_error("shareDossier", "INVALID_INPUT", "Unknown access.")
            async with conn.transaction():
                terms = await conn.fetchrow(TERMS_SQL, who["account_id"])
                dossier = await conn.fetchrow("SELECT archived_at FROM dossier WHERE id = $1 AND account_id = $2 "
                                              "FOR UPDATE", dossier_id, who["account_id"])
                if dossier is None:
                    return _user_error("shareDossier", "NOT_FOUND", "No such dossier.")
                if dossier["archived_at"] is not None:
                    return _user_error("shareDossier", "DOSSIER_ARCHIVED", "The dossier is archived.")
                taken = await conn.fetchval(
                    "SELECT EXISTS (SELECT 1 FROM membership m JOIN \"user\" u ON u.id = m.user_id "
                    "WHERE m.account_id = $1 AND u.email = $3) OR EXISTS (SELECT 1 FROM share WHERE dossier_id = $2 "
                    "AND email = $3 AND revoked_at IS NULL)", who["account_id"], dossier_id, email)
                if taken:
                    return _user_error("shareDossier", "ALREADY_EXISTS", "Already shared or a teammate.")
                if (await conn.execute("UPDATE dossier SET share_count = share_count + 1 WHERE id = $1 "
                                       "AND share_count < $2", dossier_id, SHARE_LIMIT)).endswith(" 0"):
                    raise Refused("DOSSIER_SHARE_LIMIT_REACHED", "The dossier's share limit is reached.")
                person = await conn.fetchrow(
                    "SELECT u.id, (u.email_verified_at IS NOT NULL) AS proven, EXISTS (SELECT 1 FROM membership m "
                    "WHERE m.user_id = u.id) AS paid FROM \"user\" u WHERE u.email = $1", email)
                if not (person and person["paid"] and person["proven"]):
                    if access == "CONTRIBUTOR":
                        raise Refused("INVALID_INPUT", "Contributors must be paid users.")
                    await conn.execute("INSERT INTO guest_quota (email, held) VALUES ($1, 0) "
                                       "ON CONFLICT (email) DO NOTHING", email)
                    if (await conn.execute("UPDATE guest_quota SET held = held + 1 WHERE email = $1 AND held < $2",
                                           email, GUEST_LIMIT)).endswith(" 0"):
                        raise Refused("GUEST_DOSSIER_LIMIT_REACHED", "The guest's limit is reached.")
                status = "ACTIVE" if person and person["proven"] else "PENDING"
                share_id = await conn.fetchval(
                    "INSERT INTO share (account_id, dossier_id, email, user_id, access, status, created_by_user_id, "
                    "created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id", who["account_id"], dossier_id,
                    email, person["id"] if person and person["proven"] else None, access, status, who["user_id"], now)
                token = secrets.token_urlsafe(32)
                await conn.execute(
                    "INSERT INTO invitation (kind, email, share_id, token_hash, expires_at, created_at, account_id, "
                    "invited_by_id) VALUES ('share', $1, $2, $3, $4, $5, $6, $7)", email, share_id, token_hash(token),
                    now + timedelta(days=7), now, who["account_id"], who["user_id"])
                await conn.execute(
                    "INSERT INTO audit_event (account_id, actor_user_id, action, subject, detail, created_at) "
                    "VALUES ($1, $2, 'share.given', $3, $4, $5)", who["account_id"], who["user_id"],
                    f"share:{share_id}", json.dumps({"dossier": dossier_id, "email": email, "access": access,
                                                     "status": status}), now)
                mail = {"to": email, "subject": "A dossier was shared with you on Casebook",
                        "body": f"Hello,\n\nYou have been given access to a client's dossier.\n\n"
                                f"https://app.example/accept-invitation?token={token}\n"}
                if await _below_mail_ceiling(conn, email, now):
                    await conn.execute(
                        "INSERT INTO outbox_message (kind, account_id, payload, status, attempts, available_at, "
                        "created_at) VALUES ('mail', $1, $2, 'pending', 0, $3, $3)", who["account_id"],
                        json.dumps(mail), now)
                await _announce(conn, events.SHARE_CREATED, who["account_id"], now, dossierId=("Dossier", dossier_id),
                                shareId=("Share", share_id))
            return {"shareDossier": {"share": {"id": to_global_id("Share", share_id), "status": status},
                                     "userErrors": []}}
        return await self._answer(request, work)

    # -- search ---------------------------------------------------------------------------

    async def search(self, request: Request) -> Response:
        async def work(conn: asyncpg.Connection, body: dict, now: datetime) -> dict:
            who = await self.principal(conn, request, now)
            term = search_term(body.get("search"))
            rows = await conn.fetch(
                "SELECT id, client_name, reference FROM dossier WHERE account_id = $1 AND archived_at IS NULL "
                "AND search_text LIKE $2 ORDER BY client_name, id LIMIT $3", who["account_id"], term.pattern, 21)
            if rows:  # P2: the names shown are content, as the API logs them
                await conn.execute(READS_SQL, [r["id"] for r in rows[:20]], [who["account_id"]] * len(rows[:20]),
                                   who["user_id"], now)
            return {"dossiers": {"pageInfo": {"hasNextPage": len(rows) > 20}, "edges": [
                {"cursor": encode_cursor(r["id"], r["client_name"]),
                 "node": {"id": to_global_id("Dossier", r["id"]), "clientName": r["client_name"],
                          "reference": r["reference"]}} for r in rows[:20]]}}
        return await self._answer(request, work)

    # -- sign-in --------------------------------------------------------------------------

    async def log_in(self, request: Request) -> Response:
        async def work(conn: asyncpg.Connection, body: dict, now: datetime) -> dict:
            variables = body.get("variables") or {}
            email = normalize_email(variables.get("email") or "")
            await conn.fetchval(RECOGNISED_SQL, f"password.recognised:{email}", int(now.timestamp()) // 86400)
            user = await conn.fetchrow(USER_SQL, email)
            if not await verify_password_off_loop(user["password_hash"] if user else None,
                                                  variables.get("password") or ""):
                return _user_error("logIn", "INVALID_CREDENTIALS", "The email or password is not right.")
            memberships = await conn.fetch(MEMBERSHIPS_SQL, user["id"])
            account_id, role = memberships[0]["account_id"], Role(memberships[0]["role"])
            expires = now + timedelta(seconds=self.tokens.settings.refresh_token_ttl_seconds)
            async with conn.transaction():
                family = str(uuid.uuid4())
                session_id = await conn.fetchval(
                    "INSERT INTO user_session (family, user_id, created_at, last_used_at, expires_at) "
                    "VALUES ($1, $2, $3, $3, $4) RETURNING id", family, user["id"], now, expires)
                refresh = secrets.token_urlsafe(32)
                await conn.execute(
                    "INSERT INTO refresh_token (user_id, account_id, kind, family, token_hash, expires_at, created_at) "
                    "VALUES ($1, $2, 'paid', $3, $4, $5, $6)", user["id"], account_id, family, token_hash(refresh),
                    expires, now)
                await conn.execute(
                    "INSERT INTO audit_event (account_id, actor_user_id, action, subject, detail, created_at) "
                    "VALUES ($1, $2, 'auth.sign_in', $3, '{}', $4)", account_id, user["id"], f"user:{user['id']}", now)
            claims = {"kind": "paid", "scope": format_scopes(scopes_for(ActorKind.PAID, role)),
                      "ver": user["token_version"], "sid": str(session_id), "acc": str(account_id)}
            access, _ = self.tokens.encode(ACCESS, str(user["id"]), claims, now,
                                           self.tokens.settings.access_token_ttl_seconds)
            return {"logIn": {"accessToken": access, "userErrors": []}}
        return await self._answer(request, work)


def _key(global_id: Any, type_name: str) -> int:
    try:
        return from_global_id(str(global_id), type_name)
    except Exception as error:  # noqa: BLE001 - an unreadable id is a missing thing
        raise Refused("NOT_FOUND", "No such object.") from error


def _user_error(payload: str, code: str, message: str) -> dict:
    return {payload: {"userErrors": [{"code": code, "message": message}]}}


async def _announce(conn: asyncpg.Connection, name: str, account_id: int, now: datetime,
                    **ids: tuple[str, int]) -> None:
    """An event as the API announces one, inside the write's transaction."""
    sequence = await conn.fetchval(SEQUENCE_SQL, account_id)
    await conn.fetch(ENDPOINTS_SQL, account_id)  # the seed has none: no deliveries to queue
    await conn.execute(NOTIFY_SQL, json.dumps({"n": name, "a": account_id, "t": now.isoformat(), "s": sequence,
                                               "i": {k: [t, key] for k, (t, key) in ids.items()}, "u": []},
                                              separators=(",", ":")))


async def _below_mail_ceiling(conn: asyncpg.Connection, address: str, now: datetime) -> bool:
    epoch = int(now.timestamp())
    start = epoch - epoch % 3600
    key = "mail.recipient:address:" + hashlib.sha256(address.strip().lower().encode()).hexdigest()[:32]
    return await conn.fetchval(CEILING_SQL, key, start, start + 3600) <= MAILS_PER_HOUR
