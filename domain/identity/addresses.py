"""Proven addresses (I1) and the mailed single-use tokens of a person's own login
(I1–I3). A token is 32 random bytes that travels once, in a mail; only its SHA-256 is
stored (domain.core.secrets). It is used up by one conditional UPDATE, so it works
once even when two requests race, and it expires on security time (never the test clock).

Proving an address (following the sign-up mail, accepting an invitation, a password
reset, confirming a new address) releases what waits for the address: shares still
PENDING under it become the person's (`person_hooks.address_proven`: the shares area), and
their paid status now counts for G2/G3."""
from __future__ import annotations

from datetime import datetime, timedelta

from domain.accounts import person_hooks
from domain.accounts.models import Membership, User
from domain.audit.service import AuditAction, record
from domain.core.errors import DomainError, ErrorCode
from domain.core.links import app_link
from domain.core.secrets import MAX_TOKEN_LENGTH, new_token, token_hash
from domain.core.validation import is_reserved_domain
from domain.identity.models import IdentityToken
from infra.db import transaction
from infra.settings import Settings

VERIFY = "verify"
RESET = "reset"
EMAIL_CHANGE = "email"


class TokenInvalid(DomainError):
    code = ErrorCode.TOKEN_INVALID

    def __init__(self) -> None:
        super().__init__("This link is not valid: it expired, was used already or was replaced by a "
                         "newer one. Ask for a new one.", field=("token",))


async def issue_token(user: User, purpose: str, email: str, *, security_now: datetime, ttl_seconds: int,
                      previous_email: str | None = None) -> str:
    """A new token for this purpose; earlier unused ones of the same purpose stop working
    (one live link per purpose). Call inside the transaction that mails it."""
    await IdentityToken.filter(user_id=user.id, purpose=purpose, used_at__isnull=True).update(used_at=security_now)
    token = new_token()
    await IdentityToken.create(user_id=user.id, purpose=purpose, email=email, previous_email=previous_email,
                               token_hash=token_hash(token), created_at=security_now,
                               expires_at=security_now + timedelta(seconds=ttl_seconds))
    return token


async def find_token(token: str, purpose: str, *, security_now: datetime) -> IdentityToken:
    """The live token, or TokenInvalid. Read first, so a dead link costs no password hash."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise TokenInvalid()
    found = await IdentityToken.get_or_none(token_hash=token_hash(token), purpose=purpose)
    if found is None or found.used_at is not None or found.expires_at <= security_now:
        raise TokenInvalid()
    return found


async def claim_token(found: IdentityToken, *, security_now: datetime) -> None:
    """Use the token up, once. Call inside the transaction that acts on it."""
    claimed = await IdentityToken.filter(id=found.id, used_at__isnull=True,
                                         expires_at__gt=security_now).update(used_at=security_now)
    if claimed != 1:
        raise TokenInvalid()


async def end_identity_tokens(user_id: int, *, security_now: datetime,
                              purposes: tuple[str, ...] = (VERIFY, RESET, EMAIL_CHANGE)) -> None:
    """Unused links of the person stop working (after a reset or an address change, links
    mailed to an old address must not outlive it)."""
    await IdentityToken.filter(user_id=user_id, used_at__isnull=True, purpose__in=list(purposes)).update(
        used_at=security_now)


async def record_for_person(action: str, user_id: int, *, now: datetime, detail: dict | None = None) -> None:
    """Audited in every account the person is a teammate of, so owners see it (P1)."""
    account_ids = await Membership.filter(user_id=user_id).values_list("account_id", flat=True)
    for account_id in list(account_ids) or [None]:
        await record(action, now=now, account_id=account_id, actor_user_id=user_id,
                     subject=f"user:{user_id}", detail=detail)


async def prove_address(user: User, *, now: datetime) -> None:
    """The person has shown they read mail at `user.email`. Idempotent. Call inside the
    transaction that used the mailed token."""
    if user.email_verified_at is not None:
        return
    user.email_verified_at = now
    await User.filter(id=user.id).update(email_verified_at=now)
    await person_hooks.address_proven(user, now)
    await record_for_person(AuditAction.EMAIL_VERIFIED, user.id, now=now)


async def mail_verification(user: User, settings: Settings, *, security_now: datetime) -> None:
    """Queue the mail that proves the address (O1). Call inside the write's transaction."""
    token = await issue_token(user, VERIFY, user.email, security_now=security_now,
                              ttl_seconds=settings.email_verification_ttl_seconds)
    from domain.mails import identity as letters
    from domain.mails.letter import post
    from domain.mails.language import person_locale

    mail = letters.verification(await person_locale(user.id, user.email),
                                link=app_link(settings, 'verify-email', token),
                                hours=settings.email_verification_ttl_seconds // 3600)
    await post(user.email, mail)


async def verify_email(token: str, *, now: datetime, security_now: datetime) -> User:
    """Follow the sign-up (or resent) link: the address is proven (I1)."""
    found = await find_token(token, VERIFY, security_now=security_now)
    async with transaction():
        user = await User.get(id=found.user_id)
        if user.email != found.email:
            raise TokenInvalid()  # the login moved to another address since
        await claim_token(found, security_now=security_now)
        await prove_address(user, now=now)
    return user


async def resend_verification(user_id: int, settings: Settings, *, security_now: datetime) -> None:
    """Mail a new link (the old one stops working). Nothing happens for a proven address."""
    async with transaction():
        user = await User.get(id=user_id)
        if user.email_verified or is_reserved_domain(user.email.rpartition("@")[2]):
            return  # proven already, or a machine credential's service user (no mailbox)
        await mail_verification(user, settings, security_now=security_now)
