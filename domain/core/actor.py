"""Who is acting, in the domain's words. `auth/` builds it from a verified token and the
database; domain services take it to decide what this person may see and change."""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from domain.core.hashing import fields_hash


class ActorKind(str, Enum):
    PAID = "paid"
    GUEST = "guest"
    OPERATOR = "operator"


class Role(str, Enum):
    OWNER = "OWNER"
    ADMIN = "ADMIN"
    MEMBER = "MEMBER"


@dataclass(frozen=True)
class Actor:
    user_id: int
    email: str
    kind: ActorKind
    # The account a paid user acts in, and their role there (re-read each request, G6).
    account_id: int | None = None
    role: Role | None = None
    membership_id: int | None = None
    # A partner system's credential (T4), acting like an admin for dossiers only.
    machine: bool = False
    # Whether it may give, revoke and list shares: a partner credential only with the
    # scope `shares:manage` (shares name people outside the practice).
    handles_shares: bool = True
    # A machine credential's scopes (auth.policy decides with them); people's follow from their kind.
    scopes: frozenset = frozenset()
    # The login's address is proven (I1): what waits under it may reach them.
    address_proven: bool = False

    __hash__ = fields_hash  # actors key the request's access loaders

    @property
    def is_paid(self) -> bool:
        return self.kind is ActorKind.PAID
