"""Given-steps for shares: accounts, people and dossiers made straight in the database,
actors as the auth layer would build them, and reading the share mails."""
from __future__ import annotations

import email
import email.policy
import itertools
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

from domain.accounts.models import Account, Membership, User
from domain.billing.subscriptions import open_subscription
from domain.core.actor import Actor, ActorKind, Role
from domain.dossiers.models import Dossier
from domain.shares.models import Share
from tests.support.billing import CATALOG

NOW = datetime(2026, 4, 30, 12, 0, tzinfo=timezone.utc)
_seq = itertools.count(1)


def later(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


async def person(email: str, *, login: bool = True, proven: bool | None = None) -> User:
    """A user; with a (dummy) password hash when they have a login, and by default a
    proven address when they have one (I1: they followed the verification link)."""
    proven = login if proven is None else proven
    return await User.create(email=email, name=email.split("@")[0],
                             password_hash="$argon2id$dummy" if login else None, created_at=NOW,
                             email_verified_at=NOW if proven else None)


async def account_with_owner(owner_email: str | None = None, *, name: str | None = None) -> Actor:
    """A new account and its owner; returns the owner acting in it."""
    owner_email = owner_email or f"owner{next(_seq)}@example.org"
    account = await Account.create(name=name or f"Practice {next(_seq)}", created_at=NOW)
    # Every account has its subscription (sign-up opens it); billing answers S9 from it.
    await open_subscription(CATALOG, account.id, today=NOW.date(), now=NOW)
    user = await User.get_or_none(email=owner_email) or await person(owner_email)
    membership = await Membership.create(account=account, user=user, role="OWNER", created_at=NOW)
    return actor_of(membership, user)


async def teammate(owner: Actor, email: str, role: str = "MEMBER") -> Actor:
    user = await User.get_or_none(email=email) or await person(email)
    membership = await Membership.create(account_id=owner.account_id, user=user, role=role, created_at=NOW)
    return actor_of(membership, user)


def actor_of(membership: Membership, user: User) -> Actor:
    return Actor(user.id, user.email, ActorKind.PAID, membership.account_id, Role(membership.role), membership.id)


def guest_actor(user: User) -> Actor:
    return Actor(user.id, user.email, ActorKind.GUEST)


async def dossier(account_id: int, name: str = "Client", *, archived: bool = False) -> Dossier:
    return await Dossier.create(account_id=account_id, client_name=name, created_at=NOW, updated_at=NOW,
                                archived_at=NOW if archived else None)


async def dossier_with_shares(account_id: int, count: int) -> Dossier:
    """A dossier already shared with `count` people (G1 set-ups), written in bulk."""
    row = await dossier(account_id, "Popular client")
    await Share.bulk_create([
        Share(account_id=account_id, dossier_id=row.id, email=f"fan{i}@example.net", access="VIEWER",
              status="PENDING", created_at=NOW) for i in range(count)], batch_size=500)
    row.share_count = count
    await row.save(update_fields=["share_count"])
    return row


async def live_shares(email: str) -> list[Share]:
    return await Share.filter(email=email, revoked_at__isnull=True).order_by("created_at", "id")


def mails(settings) -> list[str]:
    directory = Path(settings.mail_url[len("file://"):])
    if not directory.is_dir():
        return []
    messages = [email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
                for path in sorted(directory.glob("*.eml"))]
    return [f"To: {message['To']}\n\n{message.get_content()}" for message in messages]


def token_in(mail: str) -> str:
    match = re.search(r"token=([A-Za-z0-9_\-]+)", mail)
    assert match, mail
    return match.group(1)
