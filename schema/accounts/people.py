"""People as the API shows them: users and teammates. Their audience is TEAM (T4: never
a machine credential; a teammate only to people acting in its account)."""
from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from auth.audiences import Audience
from domain.accounts.models import Membership as MembershipRow
from domain.accounts.models import User as UserRow
from schema.nodes import Node
from schema.relay import to_global_id
from schema.record_completion import GlobalId, record_columns
from schema.rules import rules


@strawberry.enum(description="A teammate's role in an account; it decides what they may do there.")
class Role(Enum):
    OWNER = strawberry.enum_value("OWNER", description="Everything an admin may, plus the subscription "
                                                       "(billing:manage) and erasing dossiers. An account always "
                                                       "has at least one.")
    ADMIN = strawberry.enum_value("ADMIN", description="Every dossier of the account, the team (teammates:manage) and "
                                                       "the audit log (audit:read).")
    MEMBER = strawberry.enum_value("MEMBER", description="The dossiers they are assigned to, and their shares.")


_ROLES = {role.value: role for role in Role}  # a dict lookup: a page of dossiers shows twenty teammates


@rules(audience=Audience.TEAM)
@strawberry.type(description="A person, known by one email address.")
class User(Node):
    id: strawberry.ID = strawberry.field(description="The user's global id.")
    email: str = strawberry.field(description="Their email address, trimmed and lower-case.")
    name: str = strawberry.field(description="Their name as they gave it.")
    email_verified: bool = strawberry.field(description="Whether a mailed token has proven this address.")
    two_factor_enabled: bool = strawberry.field(description="Whether signing in needs a one-time code.")
    pk: strawberry.Private[int]
    # The viewer's own person (`me.user`, a sign-in payload): always theirs to see.
    viewer_own: strawberry.Private[bool] = False

    @classmethod
    def from_model(cls, row: UserRow, *, viewer_own: bool = False) -> "User":
        return cls(id=to_global_id("User", row.id), email=row.email, name=row.name,
                   email_verified=row.email_verified, two_factor_enabled=row.two_factor_enabled, pk=row.id,
                   viewer_own=viewer_own)


@rules(audience=Audience.TEAM)
@strawberry.type(description="A user's membership of an account: one paid seat.")
class Teammate(Node):
    id: strawberry.ID = strawberry.field(description="The teammate's global id (not the user's).")
    user: User = strawberry.field(description="The person.")
    role: Role = strawberry.field(description="What they may do in the account.")
    added_at: datetime = strawberry.field(description="When they joined the account.")
    account_id: strawberry.Private[int]
    pk: strawberry.Private[int]

    @classmethod
    def from_model(cls, row: MembershipRow) -> "Teammate":
        """`row.user` must be loaded (the team queries join it)."""
        return cls(id=to_global_id("Teammate", row.id), user=User.from_model(row.user),
                   role=_ROLES.get(row.role) or Role(row.role), added_at=row.created_at, account_id=row.account_id, pk=row.id)


# A teammate and their person as a list completed from records reads them
# (domain.dossiers.queries.assignee_reads, schema/record_completion.py): the values
# `Teammate.from_model` gives.
record_columns(User, id=GlobalId("User", "user_id"), email="email", name="name", email_verified="email_verified",
               two_factor_enabled="two_factor_enabled")
record_columns(Teammate, id=GlobalId("Teammate", "id"), user=User, role="role", added_at="created_at",
               account_id="account_id")
