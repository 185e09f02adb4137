"""Sign-in, refresh-token rotation, sign-out and switching accounts (T1, T2, P4)."""
from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from auth.models import RefreshToken
from auth.passwords import hash_password, needs_rehash, verify_password
from auth.scopes import format_scopes, scopes_for
from auth.tokens import ACCESS, TokenService
from domain.accounts.models import Membership, User
from domain.audit.service import AuditAction, record
from domain.core.actor import ActorKind, Role
from domain.core.db import transaction
from domain.core.errors import DomainError, ErrorCode, NotFound
from domain.core.validation import MAX_PASSWORD, normalize_email, InvalidInput


class InvalidCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self) -> None:
        # One message for every cause, so it never tells whether an email is registered.
        super().__init__("The email or password is not right, or the session has ended.")


@dataclass(frozen=True)
class Session:
    user_id: int
    kind: ActorKind
    account_id: int | None
    access_token: str
    refresh_token: str
    expires_at: datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def session_context(user: User, preferred_account_id: int | None = None) -> tuple[ActorKind, int | None, Role | None]:
    """Which principal a user signs in as: operator; else paid in the preferred (or
    oldest) account; else guest (free access to shared dossiers only)."""
    if user.is_operator:
        return ActorKind.OPERATOR, None, None
    memberships = await Membership.filter(user_id=user.id).order_by("created_at", "id")
    for membership in memberships:
        if preferred_account_id is None or membership.account_id == preferred_account_id:
            return ActorKind.PAID, membership.account_id, Role(membership.role)
    if memberships:
        first = memberships[0]
        return ActorKind.PAID, first.account_id, Role(first.role)
    return ActorKind.GUEST, None, None


async def issue_session(tokens: TokenService, user: User, *, security_now: datetime,
                        preferred_account_id: int | None = None, family: str | None = None) -> Session:
    """Mint an access token and a stored (hashed) refresh token. Call inside a transaction."""
    kind, account_id, role = await session_context(user, preferred_account_id)
    claims = {
        "kind": kind.value,
        "scope": format_scopes(scopes_for(kind, role)),
        "ver": user.token_version,
    }
    if account_id is not None:
        claims["acc"] = str(account_id)
    settings = tokens.settings
    access, expires = tokens.encode(ACCESS, str(user.id), claims, security_now, settings.access_token_ttl_seconds)
    refresh = secrets.token_urlsafe(32)
    await RefreshToken.create(
        user_id=user.id,
        account_id=account_id,
        kind=kind.value,
        family=family or str(uuid.uuid4()),
        token_hash=hash_token(refresh),
        expires_at=security_now + timedelta(seconds=settings.refresh_token_ttl_seconds),
        created_at=security_now,
    )
    return Session(user.id, kind, account_id, access, refresh, expires)


async def log_in(tokens: TokenService, email: str, password: str, *, now: datetime,
                 security_now: datetime) -> Session:
    try:
        address = normalize_email(email)
    except InvalidInput:
        raise InvalidCredentials() from None
    if not password or len(password) > MAX_PASSWORD:
        raise InvalidCredentials()
    user = await User.get_or_none(email=address)
    # verify_password spends one argon2 verification even for an unknown email (P4).
    if not verify_password(user.password_hash if user else None, password) or user is None:
        await _record_failed_sign_in(user, address, now=now)
        raise InvalidCredentials()
    async with transaction():
        if needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
            await user.save(update_fields=["password_hash"])
        session = await issue_session(tokens, user, security_now=security_now)
        await record(AuditAction.SIGN_IN, now=now, account_id=session.account_id,
                     actor_user_id=user.id, subject=f"user:{user.id}")
    return session


async def _record_failed_sign_in(user: User | None, address: str, *, now: datetime) -> None:
    """Audited where an owner can see it: in every account the person is a teammate of
    (P1); for an unknown email, once, outside any account, without the address itself."""
    subject = f"email:{hashlib.sha256(address.encode()).hexdigest()[:16]}"
    async with transaction():
        account_ids = [m.account_id for m in await Membership.filter(user_id=user.id)] if user else []
        for account_id in account_ids or [None]:
            await record(AuditAction.SIGN_IN_FAILED, now=now, account_id=account_id,
                         actor_user_id=user.id if user else None, subject=subject)


async def refresh(tokens: TokenService, refresh_token: str, *, now: datetime,
                  security_now: datetime) -> Session:
    """Rotate: the presented token is used up and a new one of the same family issued.
    Presenting a used token again means it leaked: the whole family is revoked (T1)."""
    if not refresh_token or len(refresh_token) > 200:
        raise InvalidCredentials()
    async with transaction():
        stored = await RefreshToken.get_or_none(token_hash=hash_token(refresh_token))
        if stored is None:
            raise InvalidCredentials()
        claimed = await RefreshToken.filter(id=stored.id, used_at__isnull=True, revoked_at__isnull=True).update(used_at=security_now)
        if claimed != 1:
            reused = stored.revoked_at is None or stored.used_at is not None
            if reused:
                await RefreshToken.filter(family=stored.family, revoked_at__isnull=True).update(revoked_at=security_now)
                await record(AuditAction.REFRESH_REUSE, now=now, account_id=stored.account_id,
                             actor_user_id=stored.user_id, subject=f"family:{stored.family}")
            reuse_detected = True
        else:
            reuse_detected = False
        if not reuse_detected and stored.expires_at > security_now:
            user = await User.get(id=stored.user_id)
            return await issue_session(tokens, user, security_now=security_now,
                                       preferred_account_id=stored.account_id, family=stored.family)
    # Outside the transaction, so the family's revocation above is committed.
    raise InvalidCredentials()


async def start_session(tokens: TokenService, user: User, *, security_now: datetime) -> Session:
    async with transaction():
        return await issue_session(tokens, user, security_now=security_now)


async def log_out(user_id: int, refresh_token: str, *, now: datetime, security_now: datetime) -> None:
    """End the session the refresh token belongs to (its whole family). Unknown tokens,
    or another user's, are ignored: logging out never tells anything."""
    if not refresh_token or len(refresh_token) > 200:
        return
    async with transaction():
        stored = await RefreshToken.get_or_none(token_hash=hash_token(refresh_token), user_id=user_id)
        if stored is None:
            return
        await RefreshToken.filter(family=stored.family, revoked_at__isnull=True).update(revoked_at=security_now)
        await record(AuditAction.LOG_OUT, now=now, account_id=stored.account_id,
                     actor_user_id=stored.user_id, subject=f"family:{stored.family}")


async def switch_account(tokens: TokenService, user_id: int, account_id: int, *,
                         security_now: datetime) -> Session:
    """A new session acting in another account the user is a teammate of. Guests and
    operators have no membership, so they find no account to switch to."""
    async with transaction():
        if not await Membership.exists(user_id=user_id, account_id=account_id):
            raise NotFound("account", field=("accountId",))
        user = await User.get(id=user_id)
        return await issue_session(tokens, user, security_now=security_now, preferred_account_id=account_id)
