"""Given-steps for production tests: a practice with many dossiers, written straight to
the tables (fast, and independent of limits such as A3 that would stop the mutations)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from domain.accounts.models import Membership, User
from infra.clock import month_key
from domain.dossiers.finding import search_text
from domain.dossiers.models import (
    ActiveDossier, ActiveMonth, Dossier, DossierAssignment, Entry, EntryRevision, Measurement,
)
from domain.shares.models import Share
from tests.support.flows import sign_up

NOW = datetime(2026, 4, 20, 10, 0, tzinfo=timezone.utc)


@dataclass
class Practice:
    token: str
    user_id: int
    email: str
    account_id: int
    membership_ids: list[int]
    dossier_ids: list[int]


async def _ids(model, **filters) -> list[int]:
    return [row.id for row in await model.filter(**filters).order_by("id")]


async def seed_practice(api, dossiers: int, *, entries: int = 6, shares: int = 2, teammates: int = 3,
                        revisions: int = 2, measurements: int = 2) -> Practice:
    """An owner (signed up through the API) whose account has `dossiers` dossiers, each
    with entries (several versions), shares, measurements, and every teammate assigned."""
    owner = await sign_up(api)
    email = owner["viewer"]["user"]["email"]
    user = await User.get(email=email)
    owner_membership = await Membership.get(user_id=user.id)
    account_id = owner_membership.account_id
    users = [User(email=f"mate{n}-{account_id}@example.org", name=f"Mate {n}", created_at=NOW)
             for n in range(teammates)]
    await User.bulk_create(users)
    mate_ids = await _ids(User, email__in=[u.email for u in users])
    await Membership.bulk_create([Membership(account_id=account_id, user_id=uid, role="MEMBER", created_at=NOW)
                                  for uid in mate_ids])
    membership_ids = await _ids(Membership, account_id=account_id)
    await Dossier.bulk_create([
        Dossier(account_id=account_id, client_name=f"Client {n:05d}", reference=f"R{n}",
                search_text=search_text(f"Client {n:05d}", f"R{n}"),
                share_count=shares, created_at=NOW, updated_at=NOW) for n in range(dossiers)])
    dossier_ids = await _ids(Dossier, account_id=account_id)
    await Entry.bulk_create([
        Entry(account_id=account_id, dossier_id=d, kind="NOTE", current_version=revisions,
              created_at=NOW + timedelta(minutes=e)) for d in dossier_ids for e in range(entries)])
    entry_ids = await _ids(Entry, account_id=account_id)
    await EntryRevision.bulk_create([
        EntryRevision(account_id=account_id, entry_id=e, version=v + 1, body=f"text {e}.{v}",
                      author_user_id=user.id, author_email=email, written_at=NOW)
        for e in entry_ids for v in range(revisions)])
    await Measurement.bulk_create([
        Measurement(account_id=account_id, dossier_id=d, metric="weight", value="70.5", unit="kg",
                    measured_at=NOW, author_user_id=user.id, author_email=email, created_at=NOW)
        for d in dossier_ids for _ in range(measurements)])
    await Share.bulk_create([
        Share(account_id=account_id, dossier_id=d, email=f"guest{d}-{s}@example.org", access="VIEWER",
              status="PENDING", created_by_user_id=user.id, created_at=NOW)
        for d in dossier_ids for s in range(shares)])
    await DossierAssignment.bulk_create([
        DossierAssignment(account_id=account_id, dossier_id=d, membership_id=m, created_at=NOW)
        for d in dossier_ids for m in membership_ids if m != owner_membership.id])
    month = month_key(NOW, "Europe/Amsterdam")
    await ActiveDossier.bulk_create([
        ActiveDossier(account_id=account_id, month=month, dossier_id=d, first_written_at=NOW)
        for d in dossier_ids])
    await ActiveMonth.create(account_id=account_id, month=month, count=len(dossier_ids))
    return Practice(owner["accessToken"], user.id, email, account_id, membership_ids, dossier_ids)
