"""`managing_shares` asks the policy once per actor and facts for a page of dossiers: it
must answer exactly what each access's own `manages_shares` answers (D2, D3, T4)."""
from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, strategies as st

from auth.policy import Relation
from domain.core.actor import Actor, ActorKind, Role
from domain.dossiers.access import DossierAccess, managing_shares
from infra.db import Row

ACTORS = [
    Actor(user_id=1, email="owner@example.org", kind=ActorKind.PAID, account_id=1, role=Role.OWNER, membership_id=1),
    Actor(user_id=2, email="member@example.org", kind=ActorKind.PAID, account_id=1, role=Role.MEMBER,
          membership_id=2),
    Actor(user_id=3, email="guest@example.org", kind=ActorKind.GUEST),
    Actor(user_id=4, email="machine@example.org", kind=ActorKind.PAID, account_id=1, role=Role.ADMIN,
          machine=True, handles_shares=False),
]
ARCHIVED = datetime(2026, 1, 1, tzinfo=timezone.utc)

accesses = st.lists(st.none() | st.builds(
    lambda actor, account_id, relation, archived: DossierAccess(
        Row(id=7, account_id=account_id, archived_at=ARCHIVED if archived else None), relation, actor),
    st.sampled_from(ACTORS), st.sampled_from([1, 2]), st.sampled_from(list(Relation)), st.booleans()), max_size=12)


@given(accesses)
def test_share_managers_of_a_page_answer_as_each_access(page):
    assert managing_shares(page) == [access is not None and access.manages_shares for access in page]


def test_a_page_of_one_account_asks_once_and_tells_apart_what_differs():
    owner, member = ACTORS[0], ACTORS[1]
    page = [DossierAccess(Row(id=i, account_id=1, archived_at=None), Relation.ACCOUNT, owner) for i in range(3)]
    page.append(DossierAccess(Row(id=9, account_id=1, archived_at=None), Relation.NONE, member))
    assert managing_shares(page) == [True, True, True, False]
