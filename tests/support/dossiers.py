"""Given-steps for dossiers: practices, teammates made directly in the database, guests,
shares, and the dossier mutations and queries as a client app sends them."""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timezone

from auth.session_tokens import Session, mint
from auth.tokens import TokenService
from infra.clock import utc_now
from domain.accounts.models import Membership, User
from domain.identity.passwords import hash_password
from domain.identity.sessions import start_session
from domain.billing.models import Subscription
from domain.shares.models import Share
from schema.relay import parse_global_id, to_global_id
from tests.support.flows import PASSWORD, sign_up

_counter = itertools.count(1)
_HASH: list[str] = []

DOSSIER_FIELDS = "id clientName reference dateOfBirth archived activeThisMonth"

CREATE = f"""
mutation($input: CreateDossierInput!) {{
  createDossier(input: $input) {{ dossier {{ {DOSSIER_FIELDS} }} userErrors {{ code message field }} quote {{ id }} }}
}}"""

UPDATE = f"""
mutation($input: UpdateDossierInput!) {{
  updateDossier(input: $input) {{ dossier {{ {DOSSIER_FIELDS} }} userErrors {{ code message field }} quote {{ id }} }}
}}"""

ARCHIVE = f"""
mutation($input: ArchiveDossierInput!) {{
  archiveDossier(input: $input) {{ dossier {{ {DOSSIER_FIELDS} }} userErrors {{ code message field }} }}
}}"""

DELETE = """
mutation($input: DeleteDossierInput!) {
  deleteDossier(input: $input) { deletedDossierId userErrors { code message field } }
}"""

ASSIGN = """
mutation($input: AssignTeammateInput!) {
  assignTeammate(input: $input) { dossier { id assignees { id user { email } } } userErrors { code message field } }
}"""

UNASSIGN = """
mutation($input: UnassignTeammateInput!) {
  unassignTeammate(input: $input) { dossier { id assignees { id } } userErrors { code message field } }
}"""

ENTRY_FIELDS = "id kind body version author { userId email } writtenAt"

ADD_ENTRY = f"""
mutation($input: AddEntryInput!) {{
  addEntry(input: $input) {{ entry {{ {ENTRY_FIELDS} }} userErrors {{ code message field }} quote {{ id }} }}
}}"""

REVISE_ENTRY = f"""
mutation($input: ReviseEntryInput!) {{
  reviseEntry(input: $input) {{ entry {{ {ENTRY_FIELDS} revisions {{ version body author {{ userId email }} writtenAt }} }}
    userErrors {{ code message field }} quote {{ id }} }}
}}"""

RECORD = """
mutation($input: RecordMeasurementInput!) {
  recordMeasurement(input: $input) {
    measurement { id metric value unit measuredAt author { userId email } }
    userErrors { code message field } quote { id }
  }
}"""

DOSSIER = f"""
query($id: ID!) {{
  dossier(id: $id) {{ {DOSSIER_FIELDS}
    entries {{ edges {{ cursor node {{ {ENTRY_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }}
    measurements {{ metric value unit }}
  }}
}}"""

DOSSIERS = """
query($first: Int, $after: String, $archived: Boolean) {
  dossiers(first: $first, after: $after, includeArchived: $archived) {
    edges { cursor node { id clientName archived } } pageInfo { hasNextPage endCursor }
  }
}"""

NODE = "query($id: ID!) { node(id: $id) { id __typename } }"

USAGE = """
query($month: String) {
  account { usage(month: $month) { month count limit resetsOn activeDossiers { id clientName } } }
}"""


@dataclass
class Practice:
    """An account with its owner signed in."""

    token: str
    account_id: int
    owner_email: str


def pk(global_id: str) -> int:
    parsed = parse_global_id(global_id)
    assert parsed is not None, global_id
    return parsed[1]


async def practice(api, *, now: str | None = None, tier: str | None = None, time_zone: str | None = None) -> Practice:
    email = f"owner{next(_counter)}@example.org"
    extra = {}
    if tier:
        extra["activeClientTier"] = tier
    if time_zone:
        extra["timeZone"] = time_zone
    payload = await sign_up(api, email, now=now, **extra)
    return Practice(payload["accessToken"], pk(payload["viewer"]["account"]["id"]), email)


async def _user(email: str) -> User:
    if not _HASH:
        _HASH.append(hash_password(PASSWORD))
    return await User.create(email=email, name=email.split("@")[0], password_hash=_HASH[0],
                             created_at=datetime.now(timezone.utc))


async def teammate(api, account_id: int, role: str = "MEMBER", email: str | None = None) -> tuple[str, int]:
    """A teammate added straight to the database (the invite flow has its own tests);
    returns (access token, membership id)."""
    user = await _user(email or f"mate{next(_counter)}@example.org")
    membership = await Membership.create(account_id=account_id, user=user, role=role,
                                         created_at=datetime.now(timezone.utc))
    return await token_for(api, user), membership.id


async def guest(api, email: str | None = None) -> tuple[str, User]:
    """A person with a login and no membership: signs in as a guest."""
    user = await _user(email or f"guest{next(_counter)}@example.org")
    return await token_for(api, user), user


async def session_for(api, user: User) -> Session:
    """The tokens signing in would give (without the logIn flow and its rate limit)."""
    settings, now = api.app.state.settings, utc_now()
    return mint(TokenService(settings), await start_session(user, settings=settings, security_now=now),
                security_now=now)


async def token_for(api, user: User) -> str:
    """An access token as signing in would give (without the logIn flow and its rate limit)."""
    return (await session_for(api, user)).access_token


async def share(dossier_global_id: str, user: User, access: str = "VIEWER") -> Share:
    """A live share, written directly (the share flow is tested by the shares area)."""
    dossier_id = pk(dossier_global_id)
    from domain.dossiers.models import Dossier

    dossier = await Dossier.get(id=dossier_id)
    return await Share.create(account_id=dossier.account_id, dossier_id=dossier_id, email=user.email,
                              user_id=user.id, access=access, status="ACTIVE",
                              created_at=datetime.now(timezone.utc))


async def set_tier(account_id: int, tier: str) -> None:
    await Subscription.filter(account_id=account_id).update(tier=tier)


async def create(api, token: str, name: str = "Client", *, now: str | None = None, **fields) -> dict:
    body = await api.data(CREATE, {"input": {"clientName": name, **fields}}, token=token, now=now)
    return body["createDossier"]


async def create_ok(api, token: str, name: str = "Client", *, now: str | None = None, **fields) -> str:
    payload = await create(api, token, name, now=now, **fields)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["dossier"]["id"]


async def add_entry(api, token: str, dossier_id: str, body: str = "Seen today.", kind: str = "NOTE", *,
                    now: str | None = None) -> dict:
    variables = {"input": {"dossierId": dossier_id, "kind": kind, "body": body}}
    return (await api.data(ADD_ENTRY, variables, token=token, now=now))["addEntry"]


async def revise(api, token: str, entry_id: str, body: str, *, now: str | None = None) -> dict:
    variables = {"input": {"entryId": entry_id, "body": body}}
    return (await api.data(REVISE_ENTRY, variables, token=token, now=now))["reviseEntry"]


async def record(api, token: str, dossier_id: str, value="72.5", *, metric: str = "weight", unit: str = "kg",
                 measured_at: str = "2026-04-10T08:00:00+02:00", now: str | None = "2026-04-10T09:00:00+02:00") -> dict:
    variables = {"input": {"dossierId": dossier_id, "metric": metric, "value": value, "unit": unit,
                           "measuredAt": measured_at}}
    return (await api.data(RECORD, variables, token=token, now=now))["recordMeasurement"]


async def read(api, token: str, dossier_id: str, *, now: str | None = None) -> dict | None:
    return (await api.data(DOSSIER, {"id": dossier_id}, token=token, now=now))["dossier"]


def global_id(type_name: str, pk_value: int) -> str:
    return to_global_id(type_name, pk_value)


async def owner_actor(*, tier: str = "UP_TO_10", time_zone: str = "Europe/Amsterdam",
                      today=None):
    """An account with its owner, made directly in the database, for service-level tests.
    Returns the owner's Actor."""
    from datetime import date

    from domain.accounts.models import Account
    from domain.billing.catalog import load_catalog
    from domain.billing.subscriptions import open_subscription
    from domain.core.actor import Actor, ActorKind, Role

    now = datetime.now(timezone.utc)
    user = await _user(f"owner{next(_counter)}@example.org")
    account = await Account.create(name="Practice", time_zone=time_zone, currency="EUR", created_at=now)
    membership = await Membership.create(account=account, user=user, role="OWNER", created_at=now)
    await open_subscription(load_catalog(), account.id, today=today or date(2026, 4, 1), now=now, tier=tier)
    return Actor(user.id, user.email, ActorKind.PAID, account.id, Role.OWNER, membership.id)
