"""Race proof over HTTP: concurrent limit-hitting mutations against the real server with
several worker processes on PostgreSQL, then the database is counted.

`python -m bench.race [--workers 4] [--clients 12]` creates a fresh database, runs
`casebook migrate`, starts `casebook serve --workers N`, and proves:

* A3/A5 — createDossier racing at the active-client cap: the count ends at the cap;
* G2/G4 — one guest email shared from several accounts at once: 3 live shares;
* G1/G4 — a dossier with 998 shares (seeded by SQL) shared with many at once: 1000;
* S6    — inviteTeammate racing for the last free seat: one invitation;
* Q3    — applySubscriptionChange sent many times at once with one idempotency key:
          one charge, one ledger line, the same answer every time;

and that nothing was half-written: every refused request left no row behind.
tests/race/test_http_races.py runs the same proofs in CI at small scale."""
from __future__ import annotations

import argparse
import asyncio
import itertools
import sys
import uuid
from dataclasses import dataclass, field

import asyncpg
import httpx

from bench.servers import (
    api_command, connect, create_database, drop_database, free_port, migrate, running, server_env,
)
from schema.relay import to_global_id

PASSWORD = "race password 2026"
SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { accessToken
  viewer { user { id } account { id } } userErrors { code message } } }"""
CREATE = """mutation($name: String!) { createDossier(input: {clientName: $name}) {
  dossier { id } userErrors { code } } }"""
SHARE = """mutation($d: ID!, $e: String!) { shareDossier(input: {dossierId: $d, email: $e, access: VIEWER}) {
  share { id } userErrors { code } } }"""
INVITE = """mutation($e: String!) { inviteTeammate(input: {email: $e, role: MEMBER}) {
  invitation { id } userErrors { code } } }"""
QUOTE = """mutation($seats: Int!) { quoteSubscriptionChange(input: {seats: $seats}) {
  quote { id dueNow { amount } } userErrors { code message } } }"""
APPLY = """mutation($q: ID!, $k: String!) { applySubscriptionChange(input: {quoteId: $q, idempotencyKey: $k}) {
  subscription { seats } charged { amount } ledgerLines { id amount { amount } } userErrors { code } } }"""


@dataclass
class Proof:
    name: str
    held: bool = True
    facts: list[str] = field(default_factory=list)

    def check(self, condition: bool, fact: str) -> None:
        self.facts.append(("ok   " if condition else "FAIL ") + fact)
        self.held = self.held and bool(condition)


class Client:
    """GraphQL over HTTP. Given the clients of several servers (hosts on one database),
    each request goes to the next in turn, so racing requests land on all of them."""

    def __init__(self, http: httpx.AsyncClient, *more_hosts: httpx.AsyncClient) -> None:
        self.http = http
        self._hosts = itertools.cycle((http, *more_hosts))

    async def gql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        response = await next(self._hosts).post("/graphql", json={"query": query, "variables": variables or {}},
                                                headers=headers)
        if response.status_code != 200:
            return {"status": response.status_code, "errors": [{"message": response.text[:200]}]}
        return response.json()

    async def sign_up(self, label: str, **extra) -> dict:
        email = f"{label}-{uuid.uuid4().hex[:8]}@race.example.org"
        body = await self.gql(SIGN_UP, {"input": {"email": email, "password": PASSWORD, "name": label,
                                                  "accountName": f"Race {label}", **extra}})
        payload = body["data"]["signUp"]
        assert payload["userErrors"] == [], payload["userErrors"]
        return {"token": payload["accessToken"], "email": email,
                "account": payload["viewer"]["account"]["id"], "user": payload["viewer"]["user"]["id"]}


def _codes(results: list[dict], mutation: str) -> list[str]:
    """'ok', a userError code, or the top-level error/status, per response."""
    out = []
    for body in results:
        if body.get("errors"):
            out.append("ERROR:" + str(body["errors"][0].get("message"))[:60])
            continue
        errors = body["data"][mutation]["userErrors"]
        out.append(errors[0]["code"] if errors else "ok")
    return out


def _pk(global_id: str) -> int:
    from schema.relay import parse_global_id

    parsed = parse_global_id(global_id)
    assert parsed is not None
    return parsed[1]


async def prove_active_client_cap(api: Client, db: asyncpg.Connection, clients: int) -> Proof:
    proof = Proof("A3/A5 createDossier at the active-client cap (UP_TO_10)")
    owner = await api.sign_up("a3", activeClientTier="UP_TO_10")
    for n in range(9):
        await api.gql(CREATE, {"name": f"Before {n}"}, owner["token"])
    results = await asyncio.gather(*[api.gql(CREATE, {"name": f"Racing {n}"}, owner["token"]) for n in range(clients)])
    codes = _codes(results, "createDossier")
    account = _pk(owner["account"])
    dossiers = await db.fetchval("SELECT COUNT(*) FROM dossier WHERE account_id = $1", account)
    active = await db.fetchval("SELECT COUNT(*) FROM active_dossier WHERE account_id = $1", account)
    counted = await db.fetchval("SELECT MAX(count) FROM active_month WHERE account_id = $1", account)
    proof.check(codes.count("ok") == 1, f"{codes.count('ok')} of {clients} racing creates succeeded (1 expected)")
    proof.check(codes.count("ACTIVE_CLIENT_LIMIT_REACHED") == clients - 1, f"refusals: {sorted(set(codes))}")
    proof.check(dossiers == 10 and active == 10 and counted == 10,
                f"dossiers {dossiers}, active dossiers {active}, month count {counted} (10 each)")
    return proof


async def prove_guest_limit(api: Client, db: asyncpg.Connection, clients: int) -> Proof:
    proof = Proof("G2/G4 one guest email shared from several accounts at once")
    guest = f"guest-{uuid.uuid4().hex[:8]}@race.example.org"
    owners = [await api.sign_up(f"g2-{n}") for n in range(max(4, clients // 2))]
    targets = []
    for owner in owners:
        for n in range(2):
            body = await api.gql(CREATE, {"name": f"Shared {n}"}, owner["token"])
            targets.append((owner["token"], body["data"]["createDossier"]["dossier"]["id"]))
    results = await asyncio.gather(*[api.gql(SHARE, {"d": d, "e": guest}, token) for token, d in targets])
    codes = _codes(results, "shareDossier")
    live = await db.fetchval("SELECT COUNT(*) FROM share WHERE email = $1 AND revoked_at IS NULL", guest)
    held = await db.fetchval("SELECT held FROM guest_quota WHERE email = $1", guest)
    invitations = await db.fetchval("SELECT COUNT(*) FROM invitation WHERE email = $1 AND kind = 'share'", guest)
    proof.check(codes.count("ok") == 3, f"{codes.count('ok')} of {len(targets)} racing shares succeeded (3 expected)")
    proof.check(codes.count("GUEST_DOSSIER_LIMIT_REACHED") == len(targets) - 3, f"refusals: {sorted(set(codes))}")
    proof.check(live == 3 and held == 3, f"live shares {live}, quota held {held} (3 each)")
    proof.check(invitations == 3, f"share invitations written: {invitations} (3: none for refused shares)")
    return proof


async def prove_dossier_share_cap(api: Client, db: asyncpg.Connection, clients: int) -> Proof:
    proof = Proof("G1/G4 a dossier at 998 of 1000 shares, shared with many at once")
    owner = await api.sign_up("g1")
    body = await api.gql(CREATE, {"name": "Popular"}, owner["token"])
    dossier = _pk(body["data"]["createDossier"]["dossier"]["id"])
    account = _pk(owner["account"])
    rows = [(account, dossier, f"seed{n}-{dossier}@race.example.org", "VIEWER", "PENDING") for n in range(998)]
    await db.executemany("INSERT INTO share (account_id, dossier_id, email, access, status, created_at) "
                         "VALUES ($1, $2, $3, $4, $5, now())", rows)
    await db.executemany("INSERT INTO guest_quota (email, held) VALUES ($1, 1)", [(r[2],) for r in rows])
    await db.execute("UPDATE dossier SET share_count = 998 WHERE id = $1", dossier)
    emails = [f"late{n}-{uuid.uuid4().hex[:6]}@race.example.org" for n in range(clients)]
    gid = to_global_id("Dossier", dossier)
    results = await asyncio.gather(*[api.gql(SHARE, {"d": gid, "e": e}, owner["token"]) for e in emails])
    codes = _codes(results, "shareDossier")
    live = await db.fetchval("SELECT COUNT(*) FROM share WHERE dossier_id = $1 AND revoked_at IS NULL", dossier)
    counter = await db.fetchval("SELECT share_count FROM dossier WHERE id = $1", dossier)
    late_held = await db.fetchval("SELECT COALESCE(SUM(held), 0) FROM guest_quota WHERE email = ANY($1::text[])", emails)
    proof.check(codes.count("ok") == 2, f"{codes.count('ok')} of {clients} racing shares succeeded (2 expected)")
    proof.check(codes.count("DOSSIER_SHARE_LIMIT_REACHED") == clients - 2, f"refusals: {sorted(set(codes))}")
    proof.check(live == 1000 and counter == 1000, f"live shares {live}, share_count {counter} (1000 each)")
    proof.check(late_held == 2, f"guest quota taken by the late emails: {late_held} (2: none for refused ones)")
    return proof


async def prove_seat_limit(api: Client, db: asyncpg.Connection, clients: int) -> Proof:
    proof = Proof("S6 inviteTeammate racing for the last free seat (2 seats, owner + 1)")
    owner = await api.sign_up("s6", seats=2)
    emails = [f"mate{n}-{uuid.uuid4().hex[:6]}@race.example.org" for n in range(clients)]
    results = await asyncio.gather(*[api.gql(INVITE, {"e": e}, owner["token"]) for e in emails])
    codes = _codes(results, "inviteTeammate")
    account = _pk(owner["account"])
    pending = await db.fetchval("SELECT COUNT(*) FROM invitation WHERE account_id = $1 AND kind = 'teammate'", account)
    members = await db.fetchval("SELECT COUNT(*) FROM membership WHERE account_id = $1", account)
    proof.check(codes.count("ok") == 1, f"{codes.count('ok')} of {clients} racing invitations succeeded (1 expected)")
    proof.check(codes.count("SEAT_LIMIT_REACHED") == clients - 1, f"refusals: {sorted(set(codes))}")
    proof.check(pending == 1 and members == 1, f"teammate invitations {pending} (1), memberships {members} (1)")
    return proof


async def prove_idempotent_apply(api: Client, db: asyncpg.Connection, clients: int) -> Proof:
    proof = Proof("Q3 applySubscriptionChange sent at once with one idempotency key")
    owner = await api.sign_up("q3", seats=2)
    body = await api.gql(QUOTE, {"seats": 5}, owner["token"])
    quote = body["data"]["quoteSubscriptionChange"]["quote"]
    key = str(uuid.uuid4())
    results = await asyncio.gather(*[api.gql(APPLY, {"q": quote["id"], "k": key}, owner["token"]) for _ in range(clients)])
    codes = _codes(results, "applySubscriptionChange")
    answers = {str((r["data"]["applySubscriptionChange"]["charged"], r["data"]["applySubscriptionChange"]["ledgerLines"]))
               for r in results if not r.get("errors") and not r["data"]["applySubscriptionChange"]["userErrors"]}
    account = _pk(owner["account"])
    quote_pk = _pk(quote["id"])
    lines = await db.fetchval("SELECT COUNT(*) FROM ledger_line WHERE account_id = $1 AND quote_id = $2", account, quote_pk)
    applications = await db.fetchval("SELECT COUNT(*) FROM quote_application WHERE account_id = $1", account)
    seats = await db.fetchval("SELECT seats FROM subscription WHERE account_id = $1", account)
    proof.check(codes.count("ok") == clients, f"answers: {sorted(set(codes))} (every one ok)")
    proof.check(len(answers) == 1, f"{len(answers)} distinct results (1: the same answer every time)")
    proof.check(lines == 1 and applications == 1, f"ledger lines for the quote {lines}, applications {applications} (1 each)")
    proof.check(seats == 5, f"seats now {seats} (5)")
    return proof


PROOFS = [prove_active_client_cap, prove_guest_limit, prove_dossier_share_cap, prove_seat_limit, prove_idempotent_apply]


async def prove_all(base_url: str, database_url: str, clients: int) -> list[Proof]:
    proofs = []
    limits = httpx.Limits(max_connections=clients * 2, max_keepalive_connections=clients * 2)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as http:
        db = await connect(database_url)
        try:
            for prove in PROOFS:
                try:
                    proofs.append(await prove(Client(http), db, clients))
                except Exception as error:  # noqa: BLE001 - a missing mutation is a failed proof, not a crash
                    proofs.append(Proof(prove.__name__, False, [f"FAIL could not run: {error!r}"[:300]]))
        finally:
            await db.close()
    return proofs


async def main(args: argparse.Namespace) -> int:
    database = await create_database("casebook_race")
    try:
        env = server_env(database)
        migrate(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, args.workers), env, base):
            proofs = await prove_all(base, database, args.clients)
    finally:
        await drop_database(database)
    for proof in proofs:
        print(("HELD  " if proof.held else "BROKE ") + proof.name)
        for fact in proof.facts:
            print("      " + fact)
    return 0 if all(p.held for p in proofs) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.race", description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=12, help="concurrent requests per race")
    sys.exit(asyncio.run(main(parser.parse_args())))
