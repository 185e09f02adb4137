"""Sign-in, refresh-token rotation, sessions, sign-out and switching accounts (T1, T2,
P4, I4, I5).

A session is one sign-in: a refresh-token family with a `user_session` row. Every access
token carries the session's id (`sid`); the principal is refused once its session has
ended (auth/principal.py), so logging out, ending a session, a password change or reset
and refresh-token reuse bite on the very next request.

Here the session and its refresh token are opened, rotated and ended, and who signs in as
what is decided; each use case answers a `SessionGrant`. The access token (a JWT with the
scopes of that kind and role) is minted from the grant in auth/session_tokens.py: signing
tokens and scopes are auth's, and a session is the same whatever token carries it."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.accounts.models import Membership, User
from domain.audit.service import AuditAction, record
from domain.core.actor import ActorKind, Role
from domain.core.errors import NotFound
from domain.core.secrets import MAX_TOKEN_LENGTH, new_token, token_hash
from domain.core.validation import MAX_EMAIL, MAX_PASSWORD, lookup_email
from domain.identity import two_factor
from domain.identity.errors import (
    REFRESH_ENDED, REFRESH_REUSED, REFRESH_UNKNOWN, InvalidCredentials, RefreshRefused, TwoFactorInvalid,
    TwoFactorRequired,
)
from domain.identity.models import RefreshToken, UserSession
from domain.identity.passwords import hash_password_off_loop, needs_rehash, verify_password_off_loop
from domain.live import publish as live
from infra.db import transaction
from infra.settings import Settings

CLIENT_SUMMARY_LENGTH = 120


@dataclass(frozen=True)
class SessionGrant:
    """What a sign-in, a refresh or a switch of account hands out: the session, its new
    refresh token, and the person acting as what, where. auth/ mints the access token
    that goes with it."""

    user_id: int
    kind: ActorKind
    account_id: int | None
    role: Role | None
    # The person's token version at the grant: access tokens minted before a password
    # change or reset carry an older one and are refused (I2).
    token_version: int
    session_id: int
    refresh_token: str


def summarize_client(user_agent: str | None) -> str | None:
    """A short, readable name for the client that signed in ("Firefox 126 on Windows",
    "curl 8.5"), from the User-Agent. Only a summary is kept: the full string is a
    fingerprint, and arbitrary text."""
    agent = (user_agent or "").strip()
    if not agent:
        return None
    lower = agent.lower()
    browser = None
    for token, name in (("edg/", "Edge"), ("opr/", "Opera"), ("firefox/", "Firefox"), ("chrome/", "Chrome"),
                        ("crios/", "Chrome"), ("version/", "Safari")):
        at = lower.find(token)
        if at >= 0:
            version = lower[at + len(token):].split(" ", 1)[0].split(".", 1)[0]
            browser = f"{name} {version}".strip() if version.isdigit() else name
            break
    system = None
    for token, name in (("iphone", "iOS"), ("ipad", "iOS"), ("android", "Android"), ("windows", "Windows"),
                        ("mac os x", "macOS"), ("cros", "ChromeOS"), ("linux", "Linux")):
        if token in lower:
            system = name
            break
    if browser:
        summary = f"{browser} on {system}" if system else browser
    else:
        product = agent.split(" ", 1)[0]
        summary = product.replace("/", " ", 1)
    readable = "".join(ch for ch in summary if ch.isprintable())
    return readable[:CLIENT_SUMMARY_LENGTH] or None


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


async def issue_session(user: User, *, settings: Settings, security_now: datetime,
                        preferred_account_id: int | None = None, session: UserSession | None = None,
                        client: str | None = None) -> SessionGrant:
    """A stored (hashed) refresh token, in a new session or continuing `session`. Call
    inside a transaction."""
    kind, account_id, role = await session_context(user, preferred_account_id)
    refresh_expires = security_now + timedelta(seconds=settings.refresh_token_ttl_seconds)
    if session is None:
        session = await UserSession.create(user_id=user.id, family=str(uuid.uuid4()), client=client,
                                           created_at=security_now, last_used_at=security_now,
                                           expires_at=refresh_expires)
    else:
        await UserSession.filter(id=session.id).update(last_used_at=security_now, expires_at=refresh_expires)
    refresh = new_token()
    await RefreshToken.create(
        user_id=user.id,
        account_id=account_id,
        kind=kind.value,
        family=session.family,
        token_hash=token_hash(refresh),
        expires_at=refresh_expires,
        created_at=security_now,
    )
    return SessionGrant(user.id, kind, account_id, role, user.token_version, session.id, refresh)


async def log_in(email: str, password: str, *, settings: Settings, now: datetime,
                 security_now: datetime, two_factor_code: str | None = None,
                 client: str | None = None) -> SessionGrant:
    # Looked up, not checked: a login stored before a stricter address rule still signs in.
    address = lookup_email(email)
    if not address or len(address) > MAX_EMAIL or not password or len(password) > MAX_PASSWORD:
        raise InvalidCredentials()
    user = await User.get_or_none(email=address)
    # verify_password spends one argon2 verification even for an unknown email (P4).
    if not await verify_password_off_loop(user.password_hash if user else None, password) or user is None:
        await _record_failed_sign_in(user, address, now=now)
        raise InvalidCredentials()
    if user.two_factor_enabled:
        # The password was right; the second factor decides (I5).
        if not (two_factor_code or "").strip():
            raise TwoFactorRequired()
        if not await two_factor.verify_second_factor(user, two_factor_code, now=now, security_now=security_now):
            await _record_failed_sign_in(user, address, now=now, reason="two_factor")
            raise TwoFactorInvalid()
    rehashed = await hash_password_off_loop(password) if needs_rehash(user.password_hash) else None
    async with transaction():
        if rehashed is not None:
            user.password_hash = rehashed
            await user.save(update_fields=["password_hash"])
        session = await issue_session(user, settings=settings, security_now=security_now, client=client)
        await record(AuditAction.SIGN_IN, now=now, account_id=session.account_id,
                     actor_user_id=user.id, subject=f"user:{user.id}",
                     detail={"session": session.session_id, "twoFactor": user.two_factor_enabled})
    return session


async def _record_failed_sign_in(user: User | None, address: str, *, now: datetime, reason: str = "password") -> None:
    """Audited where an owner can see it: in every account the person is a teammate of
    (P1); for an unknown email, once, outside any account, without the address itself."""
    subject = f"email:{hashlib.sha256(address.encode()).hexdigest()[:16]}"
    async with transaction():
        account_ids = [m.account_id for m in await Membership.filter(user_id=user.id)] if user else []
        for account_id in account_ids or [None]:
            await record(AuditAction.SIGN_IN_FAILED, now=now, account_id=account_id,
                         actor_user_id=user.id if user else None, subject=subject,
                         detail={"reason": reason} if reason != "password" else None)


async def refresh(refresh_token: str, *, settings: Settings, now: datetime,
                  security_now: datetime) -> SessionGrant:
    """Rotate: the presented token is used up and a new one of the same session issued.
    Presenting a used token again within `refresh_grace_seconds` of its first use (two
    tabs refreshing at once, O6) answers another working pair of the same session; later,
    it means the token leaked: the whole session ends, its access tokens with it (T1, I4)."""
    if not refresh_token or len(refresh_token) > MAX_TOKEN_LENGTH:
        raise RefreshRefused(REFRESH_UNKNOWN)
    refused = REFRESH_ENDED
    async with transaction():
        stored = await RefreshToken.get_or_none(token_hash=token_hash(refresh_token))
        if stored is None:
            raise RefreshRefused(REFRESH_UNKNOWN)
        claimed = await RefreshToken.filter(id=stored.id, used_at__isnull=True, revoked_at__isnull=True).update(used_at=security_now)
        session = await UserSession.get_or_none(family=stored.family, ended_at__isnull=True)
        usable = session is not None and stored.expires_at > security_now
        if claimed != 1:
            # Read again: a parallel refresh may have used it after our first read (it
            # waited for that one's commit on the row lock).
            stored = await RefreshToken.get(id=stored.id)
            grace = timedelta(seconds=settings.refresh_grace_seconds)
            within_grace = (stored.revoked_at is None and stored.used_at is not None
                            and security_now - stored.used_at <= grace)
            if not within_grace and stored.revoked_at is None:
                await _end_families([stored.family], security_now)
                await record(AuditAction.REFRESH_REUSE, now=now, account_id=stored.account_id,
                             actor_user_id=stored.user_id, subject=f"family:{stored.family}")
                refused, usable = REFRESH_REUSED, False
            usable = usable and within_grace
        if usable:
            user = await User.get(id=stored.user_id)
            return await issue_session(user, settings=settings, security_now=security_now,
                                       preferred_account_id=stored.account_id, session=session)
    # Outside the transaction, so the session's end above is committed.
    raise RefreshRefused(refused)


async def start_session(user: User, *, settings: Settings, security_now: datetime,
                        client: str | None = None, preferred_account_id: int | None = None) -> SessionGrant:
    async with transaction():
        return await issue_session(user, settings=settings, security_now=security_now, client=client,
                                   preferred_account_id=preferred_account_id)


async def _end_families(families: list[str], security_now: datetime) -> None:
    if not families:
        return
    people = await UserSession.filter(family__in=families, ended_at__isnull=True).values_list("user_id", flat=True)
    await live.sessions_ended(tuple(people), security_now)  # their live streams end at once (T7)
    await UserSession.filter(family__in=families, ended_at__isnull=True).update(ended_at=security_now)
    await RefreshToken.filter(family__in=families, revoked_at__isnull=True).update(revoked_at=security_now)


async def end_other_sessions(user_id: int, keep_session_id: int | None, *, security_now: datetime) -> int:
    """End every session of the person but `keep_session_id`. Call inside a transaction."""
    query = UserSession.filter(user_id=user_id, ended_at__isnull=True)
    if keep_session_id is not None:
        query = query.exclude(id=keep_session_id)
    families = await query.values_list("family", flat=True)
    await _end_families(list(families), security_now)
    return len(families)


async def revoke_in_account(user_id: int, account_id: int, *, at: datetime) -> None:
    """The person's refresh tokens acting in the account stop working: they left its team.
    Call inside the transaction that removes them."""
    await RefreshToken.filter(user_id=user_id, account_id=account_id, revoked_at__isnull=True).update(revoked_at=at)


async def log_out(user_id: int, session_id: int | None, refresh_token: str | None = None, *,
                  everywhere: bool = False, now: datetime, security_now: datetime) -> None:
    """End the session the access token belongs to (and the one the refresh token
    belongs to, when it is the person's own), or every session of the person. Unknown
    refresh tokens, or another user's, are ignored: logging out never tells anything."""
    async with transaction():
        if everywhere:
            families = list(await UserSession.filter(user_id=user_id, ended_at__isnull=True)
                            .values_list("family", flat=True))
            await _record_log_outs(user_id, families, now=now, detail={"everywhere": True})
            await _end_families(families, security_now)
            return
        families = []
        if session_id is not None:
            families += await UserSession.filter(id=session_id, user_id=user_id).values_list("family", flat=True)
        if refresh_token and len(refresh_token) <= MAX_TOKEN_LENGTH:
            stored = await RefreshToken.get_or_none(token_hash=token_hash(refresh_token), user_id=user_id)
            if stored is not None and stored.family not in families:
                families.append(stored.family)
        await _record_log_outs(user_id, families, now=now)
        await _end_families(families, security_now)


async def _record_log_outs(user_id: int, families: list[str], *, now: datetime, detail: dict | None = None) -> None:
    """One event per ended session, in the account it last acted in, so its owners see
    it (P1); a guest's or operator's outside any account."""
    rows = await RefreshToken.filter(family__in=families).order_by("id").values_list("family", "account_id")
    account_of = {family: account_id for family, account_id in rows}  # the newest token's account wins
    for family in families:
        await record(AuditAction.LOG_OUT, now=now, account_id=account_of.get(family), actor_user_id=user_id,
                     subject=f"family:{family}", detail=detail)


async def end_session(user_id: int, session_id: int, *, now: datetime, security_now: datetime) -> int:
    """End one of the person's own sessions; another person's is answered as missing."""
    async with transaction():
        session = await UserSession.get_or_none(id=session_id, user_id=user_id, ended_at__isnull=True)
        if session is None:
            raise NotFound("session", field=("sessionId",))
        await _end_families([session.family], security_now)
        await record(AuditAction.SESSION_ENDED, now=now, actor_user_id=user_id, subject=f"family:{session.family}")
        return session.id


async def switch_account(user_id: int, account_id: int, *, settings: Settings,
                         security_now: datetime, session_id: int | None = None) -> SessionGrant:
    """The same session, acting in another account the user is a teammate of. Guests
    and operators have no membership, so they find no account to switch to."""
    async with transaction():
        if not await Membership.exists(user_id=user_id, account_id=account_id):
            raise NotFound("account", field=("accountId",))
        user = await User.get(id=user_id)
        session = None
        if session_id is not None:
            session = await UserSession.get_or_none(id=session_id, user_id=user_id, ended_at__isnull=True)
        return await issue_session(user, settings=settings, security_now=security_now,
                                   preferred_account_id=account_id, session=session)
