"""Who may see, write and manage which dossier (D2, D3, D4, D6, P2, P3) — the one place
this rule lives.

Teammates: owners and admins of the dossier's account (and its machine credentials, T4)
see and write all of its dossiers; members only those they are assigned to, and they
manage those dossiers' shares. Outsiders: a live ACTIVE share gives VIEWER (read) or
CONTRIBUTOR (read and write, but only while the holder is a paid user: a guest writes
nothing, ever). Operators see no dossier at all (P3).

A dossier the actor may not see is answered exactly like a missing one (D4), and costs
the same: one statement reads the dossier together with the actor's assignment and
share, whether it exists, is foreign or is visible, so timing tells nothing either.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, Sequence

from tortoise import connections

from auth import policy
from auth.policy import Relation
from domain.core.actor import Actor
from infra.db import Row, dialect, fetch_rows, placeholders
from domain.core.errors import DomainError, ErrorCode, Forbidden, NotFound
from domain.dossiers.finding import SearchTerm, month_now
from domain.dossiers.models import Dossier

READ = "READ"
WRITE = "WRITE"
# The one share status that gives access (domain/shares/models.py names them all): the
# statements here read the share table directly, since shares sit above dossiers.
ACTIVE = "ACTIVE"

DOSSIER_COLUMNS = ("id", "account_id", "client_name", "reference", "date_of_birth", "free_fields",
                   "archived_at", "share_count", "created_at", "updated_at")
_SELECT_DOSSIER = ", ".join(f"d.{column}" for column in DOSSIER_COLUMNS)
_CONVERT = {"datetimes": ("archived_at", "created_at", "updated_at"), "dates": ("date_of_birth",),
            "json_columns": ("free_fields",)}


class DossierArchived(DomainError):
    code = ErrorCode.DOSSIER_ARCHIVED

    def __init__(self, message: str = "This dossier is archived; it can be read but not changed.") -> None:
        super().__init__(message, field=("dossierId",))


# A tuple: `in` finds members by identity, where a set would call the enum's Python `__hash__`.
_OWN_ACCOUNT = (Relation.ACCOUNT, Relation.ASSIGNED)


@dataclass(frozen=True)
class DossierAccess:
    """A dossier as one actor may use it: its row and the actor's relation to it; what
    that allows is asked of the policy (auth/policy.py), never decided here."""

    # The dossier's columns (DOSSIER_COLUMNS), as read.
    row: Row
    relation: Relation
    actor: Actor = field(compare=False)

    @cached_property
    def dossier(self) -> Dossier:
        """The dossier as a model, for services that change it (reads use `row`)."""
        return Dossier._init_from_db(**{column: getattr(self.row, column) for column in DOSSIER_COLUMNS})

    def facts(self, *, read_only: bool = False) -> policy.Facts:
        return policy.Facts(self.row.account_id, self.relation, self.row.archived_at is not None, read_only)

    def outcome(self, resource: str, action: str, *, read_only: bool = False) -> policy.Outcome:
        return policy.decide(self.actor, resource, action, self.facts(read_only=read_only))

    def may(self, resource: str, action: str) -> bool:
        """Allowed as far as the actor goes (the dossier's state is the domain's error)."""
        return policy.may_do(self.actor, resource, action, self.facts())

    @property
    def level(self) -> str:
        return WRITE if self.can_write else READ

    @property
    def can_write(self) -> bool:
        return self.may("dossier", "write")

    @property
    def own_account(self) -> bool:
        """The actor works in the dossier's own account (a teammate or its machine credential)."""
        return self.relation in _OWN_ACCOUNT

    @property
    def assigned(self) -> bool:
        return self.relation is Relation.ASSIGNED

    @property
    def manages_shares(self) -> bool:
        """Who gives, revokes and lists a dossier's shares (D2, D3, T4)."""
        return self.may("share", "list")

    @property
    def sees_team(self) -> bool:
        """Who is assigned is the account's own business: outsiders see no assignees."""
        return self.relation in _OWN_ACCOUNT  # `own_account`, asked for each dossier of a page

    @property
    def reads_access_log(self) -> bool:
        """P2's log of readers: owners and admins of the dossier's account."""
        return self.may("dossier", "manage")


def managing_shares(accesses: Sequence[DossierAccess | None]) -> list[bool]:
    """`manages_shares` of each access (False for None), the policy asked once per actor
    and facts: the dossiers of one page mostly share both."""
    answers: dict[tuple, bool] = {}
    found = []
    for access in accesses:
        if access is None:
            found.append(False)
            continue
        # What `facts()` holds, without building the tuple for each dossier.
        row = access.row
        key = (id(access.actor), row.account_id, access.relation, row.archived_at is not None)
        answer = answers.get(key)
        if answer is None:
            answer = answers[key] = access.manages_shares
        found.append(answer)
    return found


def _sees_dossiers(actor: Actor) -> bool:
    return policy.kind_of(actor) in policy.rule("dossier", "read").kinds


def access_from_row(actor: Actor, row: Row, reader: Any = None) -> DossierAccess | None:
    """Build the access from a row of the dossier's columns plus `assigned` and `shared`
    (`_access_columns`); None when the actor may not see it. `reader`: the actor's
    `policy.dossier_reader`, when a page of rows is read."""
    relation = (reader or policy.dossier_reader(actor))(row.account_id, bool(row.assigned), row.shared)
    return None if relation is None else DossierAccess(row, relation, actor)


def _two_factor_holds(user: str) -> str:
    """SQL: a share of dossier `d` is not usable by `user` while `d`'s account requires
    two-factor sign-in, `user` is one of its teammates and has not enrolled (I5: such a
    teammate can do nothing in that account but enrol, also not through a share given
    before)."""
    return (f"NOT EXISTS (SELECT 1 FROM membership tm JOIN account ta ON ta.id = tm.account_id "
            f"JOIN \"user\" tu ON tu.id = tm.user_id WHERE tm.account_id = d.account_id AND tm.user_id = {user} "
            f"AND ta.require_two_factor AND tu.totp_enabled_at IS NULL)")


def _access_columns(first_param: int) -> tuple[str, int]:
    """SQL for the actor's assignment and share of each dossier `d`; uses two parameters
    (membership id, user id) numbered from `first_param`."""
    m, u = first_param, first_param + 1
    # The two-factor check in the share's column, not in its WHERE: it does not depend on
    # the share, and there PostgreSQL ran it for every dossier of a page before looking
    # for a share (a one-time filter per row); here only a share found runs it.
    sql = (f"EXISTS (SELECT 1 FROM dossier_assignment a WHERE a.dossier_id = d.id AND a.membership_id = ${m}) "
           f"AS assigned, (SELECT CASE WHEN {_two_factor_holds(f'${u}')} THEN s.access END FROM share s "
           f"WHERE s.dossier_id = d.id AND s.user_id = ${u} AND s.status = '{ACTIVE}' AND s.revoked_at IS NULL "
           f"ORDER BY s.id LIMIT 1) AS shared")
    return sql, u + 1


def _actor_params(actor: Actor) -> list[Any]:
    # -1 matches no row: guests and machines have no membership to be assigned with.
    return [actor.membership_id if actor.membership_id is not None else -1, actor.user_id]


async def accesses(keys: Sequence[tuple[Actor, int]]) -> list[DossierAccess | None]:
    """DataLoader batch: (actor, dossier id) → what the actor may do with it, or None when
    it is missing or not visible (D4). One statement per actor in the batch."""
    found: dict[tuple[Actor, int], DossierAccess] = {}
    conn = connections.get("default")
    for actor in {actor for actor, _ in keys}:
        ids = sorted({dossier_id for who, dossier_id in keys if who == actor})
        if not _sees_dossiers(actor) or not ids:
            continue
        columns, next_param = _access_columns(1)
        marks = placeholders(next_param, len(ids))
        rows = await fetch_rows(conn, f"SELECT {_SELECT_DOSSIER}, {columns} FROM dossier d "
                                      f"WHERE d.id IN ({marks})", [*_actor_params(actor), *ids], **_CONVERT)
        reader = policy.dossier_reader(actor)
        for row in rows:
            access = access_from_row(actor, row, reader)
            if access is not None:
                found[(actor, access.row.id)] = access
    return [found.get((actor, dossier_id)) for actor, dossier_id in keys]


async def dossier_access(actor: Actor, dossier_id: int) -> DossierAccess | None:
    return (await accesses([(actor, dossier_id)]))[0]


class DossierNotArchived(DomainError):
    code = ErrorCode.DOSSIER_NOT_ARCHIVED

    def __init__(self) -> None:
        super().__init__("This dossier is not archived.", field=("dossierId",))


def guard(access: DossierAccess, resource: str, action: str, *, field: str = "dossierId") -> DossierAccess:
    """The policy's answer for this action on a dossier the actor sees, as the domain's
    error: FORBIDDEN for a principal it does not allow, or the state's user error (D6)."""
    outcome = access.outcome(resource, action)
    if outcome is policy.Outcome.ALLOWED or outcome is policy.Outcome.READ_ONLY:
        return access  # the account's state is checked by the write itself, under its lock (S9)
    if outcome is policy.Outcome.HIDDEN:
        raise NotFound("dossier", field=(field,))
    if outcome is policy.Outcome.ARCHIVED:
        raise DossierArchived()
    if outcome is policy.Outcome.NOT_ARCHIVED:
        raise DossierNotArchived()
    raise Forbidden(f"Your access to this dossier does not allow this ({resource} {action}).")


async def visible_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> DossierAccess:
    """The dossier with what this actor may do with it; NotFound when not visible (D4)."""
    access = await dossier_access(actor, dossier_id)
    if access is None:
        raise NotFound("dossier", field=(field,))
    return access


async def writable_access(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> DossierAccess:
    """A dossier this actor may change: visible, writable, and not archived (D3, D6). Its
    `row` serves a write that adds to the dossier; `dossier`, one that changes it."""
    return guard(await visible_dossier(actor, dossier_id, field=field), "dossier", "write", field=field)


async def writable_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """`writable_access` as the model to change."""
    return (await writable_access(actor, dossier_id, field=field)).dossier


async def writable_entry_dossier(actor: Actor, entry_id: int) -> Dossier:
    """The dossier of an entry this actor may revise; NotFound("entry") when the entry is
    missing or its dossier not visible — one statement either way, like `accesses`."""
    columns, next_param = _access_columns(1)
    rows = await fetch_rows(connections.get("default"),
                            f"SELECT {_SELECT_DOSSIER}, {columns} FROM entry e JOIN dossier d ON d.id = e.dossier_id "
                            f"WHERE e.id = ${next_param}", [*_actor_params(actor), entry_id], **_CONVERT)
    access = access_from_row(actor, rows[0]) if rows and _sees_dossiers(actor) else None
    if access is None:
        raise NotFound("entry", field=("entryId",))
    return guard(access, "entry", "revise").dossier


async def managed_dossier(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """A dossier of the account the actor manages (owner or admin acting in it)."""
    return guard(await visible_dossier(actor, dossier_id, field=field), "dossier", "manage", field=field).dossier


async def dossier_for_shares(actor: Actor, dossier_id: int, *, field: str = "dossierId") -> Dossier:
    """The dossier, when this actor manages its shares; NotFound otherwise (D4: share
    holders and other accounts are answered as if it did not exist)."""
    access = await dossier_access(actor, dossier_id)
    if access is None or not access.manages_shares:
        raise NotFound("dossier", field=(field,))  # share holders learn nothing of the rest (D4)
    return access.dossier


@dataclass(frozen=True)
class Finding:
    """Narrowing of the `dossiers` list (D7); every filter combines with the others.
    Tri-state flags: None does not narrow, True keeps only those, False only the others."""

    search: SearchTerm | None = None
    assigned_to_me: bool | None = None
    active_this_month: bool | None = None
    # Only archived dossiers (implies including them).
    archived_only: bool = False


def _finding_conditions(actor: Actor, finding: Finding, params: list[Any], now: datetime | None,
                        *, dialect_name: str, by_keys: bool = False) -> tuple[list[str], list[str]]:
    """SQL conditions on `d` for both halves and for the own-account half alone; appends
    their parameters. The assignment condition reuses $1 (the actor's membership).
    `by_keys`: the statement finds its matches from the search keys, not the trigram index."""
    both: list[str] = []
    own_only: list[str] = []
    if finding.search is not None:
        trigram = finding.search.indexable and not by_keys
        params.append(finding.search.pattern if trigram else finding.search.folded)
        n = len(params)
        if trigram:
            # PostgreSQL's LIKE escapes with a backslash by default; SQLite needs it said.
            escape = " ESCAPE '\\'" if dialect_name == "sqlite" else ""
            both.append(f"d.search_text LIKE ${n}{escape}")
        else:
            # One or two characters have no trigram to look up: a plain substring test, so
            # that the planner walks the name index instead of the whole trigram index. The
            # search keys' statement tests the same way: the planner estimates LIKE '%…%'
            # to keep a dossier in a hundred, prices each key's page at thousands of rows,
            # and at ten times the data the statement's cost crossed `jit_above_cost`
            # (40 ms of JIT compiling for a 3 ms search); this test it prices neutrally.
            both.append(f"instr(d.search_text, ${n}) > 0" if dialect_name == "sqlite"
                        else f"strpos(d.search_text, ${n}) > 0")
    if finding.active_this_month is not None:
        if now is None:
            raise ValueError("activeThisMonth needs the business time")
        month = month_now(now)
        params.append(month.month)
        month_sql = f"${len(params)}"
        if month.next_month is not None:
            # About a day around the turn of a month: the dossier's account decides (A1).
            params.append(month.next_month)
            later = len(params)
            params.extend(month.zones_in_next_month)
            zones = placeholders(later + 1, len(params) - later) or "NULL"
            month_sql = (f"(SELECT CASE WHEN acc.time_zone IN ({zones}) THEN ${later} ELSE {month_sql} END "
                         f"FROM account acc WHERE acc.id = d.account_id)")
        active = (f"EXISTS (SELECT 1 FROM active_dossier ad WHERE ad.account_id = d.account_id "
                  f"AND ad.month = {month_sql} AND ad.dossier_id = d.id)")
        both.append(active if finding.active_this_month else f"NOT {active}")
    if finding.assigned_to_me is not None:
        assigned = "EXISTS (SELECT 1 FROM dossier_assignment a4 WHERE a4.dossier_id = d.id AND a4.membership_id = $1)"
        own_only.append(assigned if finding.assigned_to_me else f"NOT {assigned}")
    if finding.archived_only:
        both.append("d.archived_at IS NOT NULL")
    return both, own_only


# How many of the account's dossiers, in name order, a search reads before it turns to
# the search keys instead (PostgreSQL). A term as common as a surname (one dossier in a
# hundred) fills a page within about 2,000 names, at any size of account. A rare term
# pays the walk, a few milliseconds, then the keys; so does a term whose matches cluster
# beyond the walk (a first name: names sort by it).
SEARCH_WALK = 4000
# What a search's conditions read of a dossier (`_finding_conditions`, the cursor): the
# columns of the name index with those it INCLUDEs (PostgreSQL), so that walking the
# names reads that index only.
_WALKED = "d.id, d.account_id, d.client_name, d.archived_at, d.search_text"


def _own_search_half(columns: str, own_account: str, cursor: str, own_filters: str, limit: str, walk: str,
                     keys: tuple[str, str] | None, after_name: str | None) -> str:
    """The own-account half of a search on PostgreSQL, in two tries within the statement.
    The planner cannot tell a rare term from a common one (its LIKE estimate is the same
    ~0.7 % for both), so neither of its plans suits both: walking the name index finds a
    page of "van" at once but reads all 20,000 names for one "Brontë". So: walk the next
    SEARCH_WALK names first; when they hold a page of matches, that is the page (they
    come in order). Otherwise — a rarer term, or one whose matches cluster beyond the
    walk, as a first name does — take the page from the search keys (`_keyed_matches`),
    or, for a term without a word of three characters, from the trigram index, sorting
    every match; that branch runs only then (a one-time filter)."""
    # The walk finds ids and names only, reading the name index alone (its INCLUDE columns
    # hold what a search filters on), not a table row per name; the page's rows are read
    # once, at the end.
    own_where = f"WHERE d.account_id = {own_account}{own_filters}"
    walked = (f"SELECT d.id FROM (SELECT {_WALKED} FROM dossier d WHERE d.account_id = "
              f"{own_account}{cursor} ORDER BY d.client_name, d.id LIMIT {walk}) d {own_where} "
              f"ORDER BY d.client_name, d.id LIMIT {limit}")
    if keys is not None:
        matched = _keyed_matches(own_account, own_filters, limit, keys, after_name)
    else:
        # The matching reads whole rows, so that the planner never prefers the name
        # index's every entry to the trigram index; OFFSET 0 keeps it from pulling
        # ORDER BY … LIMIT into the matching.
        searched = f"{_SELECT_DOSSIER}, d.search_text"
        matched = (f"SELECT {_SELECT_DOSSIER} FROM (SELECT {searched} FROM dossier d {own_where} OFFSET 0) d "
                   f"ORDER BY d.client_name, d.id LIMIT {limit}")
    return (f"SELECT * FROM (WITH walked AS MATERIALIZED ({walked}), "
            f"page AS (SELECT {_SELECT_DOSSIER} FROM walked JOIN dossier d ON d.id = walked.id "
            f"WHERE (SELECT count(*) FROM walked) = {limit} "
            f"UNION ALL SELECT * FROM ({matched}) matched WHERE (SELECT count(*) FROM walked) < {limit}) "
            f"SELECT {_SELECT_DOSSIER}, {columns} FROM page d) own_half")


def _keyed_matches(own_account: str, own_filters: str, limit: str, keys: tuple[str, str],
                   after_name: str | None) -> str:
    """A page of the term's matches from the search keys (migration 0027): each distinct
    key in the term's range (`SearchTerm.key_range`; found one index probe each, a loose
    scan), then each key's first page of matching dossiers in name order from the keys'
    primary key, merged. Every match holds such a key, and a dossier on the page is on
    its keys' first pages, so the merge is the page. The cost follows the number of
    distinct keys, not the number of matches: "Lotte" is one key however many Lottes."""
    low, high = keys
    in_range = f"k.account_id = {own_account} AND k.key < {high}"
    # A later page starts each key's walk at the cursor's name (the exact cursor is in own_filters).
    from_name = f" AND k.client_name >= {after_name}" if after_name else ""
    found = (f"WITH RECURSIVE run(key) AS ("
             f"SELECT (SELECT min(k.key) FROM dossier_search_key k WHERE {in_range} AND k.key >= {low}) "
             f"UNION ALL SELECT (SELECT min(k.key) FROM dossier_search_key k WHERE {in_range} AND k.key > run.key) "
             f"FROM run WHERE run.key IS NOT NULL) "
             f"SELECT DISTINCT first_page.client_name, first_page.id FROM run CROSS JOIN LATERAL ("
             f"SELECT d.client_name, d.id FROM dossier_search_key k JOIN dossier d ON d.id = k.dossier_id "
             f"WHERE k.account_id = {own_account} AND k.key = run.key{from_name}{own_filters} "
             f"ORDER BY k.client_name, k.dossier_id LIMIT {limit}) first_page "
             f"ORDER BY 1, 2 LIMIT {limit}")
    # Each key's dossiers are joined by primary key: with the account's condition on the
    # dossier too, PostgreSQL's generic plan (asyncpg prepares) scanned the account's names
    # for each key row. The keys carry the account (the trigger writes it); the page's
    # rows check it once more.
    return (f"SELECT {_SELECT_DOSSIER} FROM ({found}) m JOIN dossier d ON d.id = m.id "
            f"WHERE d.account_id = {own_account}")


def _visible_sql(actor: Actor, conn: Any, *, include_archived: bool, finding: Finding, now: datetime | None,
                 first: int | None, after: tuple[str, int] | None, before: tuple[str, int] | None,
                 from_end: bool) -> tuple[str, list[Any]]:
    """The dossiers the actor may see as one statement: a page of `first + 1` in the
    direction of travel, or (`first` None) every matching dossier, unordered, to count."""
    params: list[Any] = _actor_params(actor)
    columns, _ = _access_columns(1)
    conditions = []
    if not include_archived and not finding.archived_only:
        conditions.append("d.archived_at IS NULL")
    cursor = ""
    after_name = None
    for bound, later in ((after, True), (before, False)):
        if bound is not None:
            params += [bound[0], bound[0], bound[1]]
            n = len(params)
            if later:
                after_name = f"${n - 2}"
            beyond = ">" if later else "<"
            cursor += (f" AND (d.client_name {beyond} ${n - 2} OR (d.client_name = ${n - 1} "
                       f"AND d.id {beyond} ${n}))")
    if cursor:
        conditions.append(cursor[5:])
    # A forward page of a search of three characters or more walks the names, then (on
    # PostgreSQL) reads the search keys or the trigram index (`_own_search_half`).
    walks = (first is not None and not from_end and finding.search is not None and finding.search.indexable
             and dialect(conn) == "postgres" and actor.is_paid and actor.account_id is not None)
    keys = finding.search.key_range if walks and finding.search is not None else None
    found, own_only = _finding_conditions(actor, finding, params, now, dialect_name=dialect(conn),
                                          by_keys=keys is not None)
    conditions += found
    direction = " DESC" if from_end else ""
    order = f" ORDER BY d.client_name{direction}, d.id{direction}"
    limit = ""
    if first is not None:
        params.append(first + 1)
        limit = f"${len(params)}"
    page = f"{order} LIMIT {limit}" if limit else ""
    extra = "".join(f" AND {condition}" for condition in conditions)
    # Counting names both actor parameters too: PostgreSQL must know every parameter's type.
    selected = f"{_SELECT_DOSSIER}, {columns}" if limit else "d.id, CAST($1 AS BIGINT) AS m, CAST($2 AS BIGINT) AS u"
    halves = []
    if actor.is_paid and actor.account_id is not None:
        # Owners, admins and machine credentials see the whole account; members what they are assigned (D2).
        whole = policy.dossier_relation(actor, actor.account_id, False, None) is Relation.ACCOUNT
        params.append(actor.account_id)
        own_account = f"${len(params)}"
        assigned_only = "" if whole else " AND EXISTS (SELECT 1 FROM dossier_assignment a2 " \
                                                         "WHERE a2.dossier_id = d.id AND a2.membership_id = $1)"
        own_extra = extra + "".join(f" AND {condition}" for condition in own_only)
        own_filters = f"{assigned_only}{own_extra}"
        own_where = f"WHERE d.account_id = {own_account}{own_filters}"
        if walks:
            params.append(SEARCH_WALK)
            walk = f"${len(params)}"
            key_range = None
            if keys is not None:
                params.extend(keys)
                key_range = (f"${len(params) - 1}", f"${len(params)}")
            halves.append(_own_search_half(columns, own_account, cursor, own_filters, limit, walk, key_range,
                                           after_name))
        else:
            halves.append(f"SELECT * FROM (SELECT {selected} FROM dossier d {own_where}{page}) own_half")
        not_own = (f" AND NOT (d.account_id = {own_account}" +
                   ("" if not assigned_only else assigned_only.replace("a2", "a3")) + ")")
        if whole:
            not_own = f" AND d.account_id <> {own_account}"
    else:
        not_own = ""
    if not finding.assigned_to_me:
        # Shared dossiers are never assigned to the actor: `assignedToMe: true` drops them.
        halves.append(f"SELECT * FROM (SELECT {selected} FROM dossier d "
                      f"JOIN share s2 ON s2.dossier_id = d.id WHERE s2.user_id = $2 AND s2.status = '{ACTIVE}' "
                      f"AND {_two_factor_holds('$2')} "
                      f"AND s2.revoked_at IS NULL{not_own}{extra}{page}) shared_half")
    union = " UNION ALL ".join(halves)
    if not limit:
        return f"SELECT count(*) AS n FROM ({union}) counted", params
    outer = order.replace("d.", "")
    return f"SELECT * FROM ({union}) page{outer} LIMIT {limit}", params


def _sees_none(actor: Actor, finding: Finding) -> bool:
    # Only teammates are assigned to dossiers: `assignedToMe` lists nothing for others.
    return not _sees_dossiers(actor) or bool(
        finding.assigned_to_me and not (actor.is_paid and actor.account_id is not None))


async def visible_dossiers(actor: Actor, *, include_archived: bool, first: int,
                           after: tuple[str, int] | None, finding: Finding | None = None,
                           now: datetime | None = None, before: tuple[str, int] | None = None,
                           from_end: bool = False) -> tuple[list[DossierAccess], bool]:
    """The `dossiers` list: the own account's visible dossiers plus those shared with the
    actor, by client name then id (keyset pagination; `after` and `before` = (name, id);
    `from_end` takes the page from the end, before `before`), in one statement. Each
    half reads its own index and stops at the page size, so a page's cost does not grow
    with the account. `finding` narrows both halves (D7; a forward search on PostgreSQL
    reads the search keys when walking the names finds no page).
    Returns (the page in name order, whether more lie beyond it that way)."""
    finding = finding or Finding()
    if _sees_none(actor, finding):
        return [], False
    conn = connections.get("default")
    sql, params = _visible_sql(actor, conn, include_archived=include_archived, finding=finding, now=now,
                               first=first, after=after, before=before, from_end=from_end)
    rows = await fetch_rows(conn, sql, params, **_CONVERT)
    reader = policy.dossier_reader(actor)
    page = []
    for row in rows:
        access = access_from_row(actor, row, reader)
        if access is not None:
            page.append(access)
    more = len(rows) > first
    page = page[:first]
    return (page[::-1] if from_end else page), more


async def count_visible_dossiers(actor: Actor, *, include_archived: bool, finding: Finding | None = None,
                                 now: datetime | None = None) -> int:
    """How many dossiers the `dossiers` list holds with these filters, in one statement."""
    finding = finding or Finding()
    if _sees_none(actor, finding):
        return 0
    conn = connections.get("default")
    sql, params = _visible_sql(actor, conn, include_archived=include_archived, finding=finding, now=now,
                               first=None, after=None, before=None, from_end=False)
    rows = await fetch_rows(conn, sql, params)
    return int(rows[0].n)
