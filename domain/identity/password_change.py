"""Changing and resetting a password (I2).

A change (with the current password) or a reset (with a mailed token) bumps the token
version — every access token issued before fails on the next request — and ends every
other session; a change keeps the session it was made in, with fresh tokens. A reset
also proves the address (the token came through its mail), so the owner of an address
that someone else signed up with takes the login back and ends that person's sessions.

Asking for a reset answers the same for every address, registered or not, and no sooner
than IDENTITY_RESPONSE_FLOOR_SECONDS, so neither the answer nor its timing tells whether
an address has a login; a mail goes only to a registered one."""
from __future__ import annotations

from datetime import datetime

from domain.accounts.models import User
from domain.audit.service import AuditAction
from domain.core.errors import InvalidInput
from domain.core.links import app_link
from domain.core.validation import MAX_EMAIL, MAX_PASSWORD, check_password, lookup_email
from domain.identity import two_factor
from domain.identity.addresses import (
    EMAIL_CHANGE, RESET, TokenInvalid, claim_token, end_identity_tokens, find_token, issue_token, prove_address,
    record_for_person,
)
from domain.identity.errors import InvalidCredentials, TwoFactorInvalid, TwoFactorRequired
from domain.identity.models import RefreshToken, UserSession
from domain.identity.passwords import hash_password_off_loop, verify_password_off_loop
from domain.identity.sessions import SessionGrant, end_other_sessions, issue_session
from domain.mails import identity as letters
from domain.mails.language import person_locale
from domain.mails.letter import post
from infra.db import transaction
from infra.settings import Settings


async def _check_new_password(new_password: str, *, old_hash: str | None, field: str = "newPassword") -> None:
    check_password(new_password, field=field)
    if old_hash and await verify_password_off_loop(old_hash, new_password):
        raise InvalidInput("Choose a password other than the current one.", field=(field,))


async def change_password(user_id: int, session_id: int | None, current_password: str, new_password: str, *,
                          settings: Settings, now: datetime, security_now: datetime) -> SessionGrant:
    """Needs the current password. The session it is made in goes on with new tokens;
    every other session and every older access token ends."""
    user = await User.get(id=user_id)
    if not current_password or len(current_password) > MAX_PASSWORD \
            or not await verify_password_off_loop(user.password_hash, current_password):
        raise InvalidCredentials(field=("currentPassword",))
    await _check_new_password(new_password, old_hash=user.password_hash)
    new_hash = await hash_password_off_loop(new_password)
    async with transaction():
        user.password_hash = new_hash
        user.token_version += 1
        await user.save(update_fields=["password_hash", "token_version"])
        await end_other_sessions(user.id, session_id, security_now=security_now)
        current = None
        if session_id is not None:
            current = await UserSession.get_or_none(id=session_id, user_id=user.id, ended_at__isnull=True)
            if current is not None:
                # Refresh tokens handed out before the change stop working too.
                await RefreshToken.filter(family=current.family, revoked_at__isnull=True).update(
                    revoked_at=security_now)
        session = await issue_session(user, settings=settings, security_now=security_now, session=current)
        # A reset link or an address change asked for before the change dies with the old password.
        await end_identity_tokens(user.id, security_now=security_now, purposes=(RESET, EMAIL_CHANGE))
        await record_for_person(AuditAction.PASSWORD_CHANGED, user.id, now=now)
        await post(user.email, letters.password_changed(await person_locale(user.id)),
                   own_security_notice=True)
    return session


async def request_password_reset(email: str, *, now: datetime, security_now: datetime, settings: Settings) -> None:
    """Mail a reset link to a registered address; do nothing visible otherwise."""
    address = lookup_email(email)  # looked up, not checked (as logIn)
    if not address or len(address) > MAX_EMAIL:
        return
    user = await User.get_or_none(email=address)
    if user is None or user.password_hash is None:
        return
    async with transaction():
        token = await issue_token(user, RESET, address, security_now=security_now,
                                  ttl_seconds=settings.password_reset_ttl_seconds)
        await post(address, letters.password_reset(
            await person_locale(user.id), link=app_link(settings, 'reset-password', token),
            minutes=settings.password_reset_ttl_seconds // 60))
        await record_for_person(AuditAction.PASSWORD_RESET_REQUESTED, user.id, now=now)


async def reset_password(token: str, new_password: str, *, settings: Settings, now: datetime,
                         security_now: datetime, two_factor_code: str | None = None,
                         client: str | None = None) -> SessionGrant:
    """Set a new password with a mailed token. Ends every session, proves the address,
    and signs in anew. With two-factor on, the reset needs a code too: the mailbox alone
    is one factor."""
    found = await find_token(token, RESET, security_now=security_now)
    user = await User.get(id=found.user_id)
    if user.email != found.email:
        raise TokenInvalid()
    await _check_new_password(new_password, old_hash=None)
    if user.two_factor_enabled:
        if not (two_factor_code or "").strip():
            raise TwoFactorRequired()
        if not await two_factor.verify_second_factor(user, two_factor_code, now=now, security_now=security_now):
            raise TwoFactorInvalid()
    new_hash = await hash_password_off_loop(new_password)
    async with transaction():
        await claim_token(found, security_now=security_now)
        user.password_hash = new_hash
        user.token_version += 1
        await user.save(update_fields=["password_hash", "token_version"])
        await end_other_sessions(user.id, None, security_now=security_now)
        await end_identity_tokens(user.id, security_now=security_now)
        await prove_address(user, now=now)
        await record_for_person(AuditAction.PASSWORD_RESET, user.id, now=now)
        return await issue_session(user, settings=settings, security_now=security_now, client=client)
