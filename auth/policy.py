"""Who may do what (SPEC T6): the one table of capabilities, and the one function that
reads it. Every guard — `requires(...)`, the audiences of types, `node`, downloads,
the domain's checks, `viewerCan` — ends here.

A decision takes
* the principal's kind (`Kind`: a role in the account it acts in, a guest, a machine
  credential with its scopes, an operator, nobody);
* the conditions of the principal: acting in the object's account, the account's
  two-factor policy and the person's enrolment (I5), a proven address (I1);
* for what belongs to one dossier, the principal's relation to it (`Relation`: computed
  with the dossier in one statement by domain/dossiers/access.py from assignments and
  ACTIVE, unrevoked shares) and its state (archived, D6; the account read-only after
  cancellation, S9).

Scopes are not written beside the table: a kind holds the scopes of the rules that
admit it (`scopes_of`), and a machine credential may be given exactly the scopes of the
rules that admit machines (`MACHINE_GRANTABLE`).

This module is pure (no I/O, no GraphQL), so the domain may ask it too.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from enum import Enum
from typing import Any, Callable, Iterable, NamedTuple

from domain.core.actor import ActorKind, Role
from domain.core.errors import Forbidden, NotFound, Unauthenticated
from domain.identity.errors import TwoFactorRequired

TWO_FACTOR_MESSAGE = ("This account requires two-factor sign-in: turn it on for your login first "
                      "(startTwoFactorEnrollment), then sign in again.")


class Scope(str, Enum):
    DOSSIERS_READ = "dossiers:read"
    DOSSIERS_WRITE = "dossiers:write"
    SHARES_MANAGE = "shares:manage"
    TEAMMATES_MANAGE = "teammates:manage"
    AUDIT_READ = "audit:read"
    BILLING_MANAGE = "billing:manage"
    BILLING_OPERATE = "billing:operate"
    # Webhook endpoints and their deliveries (T5): owners, admins, and machine credentials given it.
    WEBHOOKS_MANAGE = "webhooks:manage"


class Kind(str, Enum):
    OWNER = "owner"
    ADMIN = "admin"
    MEMBER = "member"
    GUEST = "guest"
    MACHINE = "machine credential"
    OPERATOR = "operator"
    ANONYMOUS = "anonymous"


class Relation(str, Enum):
    """A principal's tie to one dossier."""

    ACCOUNT = "account"          # owner, admin or machine credential acting in the dossier's account (D2, T4)
    ASSIGNED = "assigned"        # a member assigned to it (D2)
    CONTRIBUTOR = "contributor"  # an active CONTRIBUTOR share held by a paid user (D3)
    VIEWER = "viewer"            # any other active share (a guest never writes, D3)
    NONE = "none"                # none of these: the dossier does not exist for them (D4)


class Outcome(str, Enum):
    ALLOWED = "allowed"
    HIDDEN = "hidden"              # answered like a missing thing (D4)
    FORBIDDEN = "forbidden"        # seen, but not for this action
    UNAUTHENTICATED = "unauthenticated"
    TWO_FACTOR = "two-factor required"
    ARCHIVED = "archived"          # DOSSIER_ARCHIVED
    NOT_ARCHIVED = "not archived"  # DOSSIER_NOT_ARCHIVED
    READ_ONLY = "read-only"        # ACCOUNT_READ_ONLY


PEOPLE = frozenset({Kind.OWNER, Kind.ADMIN, Kind.MEMBER})
MANAGERS = frozenset({Kind.OWNER, Kind.ADMIN})
TEAM_AND_MACHINE = PEOPLE | {Kind.MACHINE}
SIGNED_IN_PEOPLE = PEOPLE | {Kind.GUEST, Kind.OPERATOR}
ANY_SHARE = frozenset({Relation.ACCOUNT, Relation.ASSIGNED, Relation.CONTRIBUTOR, Relation.VIEWER})
WRITERS = frozenset({Relation.ACCOUNT, Relation.ASSIGNED, Relation.CONTRIBUTOR})
WORKERS = frozenset({Relation.ACCOUNT, Relation.ASSIGNED})


@dataclass(frozen=True)
class Rule:
    resource: str
    action: str
    kinds: frozenset[Kind]
    # The scope a token must carry: a machine credential holds it only when given it.
    scope: Scope | None = None
    # For what belongs to one dossier: the relations that may act (None: not dossier-bound).
    relations: frozenset[Relation] | None = None
    # Only in the account the principal acts in (operators excepted where they are admitted).
    own_account: bool = True
    # D6: None regardless; False only while not archived; True only while archived.
    archived: bool | None = None
    # S9: refused once the account's cancellation has taken effect.
    writes: bool = False
    # I5: still allowed to a teammate who has not enrolled in a two-factor account.
    before_two_factor: bool = False
    # Never in production (the test clock).
    outside_production: bool = False
    note: str = ""
    # The API's root fields serving this rule, where the schema asks by field (two-factor gate).
    operations: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.resource}.{self.action}"


def _r(resource: str, action: str, kinds: Iterable[Kind], scope: Scope | None = None, **more: Any) -> Rule:
    return Rule(resource, action, frozenset(kinds), scope, **more)


S = Scope
K = Kind
# The table. Add a resource or an action here, and nowhere else: scopes, README's "Who
# may do what", the matrix test and viewerCan follow from it.
TABLE: tuple[Rule, ...] = (
    _r("account", "read", PEOPLE | {K.MACHINE}, note="its name and time zone"),
    _r("account", "update", MANAGERS, note="name"),
    _r("account", "configure", {K.OWNER}, note="time zone, language, required two-factor sign-in; also after cancellation, "
                                               "which only protects the clients"),
    _r("account", "export", {K.OWNER}, note="every dossier as one archive, also after cancellation"),
    _r("team", "read", PEOPLE, note="teammates, their roles"),
    _r("team", "manage", MANAGERS, S.TEAMMATES_MANAGE, writes=True,
       note="invite, remove, change roles, machine credentials"),
    _r("team", "manage owners", {K.OWNER}, S.TEAMMATES_MANAGE, writes=True, note="make or remove an owner"),
    _r("billing", "read", PEOPLE | {K.OPERATOR}, note="subscription and usage"),
    _r("billing", "manage", {K.OWNER}, S.BILLING_MANAGE, note="quotes, subscription changes, ledger"),
    _r("billing", "operate", {K.OPERATOR}, S.BILLING_OPERATE, own_account=False, note="discounts, any account"),
    _r("billing profile", "read", MANAGERS | {K.OPERATOR}, note="operators: the buyer they bill and credit"),
    _r("billing profile", "manage", MANAGERS),
    _r("invoice", "read", MANAGERS | {K.OPERATOR}),
    _r("webhooks", "manage", MANAGERS | {K.MACHINE}, S.WEBHOOKS_MANAGE),
    _r("audit log", "read", MANAGERS, S.AUDIT_READ),
    _r("dossier", "create", TEAM_AND_MACHINE, S.DOSSIERS_WRITE, writes=True),
    _r("dossier", "read", TEAM_AND_MACHINE | {K.GUEST}, S.DOSSIERS_READ, relations=ANY_SHARE, own_account=False),
    _r("dossier", "write", TEAM_AND_MACHINE, S.DOSSIERS_WRITE, relations=WRITERS, own_account=False,
       archived=False, writes=True, note="profile"),
    _r("dossier", "manage", MANAGERS, S.TEAMMATES_MANAGE, relations=WORKERS,
       note="assign teammates, read its access log"),
    _r("dossier", "share", TEAM_AND_MACHINE, S.SHARES_MANAGE, relations=WORKERS, archived=False, writes=True),
    _r("dossier", "export", TEAM_AND_MACHINE | {K.GUEST}, S.DOSSIERS_READ, relations=ANY_SHARE, own_account=False),
    _r("dossier", "archive", TEAM_AND_MACHINE, S.DOSSIERS_WRITE, relations=WORKERS, archived=False, writes=True),
    _r("dossier", "unarchive", TEAM_AND_MACHINE, S.DOSSIERS_WRITE, relations=WORKERS, archived=True, writes=True),
    _r("dossier", "delete", {K.OWNER}, S.DOSSIERS_WRITE, relations=WORKERS, note="erasure, also archived"),
    _r("entry", "add", TEAM_AND_MACHINE, S.DOSSIERS_WRITE, relations=WRITERS, own_account=False, archived=False,
       writes=True),
    _r("entry", "revise", TEAM_AND_MACHINE, S.DOSSIERS_WRITE, relations=WRITERS, own_account=False, archived=False,
       writes=True),
    _r("measurement", "record", TEAM_AND_MACHINE, S.DOSSIERS_WRITE, relations=WRITERS, own_account=False,
       archived=False, writes=True),
    _r("share", "list", TEAM_AND_MACHINE, S.SHARES_MANAGE, relations=WORKERS),
    _r("share", "revoke", TEAM_AND_MACHINE, S.SHARES_MANAGE, relations=WORKERS,
       note="also archived or cancelled: it only protects the client"),
    _r("share", "hold", PEOPLE | {K.GUEST}, own_account=False,
       note="see and accept one's own share; waiting under an address only once it is proven (I1)"),
    _r("export", "download", TEAM_AND_MACHINE | {K.GUEST}, S.DOSSIERS_READ, own_account=False,
       note="one's own export, while one may still read all it holds"),
    _r("session", "manage", SIGNED_IN_PEOPLE, own_account=False, before_two_factor=True,
       note="list and end one's sessions, enrol in two-factor sign-in, prove one's address, switch accounts",
       operations=("me", "logOut", "endSession", "switchAccount", "startTwoFactorEnrollment",
                   "confirmTwoFactorEnrollment", "verifyEmail", "resendEmailVerification")),
    _r("test clock", "advance", {K.OWNER}, outside_production=True),
)
RULES: dict[tuple[str, str], Rule] = {(rule.resource, rule.action): rule for rule in TABLE}
# I5: the root fields a teammate may still use before enrolling where two-factor is required.
ALLOWED_BEFORE_TWO_FACTOR = frozenset(op for r in TABLE if r.before_two_factor for op in r.operations)


def rule(resource: str, action: str) -> Rule:
    return RULES[(resource, action)]


@cache
def scopes_of(kind: Kind) -> frozenset[Scope]:
    """The scopes a kind holds: those of the rules that admit it."""
    return frozenset(r.scope for r in TABLE if r.scope is not None and kind in r.kinds)


# What a machine credential may be given (T4): the scopes of the rules admitting machines.
MACHINE_GRANTABLE = scopes_of(Kind.MACHINE)
_ROLE_KINDS = {Role.OWNER: Kind.OWNER, Role.ADMIN: Kind.ADMIN, Role.MEMBER: Kind.MEMBER}


def kind_of_role(role: Role | None) -> Kind | None:
    return _ROLE_KINDS.get(role) if role is not None else None


def actor_of(who: Any) -> Any:
    """A Principal (auth.principal) or an Actor (domain.core.actor); None stays None."""
    return getattr(who, "actor", who)


_ACTOR_KINDS = {ActorKind.GUEST: Kind.GUEST, ActorKind.OPERATOR: Kind.OPERATOR}


def kind_of(who: Any) -> Kind:
    actor = getattr(who, "actor", who)
    if actor is None:
        return Kind.ANONYMOUS
    if actor.machine:
        return Kind.MACHINE
    kind = actor.kind
    if kind is ActorKind.PAID:
        return _ROLE_KINDS.get(actor.role, Kind.ANONYMOUS)
    return _ACTOR_KINDS.get(kind, Kind.ANONYMOUS)


_NONE: frozenset = frozenset()


def scopes_held(who: Any) -> frozenset[Scope]:
    """A principal's scopes as verified for this request; an actor's from its kind (a
    machine's from its credential)."""
    if who is None:
        return _NONE
    actor = getattr(who, "actor", None)
    if actor is not None:
        return who.scopes  # a Principal: what its token and the database allow now
    kind = kind_of(who)
    return who.scopes if kind is Kind.MACHINE else scopes_of(kind)


def two_factor_pending(who: Any) -> bool:
    return bool(getattr(who, "two_factor_required", False))


class Facts(NamedTuple):
    """The object's side of a decision (a tuple: built for every object a page shows)."""

    account_id: int | None = None
    relation: Relation = Relation.NONE
    archived: bool = False
    read_only: bool = False
    production: bool = False


def decide(who: Any, resource: str, action: str, facts: Facts = Facts()) -> Outcome:
    """The one decision. HIDDEN where a refusal would tell that the thing exists (D4)."""
    r = RULES[(resource, action)]
    kind = kind_of(who)
    if kind is Kind.ANONYMOUS:
        return Outcome.UNAUTHENTICATED
    if r.relations is not None and facts.relation not in r.relations:
        return Outcome.HIDDEN if facts.relation is Relation.NONE else Outcome.FORBIDDEN
    if kind not in r.kinds or (r.scope is not None and r.scope not in scopes_held(who)):
        return Outcome.FORBIDDEN
    if two_factor_pending(who) and not r.before_two_factor:
        return Outcome.TWO_FACTOR
    if r.own_account and kind is not Kind.OPERATOR and facts.account_id is not None \
            and actor_of(who).account_id != facts.account_id:
        return Outcome.HIDDEN
    if r.outside_production and facts.production:
        return Outcome.FORBIDDEN
    if r.archived is not None and facts.archived != r.archived:
        return Outcome.ARCHIVED if facts.archived else Outcome.NOT_ARCHIVED
    if r.writes and facts.read_only:
        return Outcome.READ_ONLY
    return Outcome.ALLOWED


def admits(who: Any, resource: str, action: str) -> bool:
    """The principal's kind and scopes fit the rule, before any object's facts."""
    r = RULES[(resource, action)]
    return kind_of(who) in r.kinds and (r.scope is None or r.scope in scopes_held(who))


def may(who: Any, resource: str, action: str, facts: Facts = Facts()) -> bool:
    return decide(who, resource, action, facts) is Outcome.ALLOWED


def may_do(who: Any, resource: str, action: str, facts: Facts = Facts()) -> bool:
    """Allowed as far as the principal goes: the object's state (archived, read-only) set
    aside — for guards that leave the state to the domain's own error."""
    return decide(who, resource, action, facts) in (Outcome.ALLOWED, Outcome.ARCHIVED, Outcome.NOT_ARCHIVED,
                                                    Outcome.READ_ONLY)


def dossier_relation(actor: Any, account_id: int, assigned: bool, shared: str | None) -> Relation:
    """The relation from what one statement read: the actor's assignment and its ACTIVE,
    unrevoked share's access (CONTRIBUTOR/VIEWER) or None."""
    return _dossier_relation(kind_of(actor), actor, account_id, assigned, shared)


def _dossier_relation(kind: Kind, actor: Any, account_id: int, assigned: bool, shared: str | None) -> Relation:
    if kind in (Kind.OWNER, Kind.ADMIN, Kind.MEMBER, Kind.MACHINE) and actor.account_id == account_id:
        if kind is not Kind.MEMBER:
            return Relation.ACCOUNT
        if assigned:
            return Relation.ASSIGNED
    if shared is not None and kind is not Kind.OPERATOR:
        # A guest or a machine writes nothing through a share, whatever its access (D3, T4).
        writes = shared == "CONTRIBUTOR" and kind in PEOPLE
        return Relation.CONTRIBUTOR if writes else Relation.VIEWER
    return Relation.NONE


def dossier_reader(actor: Any) -> Callable[[int, bool, str | None], Relation | None]:
    """For a page of dossiers read by one actor: (account id, assigned, share's access) →
    the actor's relation, or None where `dossier: read` does not allow it. What depends
    on the actor alone is decided once, not per dossier."""
    if not admits(actor, "dossier", "read"):
        return lambda account_id, assigned, shared: None
    readers = rule("dossier", "read").relations or frozenset()
    kind = kind_of(actor)
    known: dict[tuple[int, bool, str | None], Relation | None] = {}  # a page's dossiers mostly repeat one

    def relation(account_id: int, assigned: bool, shared: str | None) -> Relation | None:
        key = (account_id, assigned, shared)
        if key in known:
            return known[key]
        found = _dossier_relation(kind, actor, account_id, assigned, shared)
        answer = known[key] = found if found in readers else None
        return answer

    return relation


def holds_share(who: Any, share_user_id: int | None, share_email: str) -> bool:
    """`share.hold`: one's own share, or one waiting under one's address once proven (I1)."""
    actor = actor_of(who)
    if actor is None or not may(who, "share", "hold"):
        return False
    if share_user_id is not None:
        return share_user_id == actor.user_id
    return share_email == actor.email and bool(getattr(actor, "address_proven", False))


# viewerCan (API.md "Who may"): each field is one rule of the table.
DOSSIER_CAPABILITIES = {"read": ("dossier", "read"), "write": ("dossier", "write"),
                        "manage": ("dossier", "manage"), "share": ("dossier", "share"),
                        "export": ("dossier", "export"), "archive": ("dossier", "archive"),
                        "unarchive": ("dossier", "unarchive")}
ACCOUNT_CAPABILITIES = {"manage_team": ("team", "manage"), "manage_billing": ("billing", "manage"),
                        "read_billing": ("billing", "read"), "manage_webhooks": ("webhooks", "manage"),
                        "export_account": ("account", "export"), "read_audit_log": ("audit log", "read")}


def capabilities(who: Any, table: dict[str, tuple[str, str]], facts: Facts) -> dict[str, bool]:
    return {name: may(who, resource, action, facts) for name, (resource, action) in table.items()}


def refusal(outcome: Outcome, resource: str, action: str, *, what: str = "object") -> Exception:
    """The one error of each refusal (D4: HIDDEN is the missing thing's NotFound)."""
    if outcome is Outcome.UNAUTHENTICATED:
        return Unauthenticated()
    if outcome is Outcome.HIDDEN:
        return NotFound(what)
    if outcome is Outcome.TWO_FACTOR:
        return TwoFactorRequired(TWO_FACTOR_MESSAGE)
    return Forbidden(f"Your access does not allow this ({resource}: {action}).")


def ensure(who: Any, resource: str, action: str, facts: Facts = Facts(), *, what: str = "object") -> None:
    """Raise the refusal unless allowed; the object's state (archived, read-only) is left
    to the domain's own user errors."""
    outcome = decide(who, resource, action, facts)
    if outcome not in (Outcome.ALLOWED, Outcome.ARCHIVED, Outcome.NOT_ARCHIVED, Outcome.READ_ONLY):
        raise refusal(outcome, resource, action, what=what)


def acting_account(who: Any, resource: str, action: str) -> int:
    """The account the principal acts in, when it may do this there."""
    account_id = getattr(actor_of(who), "account_id", None)
    if account_id is None:
        kind = kind_of(who)
        raise Unauthenticated() if kind is Kind.ANONYMOUS else Forbidden(
            f"Your access does not allow this ({resource}: {action}).")
    ensure(who, resource, action, Facts(account_id))
    return account_id


def ensure_roles(who: Any, roles: Iterable[Role | None], account_id: int | None) -> None:
    """Making, inviting or removing an owner is the owners' own (SPEC §1)."""
    if Role.OWNER in roles:
        ensure(who, "team", "manage owners", Facts(account_id))
