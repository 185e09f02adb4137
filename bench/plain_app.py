"""The baseline: the benchmark's dossier page as a plain Starlette endpoint with
hand-written SQL on asyncpg — no GraphQL, no ORM, no DataLoaders.

It does the same work as `query DossierPage` through GraphQL, for an owner or admin:
verify the access token and re-read the principal (membership, token version, live
session, the two-factor policy: G6, I4, I5), read one page of the dossiers by client
name (own account's, plus those shared with the user and not held back by I5), each
dossier's five newest entries with their current text and author, its shares and its
assignees, record the reads (P2), and return the same JSON (`data` only). Serve it with
`uvicorn bench.plain_app:app` and the same DATABASE_URL / JWT settings as the API."""
from __future__ import annotations

import contextlib
import json
from datetime import datetime, timezone
from typing import Any, AsyncIterator

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from auth.tokens import TokenService
from bench.plain_ops import PlainOps, Refused
from infra.settings import load_settings
from schema.relay import encode_cursor, to_global_id

PAGE = 20
ENTRIES = 5

# The page as the API reads it (domain/dossiers/access.py): each half walks its own index
# and stops at the page size. (An `account_id = $1 OR id IN (shares)` form reads and sorts
# the whole account: at 20,000 dossiers the baseline was then bound by PostgreSQL, not by
# its own code, and the ratio said nothing about the GraphQL layer.)
DOSSIERS_SQL = """SELECT * FROM (
  SELECT * FROM (SELECT id, account_id, client_name, reference, archived_at FROM dossier
    WHERE account_id = $1 AND archived_at IS NULL ORDER BY client_name, id LIMIT $3) own_half
  UNION ALL
  SELECT * FROM (SELECT d.id, d.account_id, d.client_name, d.reference, d.archived_at FROM dossier d
    JOIN share s ON s.dossier_id = d.id WHERE s.user_id = $2 AND s.status = 'ACTIVE' AND s.revoked_at IS NULL
    AND d.account_id <> $1 AND d.archived_at IS NULL
    -- I5: not while the sharing account asks two factors of its own people and this one has none
    AND NOT EXISTS (SELECT 1 FROM membership tm JOIN account ta ON ta.id = tm.account_id
                    JOIN "user" tu ON tu.id = tm.user_id WHERE tm.account_id = d.account_id AND tm.user_id = $2
                    AND ta.require_two_factor AND tu.totp_enabled_at IS NULL)
    ORDER BY d.client_name, d.id LIMIT $3) shared_half
) page ORDER BY client_name, id LIMIT $3"""
ENTRIES_SQL = """SELECT e.id, e.dossier_id, e.kind, e.current_version, r.body, r.author_email, r.written_at
FROM unnest($1::bigint[]) AS d(id)
CROSS JOIN LATERAL (SELECT id, dossier_id, kind, current_version FROM entry
                    WHERE dossier_id = d.id ORDER BY id DESC LIMIT $2) e
JOIN entry_revision r ON r.entry_id = e.id AND r.version = e.current_version
ORDER BY e.dossier_id, e.id DESC"""
SHARES_SQL = """SELECT dossier_id, email, status, access FROM share
WHERE dossier_id = ANY($1::bigint[]) AND revoked_at IS NULL ORDER BY created_at, id"""
ASSIGNEES_SQL = """SELECT a.dossier_id, m.id, m.role, u.email FROM dossier_assignment a
JOIN membership m ON m.id = a.membership_id JOIN "user" u ON u.id = m.user_id
WHERE a.dossier_id = ANY($1::bigint[]) ORDER BY a.created_at, a.id"""
READS_SQL = """INSERT INTO dossier_read (account_id, dossier_id, user_id, read_at)
SELECT account_id, dossier_id, $3, $4 FROM unnest($1::bigint[], $2::bigint[]) AS t(dossier_id, account_id)"""

def _b64url(text_sql: str) -> str:
    """SQL for `domain.core.ids.b64url` of a text expression (PostgreSQL's base64 breaks
    lines every 76 characters: a long client name's cursor)."""
    return (f"rtrim(translate(replace(encode(convert_to({text_sql}, 'UTF8'), 'base64'), E'\\n', ''), "
            "'+/', '-_'), '=')")


def _isoformat(column: str) -> str:
    """SQL for Python's `isoformat()` of a UTC datetime (microseconds only when not 0)."""
    return (f"to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') || CASE WHEN "
            f"date_part('microseconds', {column})::bigint % 1000000 <> 0 THEN to_char({column} AT TIME ZONE 'UTC', "
            "'.US') ELSE '' END || '+00:00'")


# The same page shaped by PostgreSQL itself (what a GraphQL-to-SQL compiler such as
# Hasura's does): one statement reads the page, records the reads (P2) and builds the
# whole JSON, which the endpoint sends as it comes. Measurement only (bench.profile
# --shaped), to size the design that would compile documents to SQL: not a baseline.
SHAPED_SQL = f"""WITH page AS ({DOSSIERS_SQL.replace("LIMIT $3", "LIMIT $3 + 1")}),
shown AS (SELECT * FROM page ORDER BY client_name, id LIMIT $3),
reads AS (INSERT INTO dossier_read (account_id, dossier_id, user_id, read_at)
          SELECT account_id, id, $2, $4 FROM shown)
SELECT json_build_object('dossiers', json_build_object(
  'pageInfo', json_build_object(
    'hasNextPage', (SELECT count(*) FROM page) > $3,
    'endCursor', (SELECT {_b64url("'c1|' || id || '|' || client_name")} FROM shown
                  ORDER BY client_name DESC, id DESC LIMIT 1)),
  'edges', COALESCE((SELECT json_agg(json_build_object(
    'cursor', {_b64url("'c1|' || d.id || '|' || d.client_name")},
    'node', json_build_object(
      'id', {_b64url("'Dossier:' || d.id")}, 'clientName', d.client_name, 'reference', d.reference,
      'archived', d.archived_at IS NOT NULL,
      'entries', json_build_object('edges', COALESCE((SELECT json_agg(json_build_object('node', json_build_object(
          'id', {_b64url("'Entry:' || e.id")}, 'kind', e.kind, 'body', r.body, 'version', e.current_version,
          'writtenAt', {_isoformat("r.written_at")}, 'author', json_build_object('email', r.author_email)))
          ORDER BY e.id DESC)
        FROM (SELECT id, kind, current_version FROM entry WHERE dossier_id = d.id ORDER BY id DESC LIMIT {ENTRIES}) e
        JOIN entry_revision r ON r.entry_id = e.id AND r.version = e.current_version), '[]'::json)),
      'shares', CASE WHEN d.account_id = $1 THEN COALESCE((SELECT json_agg(json_build_object(
          'email', s.email, 'status', s.status, 'access', s.access) ORDER BY s.created_at, s.id)
        FROM share s WHERE s.dossier_id = d.id AND s.revoked_at IS NULL), '[]'::json) ELSE '[]'::json END,
      'assignees', CASE WHEN d.account_id = $1 THEN COALESCE((SELECT json_agg(json_build_object(
          'id', {_b64url("'Teammate:' || m.id")}, 'role', m.role, 'user', json_build_object('email', u.email))
          ORDER BY a.created_at, a.id)
        FROM dossier_assignment a JOIN membership m ON m.id = a.membership_id JOIN "user" u ON u.id = m.user_id
        WHERE a.dossier_id = d.id), '[]'::json) ELSE '[]'::json END))
    ORDER BY d.client_name, d.id) FROM shown d), '[]'::json)))::text"""

settings = load_settings()
tokens = TokenService(settings)
state: dict[str, Any] = {}


def _unauthenticated() -> Response:
    return JSONResponse({"errors": [{"message": "Sign in first.", "extensions": {"code": "UNAUTHENTICATED"}}]})


async def dossier_page(request: Request) -> Response:
    now = datetime.now(timezone.utc)
    pool: asyncpg.Pool = state["pool"]
    async with pool.acquire() as conn:
        try:  # the principal as the API re-reads it (G6, I4, I5)
            who = await ops.principal(conn, request, now)
        except Refused:
            return _unauthenticated()
        user_id, account_id = who["user_id"], who["account_id"]
        rows = await conn.fetch(DOSSIERS_SQL, account_id, user_id, PAGE + 1)
        page, has_next = rows[:PAGE], len(rows) > PAGE
        ids = [row["id"] for row in page]
        entries = await conn.fetch(ENTRIES_SQL, ids, ENTRIES)
        shares = await conn.fetch(SHARES_SQL, ids)
        assignees = await conn.fetch(ASSIGNEES_SQL, ids)
        if ids:
            await conn.execute(READS_SQL, ids, [row["account_id"] for row in page], user_id, now)
    by_dossier: dict[int, dict[str, list]] = {i: {"entries": [], "shares": [], "assignees": []} for i in ids}
    for e in entries:
        by_dossier[e["dossier_id"]]["entries"].append({"node": {
            "id": to_global_id("Entry", e["id"]), "kind": e["kind"], "body": e["body"],
            "version": e["current_version"], "writtenAt": e["written_at"].isoformat(),
            "author": {"email": e["author_email"]}}})
    for s in shares:
        by_dossier[s["dossier_id"]]["shares"].append({"email": s["email"], "status": s["status"], "access": s["access"]})
    for a in assignees:
        if a["dossier_id"] in by_dossier:
            by_dossier[a["dossier_id"]]["assignees"].append(
                {"id": to_global_id("Teammate", a["id"]), "role": a["role"], "user": {"email": a["email"]}})
    edges = []
    for row in page:
        own = row["account_id"] == account_id
        related = by_dossier[row["id"]]
        edges.append({"cursor": encode_cursor(row["id"], row["client_name"]), "node": {
            "id": to_global_id("Dossier", row["id"]), "clientName": row["client_name"],
            "reference": row["reference"], "archived": row["archived_at"] is not None,
            "entries": {"edges": related["entries"]},
            "shares": related["shares"] if own else [],
            "assignees": related["assignees"] if own else []}})
    data = {"dossiers": {"pageInfo": {"hasNextPage": has_next, "endCursor": edges[-1]["cursor"] if edges else None},
                         "edges": edges}}
    return Response(json.dumps({"data": data}), media_type="application/json")


async def shaped_page(request: Request) -> Response:
    """The page with its JSON built by PostgreSQL (SHAPED_SQL): the same principal check,
    then one statement."""
    now = datetime.now(timezone.utc)
    async with state["pool"].acquire() as conn:
        try:
            who = await ops.principal(conn, request, now)
        except Refused:
            return _unauthenticated()
        shaped = await conn.fetchval(SHAPED_SQL, who["account_id"], who["user_id"], PAGE, now)
    return Response(b'{"data":' + shaped.encode() + b"}", media_type="application/json")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    url = settings.database_url.replace("postgres://", "postgresql://", 1)
    state["pool"] = await asyncpg.create_pool(url, min_size=1, max_size=settings.database_pool_size)
    try:
        yield
    finally:
        await state["pool"].close()


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


ops = PlainOps(tokens, state)
app = Starlette(routes=[Route("/plain/dossiers", dossier_page, methods=["GET", "POST"]),
                        Route("/plain/dossiers/shaped", shaped_page, methods=["GET", "POST"]),
                        Route("/plain/dossier", ops.one_dossier, methods=["POST"]),
                        Route("/plain/entries", ops.add_entry, methods=["POST"]),
                        Route("/plain/shares", ops.share_dossier, methods=["POST"]),
                        Route("/plain/search", ops.search, methods=["POST"]),
                        Route("/plain/log-in", ops.log_in, methods=["POST"]),
                        Route("/healthz", healthz)], lifespan=lifespan)
