"""Reading dossiers for an export straight from the tables, in bounded chunks.

An export holds everything (D8): every version of every entry, every measurement, the
shares and the access log — for a dossier read for years, that is a lot, and an account
archive holds 20,000 dossiers. So nothing here reads "all of it": dossiers come in
batches, and each kind of row of a batch comes as a stream ordered by dossier, fetched a
chunk at a time by keyset. Memory stays at one batch of profiles plus one chunk per
stream, whatever the sizes (the biggest rows, entry versions, have the smallest chunks).

Visibility is decided before anything reaches this module (domain.dossiers.access); what
the reader may see of shares and the access log is passed in as `Parts`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, AsyncIterator, Sequence

from infra.db import execute, placeholders

DOSSIER_BATCH = 100
CHUNK = 1000
# Entry versions hold up to 100,000 characters each: fewer per chunk.
VERSION_CHUNK = 100

_PROFILE = ("id, account_id, client_name, reference, date_of_birth, free_fields, archived_at, "
            "created_at, updated_at")


@dataclass(frozen=True)
class Parts:
    """What the reader may see beyond the content itself (D8: the access log "for those
    who may read that"; shares for those who manage them, as in the API)."""

    shares: bool
    access_log: bool


class Stream:
    """The rows of one query over a set of dossiers, ordered by (dossier id, …), read
    `chunk` rows at a time. `of(dossier_id)` yields one dossier's rows; dossiers must be
    asked for in increasing id order."""

    def __init__(self, conn: Any, sql: str, params: Sequence[Any], order: tuple[str, ...],
                 names: tuple[str, ...], chunk: int) -> None:
        # `sql` puts `{after}` where the keyset condition goes; `order` are the ORDER BY
        # expressions (dossier id first) and `names` the same columns as they come back.
        self.conn, self.sql, self.params = conn, sql, list(params)
        self.order, self.names, self.chunk = order, names, chunk
        self.rows: list[dict] = []
        self.position = 0
        self.last: tuple | None = None
        self.done = False

    async def _fill(self) -> None:
        params = list(self.params)
        after = "1 = 1"
        if self.last is not None:
            start = len(params) + 1
            params += list(self.last)
            values = placeholders(start, len(self.last))
            after = f"({', '.join(self.order)}) > ({values})"
        params.append(self.chunk)
        _, rows = await execute(self.conn, f"{self.sql.format(after=after)} ORDER BY {', '.join(self.order)} "
                                           f"LIMIT ${len(params)}", params)
        self.rows, self.position = rows, 0
        self.done = len(rows) < self.chunk
        if rows:
            self.last = tuple(rows[-1][name] for name in self.names)

    async def of(self, dossier_id: int) -> AsyncIterator[dict]:
        while True:
            if self.position >= len(self.rows):
                if self.done:
                    return
                await self._fill()
                if not self.rows:
                    return
            row = self.rows[self.position]
            if row["dossier_id"] > dossier_id:
                return
            self.position += 1
            if row["dossier_id"] == dossier_id:
                yield row


class BatchReader:
    """The content streams of one batch of dossiers (all of one account)."""

    def __init__(self, conn: Any, account_id: int, dossier_ids: Sequence[int], parts: Parts) -> None:
        ids = sorted(dossier_ids)
        ins = placeholders(1, len(ids))
        self.versions = Stream(
            conn,
            "SELECT e.dossier_id AS dossier_id, e.id AS e_id, e.kind AS kind, e.created_at AS created_at, "
            "e.current_version AS current_version, r.version AS r_version, r.body AS body, "
            "r.author_user_id AS author_user_id, r.author_email AS author_email, r.written_at AS written_at "
            f"FROM entry e JOIN entry_revision r ON r.entry_id = e.id WHERE e.dossier_id IN ({ins}) AND {{after}}",
            ids, ("e.dossier_id", "e.id", "r.version"), ("dossier_id", "e_id", "r_version"), VERSION_CHUNK)
        self.measurements = Stream(
            conn,
            "SELECT dossier_id, id, metric, value, unit, measured_at, created_at, author_user_id, author_email "
            f"FROM measurement WHERE dossier_id IN ({ins}) AND {{after}}", ids,
            ("dossier_id", "id"), ("dossier_id", "id"), CHUNK)
        self.shares = Stream(
            conn,
            "SELECT dossier_id, id, email, access, status, created_at, revoked_at "
            f"FROM share WHERE dossier_id IN ({ins}) AND {{after}}", ids,
            ("dossier_id", "id"), ("dossier_id", "id"), CHUNK) if parts.shares else None
        self.reads = Stream(
            conn,
            "SELECT r.dossier_id AS dossier_id, r.id AS r_id, r.user_id AS user_id, r.read_at AS read_at, "
            f"u.email AS email FROM dossier_read r LEFT JOIN \"user\" u ON u.id = r.user_id "
            f"WHERE r.account_id = ${len(ids) + 1} AND r.dossier_id IN ({ins}) AND {{after}}",
            [*ids, account_id], ("r.dossier_id", "r.id"), ("dossier_id", "r_id"), CHUNK) if parts.access_log else None


async def dossier_profiles(conn: Any, account_id: int, dossier_ids: Sequence[int]) -> list[dict]:
    """The profile rows of these dossiers of the account (missing ones left out), by id."""
    if not dossier_ids:
        return []
    ids = sorted(dossier_ids)
    _, rows = await execute(conn, f"SELECT {_PROFILE} FROM dossier WHERE account_id = $1 AND id IN "
                                  f"({placeholders(2, len(ids))}) ORDER BY id", [account_id, *ids])
    return rows


async def account_batches(conn: Any, account_id: int, *, up_to_id: int | None,
                          size: int = DOSSIER_BATCH) -> AsyncIterator[list[dict]]:
    """Every dossier of the account (up to an id: those that existed when the archive was
    asked for), in batches of profile rows, along the (account_id, client_name, id) index."""
    after: tuple[str, int] | None = None
    limit = up_to_id if up_to_id is not None else 2 ** 62
    while True:
        params: list[Any] = [account_id, limit]
        keyset = ""
        if after is not None:
            params += [after[0], after[0], after[1]]
            keyset = " AND (client_name > $3 OR (client_name = $4 AND id > $5))"
        params.append(size)
        _, rows = await execute(conn, f"SELECT {_PROFILE} FROM dossier WHERE account_id = $1 AND id <= $2{keyset} "
                                      f"ORDER BY client_name, id LIMIT ${len(params)}", params)
        if rows:
            yield rows
        if len(rows) < size:
            return
        after = (rows[-1]["client_name"], rows[-1]["id"])


async def ledger_lines(conn: Any, account_id: int) -> AsyncIterator[dict]:
    """The account's ledger (Q4), oldest first, a chunk at a time."""
    last = 0
    while True:
        _, rows = await execute(conn, "SELECT id, kind, description, quantity, amount, currency, period_start, "
                                      "period_end, quote_id, explanation, created_at FROM ledger_line "
                                      "WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                                [account_id, last, CHUNK])
        for row in rows:
            yield row
        if len(rows) < CHUNK:
            return
        last = rows[-1]["id"]
