"""Persisted documents: Apollo's automatic persisted queries (APQ) and trusted documents.

APQ. A client sends `extensions.persistedQuery = {version: 1, sha256Hash}` without the
query; a server that knows the hash runs the document, else it answers
`PERSISTED_QUERY_NOT_FOUND` (HTTP 404, message "PersistedQueryNotFound") and the client
sends the query with the hash once; the server checks that the hash is the query's
SHA-256, runs it, and remembers it once it parsed and validated (junk is never stored).
Remembered documents are shared by every server process through the database table
`persisted_document` (migration 0012): expired rows (`APQ_TTL_SECONDS`) are pruned on
write and at most `MAX_APQ_ROWS` are kept, the oldest going first. Each process keeps a
small in-memory cache in front.

Shared state cannot be exhausted by one client, since every client depends on it:
registering is limited per client (`PERSISTED_QUERIES_PER_CLIENT` an hour, counted
where the rate limits count) and in total (`MAX_APQ_ROWS`); past the per-client limit a
document still runs, it is only not remembered. Documents never go to Redis, even when
REDIS_URL is set: Redis holds the sign-in throttling counters, and an anonymous client
filling it with documents would make those counters' writes fail and every sign-in
refused (a `maxmemory` Redis with `noeviction`). Redis keeps small, expiring counters alone.

Trusted documents. `casebook documents add FILE…` registers documents as trusted (in the
database, whatever REDIS_URL says). With `CASEBOOK_TRUSTED_DOCUMENTS=only` the server runs
trusted documents alone: sent by hash (`extensions.persistedQuery`) or in full, when the
full text's SHA-256 is registered. Anything else is refused with
`PERSISTED_QUERY_NOT_IN_LIST`, and nothing is remembered through APQ.

Abuse: a hash that is not the query's SHA-256 is refused (`BAD_USER_INPUT`), so no one
can make a hash run another document; documents over `MAX_DOCUMENT_BYTES` run but are
never remembered; malformed `persistedQuery` objects are refused (`BAD_REQUEST`).
"""
from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from datetime import datetime, timedelta, timezone
from typing import Any

from tortoise import connections

from api.http import BAD_REQUEST, BAD_USER_INPUT, Exchange, RequestRefused
from infra.db import execute, transaction

log = logging.getLogger("casebook.documents")

APQ_TTL_SECONDS = 7 * 24 * 3600
MAX_DOCUMENT_BYTES = 32 * 1024
# 2,000 documents of at most 32 KiB: at most 64 MiB, and far more operations than a client
# application has.
MAX_APQ_ROWS = 2_000
# The per-client registration window (the limit is PERSISTED_QUERIES_PER_CLIENT).
REGISTRATION_WINDOW_SECONDS = 3600
LOCAL_CACHE_BYTES = 8 * 1024 * 1024
NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
NOT_IN_LIST = "PERSISTED_QUERY_NOT_IN_LIST"
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def sha256_hex(document: str) -> str:
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def persisted_hash(extensions: dict[str, Any] | None) -> str | None:
    """The `sha256Hash` of `extensions.persistedQuery`, checked; None when there is none."""
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    if not isinstance(persisted, dict):
        raise RequestRefused(400, BAD_REQUEST, "`extensions.persistedQuery` must be {version: 1, sha256Hash}.")
    if persisted.get("version") != 1:
        raise RequestRefused(400, BAD_REQUEST, "Unsupported persisted query version; send version 1.")
    digest = persisted.get("sha256Hash")
    if not isinstance(digest, str) or not _SHA256.match(digest.lower()):
        raise RequestRefused(400, BAD_REQUEST, "`sha256Hash` must be 64 hexadecimal digits.")
    return digest.lower()


async def resolve_document(store: "DocumentStore", query: str | None, extensions: dict[str, Any] | None,
                           exchange: Exchange) -> str | None:
    """The document to run: `query`, or the one a persisted hash names."""
    digest = persisted_hash(extensions)
    if query is not None and digest is not None and sha256_hex(query) != digest:
        raise RequestRefused(400, BAD_USER_INPUT, "provided sha does not match query")
    if store.trusted_only:
        if query is None:
            if digest is None:
                return None
            document = await store.find(digest, trusted=True)
            if document is None:
                raise RequestRefused(404, NOT_FOUND, "PersistedQueryNotFound")
            return document
        if await store.find(digest or sha256_hex(query), trusted=True) is None:
            raise RequestRefused(400, NOT_IN_LIST, "This server runs registered documents only "
                                                   "(CASEBOOK_TRUSTED_DOCUMENTS=only); this one is not registered.")
        return query
    if digest is None:
        return query
    if query is None:
        document = await store.find(digest, trusted=False)
        if document is None:
            raise RequestRefused(404, NOT_FOUND, "PersistedQueryNotFound")
        return document
    if len(query.encode("utf-8")) <= MAX_DOCUMENT_BYTES:
        exchange.register = (digest, query)
    return query


class DocumentStore:
    def __init__(self, settings: Any) -> None:
        self.settings = settings
        self.trusted_only = getattr(settings, "trusted_documents", "") == "only"
        self._local: OrderedDict[str, tuple[str, bool]] = OrderedDict()
        self._local_bytes = 0

    async def find(self, digest: str, *, trusted: bool) -> str | None:
        """The document registered under `digest`; with `trusted`, only a trusted one."""
        cached = self._local.get(digest)
        if cached is not None and (cached[1] or not trusted):
            self._local.move_to_end(digest)
            return cached[0]
        sql = 'SELECT "document", "trusted" FROM "persisted_document" WHERE "sha256" = $1'
        _, rows = await execute(connections.get("default"), sql, [digest])
        if not rows:
            return None
        document, is_trusted = rows[0]["document"], bool(rows[0]["trusted"])
        if trusted and not is_trusted:
            return None
        self._cache(digest, document, is_trusted)
        return document

    async def remember(self, digest: str, document: str, client: str = "unknown") -> None:
        """APQ: keep a document that proved valid, for every server process. One this
        process already holds was stored before: clients resending it cost no write. A
        client past its registrations this hour is not remembered (its document ran)."""
        if self.trusted_only or digest in self._local:
            return
        now = datetime.now(timezone.utc)
        if not await self._client_may_register(client, now):
            return
        self._cache(digest, document, False)
        async with transaction() as conn:
            await execute(conn, 'INSERT INTO "persisted_document" ("sha256", "document", "trusted", "created_at") '
                                'VALUES ($1, $2, FALSE, $3) ON CONFLICT ("sha256") DO NOTHING', [digest, document, now])
            await execute(conn, 'DELETE FROM "persisted_document" WHERE "trusted" = FALSE AND "created_at" < $1',
                          [now - timedelta(seconds=APQ_TTL_SECONDS)])
            _, rows = await execute(conn, 'SELECT COUNT(*) AS "n" FROM "persisted_document" WHERE "trusted" = FALSE')
            surplus = int(rows[0]["n"]) - MAX_APQ_ROWS
            if surplus > 0:
                await execute(conn, 'DELETE FROM "persisted_document" WHERE "sha256" IN (SELECT "sha256" FROM '
                                    '"persisted_document" WHERE "trusted" = FALSE ORDER BY "created_at" LIMIT $1)',
                              [surplus])

    async def _client_may_register(self, client: str, now: datetime) -> bool:
        from auth.rate_limit import CounterUnavailable, Window, bucket_key, take

        window = Window.at(now, REGISTRATION_WINDOW_SECONDS)
        try:
            count = await take(self.settings, bucket_key("persistedQuery.register", "client", client), window)
        except CounterUnavailable:
            return False  # uncounted, so not remembered; the document ran all the same
        if count > self.settings.persisted_queries_per_client:
            log.info("persisted queries: a client is past its %d registrations this hour; not remembered",
                     self.settings.persisted_queries_per_client)
            return False
        return True

    def _cache(self, digest: str, document: str, trusted: bool) -> None:
        previous = self._local.pop(digest, None)
        if previous is not None:
            self._local_bytes -= len(previous[0])
        self._local[digest] = (document, trusted)
        self._local_bytes += len(document)
        while self._local_bytes > LOCAL_CACHE_BYTES and self._local:
            _, (evicted, _) = self._local.popitem(last=False)
            self._local_bytes -= len(evicted)


async def add_trusted(documents: dict[str, str]) -> int:
    """Register documents as trusted (`casebook documents add`); returns how many were new."""
    now = datetime.now(timezone.utc)
    added = 0
    async with transaction() as conn:
        for digest, document in documents.items():
            _, rows = await execute(conn, 'SELECT "trusted" FROM "persisted_document" WHERE "sha256" = $1', [digest])
            if rows and bool(rows[0]["trusted"]):
                continue
            added += 1
            if rows:
                await execute(conn, 'UPDATE "persisted_document" SET "trusted" = TRUE, "document" = $1 '
                                    'WHERE "sha256" = $2', [document, digest])
            else:
                await execute(conn, 'INSERT INTO "persisted_document" ("sha256", "document", "trusted", "created_at") '
                                    'VALUES ($1, $2, TRUE, $3)', [digest, document, now])
    return added


async def trusted_documents() -> list[tuple[str, str]]:
    _, rows = await execute(connections.get("default"), 'SELECT "sha256", "document" FROM "persisted_document" '
                                                         'WHERE "trusted" = TRUE ORDER BY "sha256"')
    return [(row["sha256"], row["document"]) for row in rows]
