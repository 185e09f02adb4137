"""A world with one principal of every kind and condition around one account, for the
matrix of tests/api/auth/test_policy_matrix.py (SPEC T6). Built once per test; what an
allowed operation would change (archiving, deleting, revoking) gets a fresh dossier.

Each principal states its relation to the account's dossiers here, independently of the
SQL that computes it, so the matrix also checks that computation."""
from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timezone

from auth.policy import Relation
from domain.accounts.models import User
from domain.dossiers.models import Dossier, DossierAssignment, Entry, EntryRevision
from domain.shares.models import Share
from schema.relay import to_global_id
from tests.support.billing import operator_token
from tests.support.dossiers import guest, pk, practice, set_tier, teammate
from tests.support.flows import sign_up

_seq = itertools.count(1)
CREATE_CREDENTIAL = """mutation($input: CreateMachineCredentialInput!) { createMachineCredential(input: $input) {
  credential { clientId } clientSecret userErrors { code } } }"""
ISSUE = """mutation($id: String!, $secret: String!) { issueMachineToken(input: {clientId: $id, clientSecret: $secret}) {
  accessToken userErrors { code } } }"""
MACHINE_SCOPES = {"machine (dossiers:read)": (), "machine (dossiers:write)": ("dossiers:write",),
                  "machine (shares:manage)": ("shares:manage",), "machine (webhooks:manage)": ("webhooks:manage",)}


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Who:
    name: str
    token: str | None
    # To the account's dossiers (D2, D3): what the table's dossier rules are asked with.
    relation: Relation = Relation.NONE
    # The account it acts in, when a teammate or machine (None: guests, operators, nobody).
    account_id: int | None = None
    user_id: int | None = None
    email: str | None = None
    membership_id: int | None = None
    teammate_of_world: bool = False


@dataclass
class World:
    account_id: int
    owner_token: str
    people: dict[str, Who] = field(default_factory=dict)
    spare_admin_membership: int = 0
    unassigned_membership: int = 0

    def account_gid(self) -> str:
        return to_global_id("Account", self.account_id)


async def _user_of(membership_id: int) -> User:
    return await User.get(memberships__id=membership_id)


async def build(api) -> World:
    owner = await practice(api)
    await set_tier(owner.account_id, "UNLIMITED")
    world = World(owner.account_id, owner.token)
    owner_user = await User.get(email=owner.owner_email)
    add = world.people.__setitem__
    add("owner", Who("owner", owner.token, Relation.ACCOUNT, owner.account_id, owner_user.id, owner.owner_email,
                     teammate_of_world=True))
    for name, role, relation in (("admin", "ADMIN", Relation.ACCOUNT), ("assigned member", "MEMBER", Relation.ASSIGNED),
                                 ("unassigned member", "MEMBER", Relation.NONE)):
        token, membership_id = await teammate(api, owner.account_id, role)
        user = await _user_of(membership_id)
        add(name, Who(name, token, relation, owner.account_id, user.id, user.email, membership_id, True))
    world.unassigned_membership = world.people["unassigned member"].membership_id
    _, world.spare_admin_membership = await teammate(api, owner.account_id, "ADMIN")
    for name, scopes in MACHINE_SCOPES.items():
        made = (await api.data(CREATE_CREDENTIAL, {"input": {"name": name[:40], "scopes": ["dossiers:read", *scopes]}},
                               token=owner.token))["createMachineCredential"]
        issued = (await api.data(ISSUE, {"id": made["credential"]["clientId"], "secret": made["clientSecret"]})
                  )["issueMachineToken"]
        add(name, Who(name, issued["accessToken"], Relation.ACCOUNT, owner.account_id, teammate_of_world=True))
    for name, relation in (("guest (active viewer share)", Relation.VIEWER), ("guest (revoked share)", Relation.NONE),
                           ("guest without a share", Relation.NONE)):
        token, user = await guest(api)
        add(name, Who(name, token, relation, None, user.id, user.email))
    other = await practice(api)
    add("owner of another account", Who("owner of another account", other.token, Relation.NONE, other.account_id))
    token, membership_id = await teammate(api, other.account_id, "MEMBER")
    user = await _user_of(membership_id)
    add("paid contributor from another account",
        Who("paid contributor from another account", token, Relation.CONTRIBUTOR, other.account_id, user.id,
            user.email, membership_id))
    email = f"unproven{next(_seq)}@example.org"
    unproven = await sign_up(api, email, verified=False)
    add("unproven login (pending share)", Who("unproven login (pending share)", unproven["accessToken"],
                                              Relation.NONE, pk(unproven["viewer"]["account"]["id"]), email=email))
    add("operator", Who("operator", await operator_token(api, f"operator{next(_seq)}@casebook.example")))
    add("anonymous", Who("anonymous", None))
    return world


async def fresh_dossier(api, world: World, *, archived: bool = False) -> dict:
    """A dossier of the world's account with every principal's relation to it in place:
    the assignment, the active shares, a revoked one and one waiting for an address.
    Returns its global id, an entry's, a live share's and the waiting share's."""
    people = world.people
    dossier = await Dossier.create(account_id=world.account_id, client_name=f"Client {next(_seq)}",
                                   created_at=now(), updated_at=now())
    gid = to_global_id("Dossier", dossier.id)
    row = await Entry.create(account_id=world.account_id, dossier_id=dossier.id, kind="NOTE", created_at=now())
    owner = people["owner"]
    await EntryRevision.create(account_id=world.account_id, entry=row, version=1, body="First.",
                               author_user_id=owner.user_id, author_email=owner.email, written_at=now())
    entry = to_global_id("Entry", row.id)
    await DossierAssignment.create(account_id=world.account_id, dossier_id=dossier.id,
                                   membership_id=people["assigned member"].membership_id, created_at=now())
    shares = {}
    for name, access, status, revoked in (("guest (active viewer share)", "VIEWER", "ACTIVE", False),
                                          ("paid contributor from another account", "CONTRIBUTOR", "ACTIVE", False),
                                          ("guest (revoked share)", "VIEWER", "ACTIVE", True)):
        who = people[name]
        shares[name] = await Share.create(account_id=world.account_id, dossier_id=dossier.id, email=who.email,
                                          user_id=who.user_id, access=access, status=status, created_at=now(),
                                          revoked_at=now() if revoked else None)
    waiting = await Share.create(account_id=world.account_id, dossier_id=dossier.id,
                                 email=people["unproven login (pending share)"].email, access="VIEWER",
                                 status="PENDING", created_at=now())
    if archived:
        await Dossier.filter(id=dossier.id).update(archived_at=now())
    return {"dossier": gid, "entry": entry, "share": to_global_id("Share", shares["guest (active viewer share)"].id),
            "waiting share": to_global_id("Share", waiting.id), "waiting email": waiting.email, "pk": dossier.id}

