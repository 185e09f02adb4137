"""Migration 0008's decision for logins that existed before addresses were proven
(docs/identity.md "Existing users"): an address counts as proven only where a mailed
token proved it (an accepted invitation) or the deployer made it (operators); shares
that reached an unproven login wait for the proof again; an unproven teammate counts
as a guest for G2 (G5 suspends past the three oldest); live refresh-token families
become sessions."""
from datetime import datetime, timedelta, timezone

from tortoise import connections

from domain.identity.models import RefreshToken, UserSession
from domain.accounts.models import Account, Invitation, Membership, User
from domain.dossiers.models import Dossier
from domain.shares.models import GuestQuota, Share
from infra.db import dialect
from migrations.runner import MIGRATIONS_DIR, statements

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def _run_data_steps() -> None:
    """The data part of 0008 again, on rows shaped as before it (it is idempotent)."""
    conn = connections.get("default")
    sql = (MIGRATIONS_DIR / f"0008_identity.{dialect(conn)}.sql").read_text()
    for statement in statements(sql):
        if statement.lstrip().upper().startswith(("UPDATE", "INSERT")):
            await conn.execute_query(statement)


async def test_existing_logins_prove_their_address_only_where_a_token_did(db):
    account = await Account.create(name="A", created_at=T0)
    proven = await User.create(email="invited@example.org", name="I", password_hash="h", created_at=T0)
    await Invitation.create(account=account, kind="teammate", email="invited@example.org", token_hash="t1",
                            expires_at=T0 + timedelta(days=7), accepted_at=T0 + timedelta(days=1), created_at=T0)
    squatter = await User.create(email="squat@example.org", name="S", password_hash="h", created_at=T0)
    operator = await User.create(email="ops@example.org", name="O", password_hash="h", is_operator=True, created_at=T0)
    await Membership.create(account=account, user=squatter, role="OWNER", created_at=T0)
    dossiers = [await Dossier.create(account_id=account.id, client_name=f"C{i}", created_at=T0, updated_at=T0)
                for i in range(5)]
    shares = [await Share.create(account_id=account.id, dossier=d, email="squat@example.org", user_id=squatter.id,
                                 access="VIEWER", status="ACTIVE", created_at=T0 + timedelta(minutes=i))
              for i, d in enumerate(dossiers)]
    kept = await Share.create(account_id=account.id, dossier=dossiers[0], email="invited@example.org",
                              user_id=proven.id, access="VIEWER", status="ACTIVE", created_at=T0)
    await RefreshToken.create(user=proven, kind="paid", family="fam-1", token_hash="r1", created_at=T0,
                              expires_at=T0 + timedelta(days=30))
    await UserSession.all().delete()

    await _run_data_steps()

    assert (await User.get(id=proven.id)).email_verified_at is not None
    assert (await User.get(id=operator.id)).email_verified_at is not None
    assert (await User.get(id=squatter.id)).email_verified_at is None
    after = [await Share.get(id=s.id) for s in shares]
    assert [(s.user_id, s.status) for s in after] == [(None, "PENDING")] * 3 + [(None, "SUSPENDED")] * 2
    assert (await GuestQuota.get(email="squat@example.org")).held == 3
    assert (await Share.get(id=kept.id)).status == "ACTIVE"
    session = await UserSession.get(family="fam-1")
    assert session.user_id == proven.id and session.ended_at is None
