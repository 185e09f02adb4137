"""Two-factor sign-in (I5): time-based one-time codes (RFC 6238, 30-second steps, six
digits, SHA-1 — what authenticator apps speak) and ten single-use recovery codes.

* The TOTP secret is encrypted at rest with AES-256-GCM under TWO_FACTOR_ENCRYPTION_KEY,
  bound to its user (the user id is the associated data, so a secret copied to another
  row does not decrypt).
* A code is accepted once (RFC 6238 §5.2): the time step it matched is claimed with one
  conditional UPDATE, so two processes cannot both accept it; a step at or before the
  last one used is refused.
* One step of clock drift either way is accepted (RFC 6238 §6).
* Recovery codes are 16 characters from a 31-letter alphabet (79 bits), stored as
  SHA-256 hashes (domain.core.secrets.token_hash), each used up by a conditional UPDATE.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.accounts.models import Membership, User
from domain.audit.service import AuditAction, record
from domain.core.errors import DomainError, ErrorCode, InvalidInput
from domain.core.secrets import token_hash
from domain.identity.errors import InvalidCredentials, TwoFactorInvalid
from domain.identity.models import RecoveryCode
from domain.identity.passwords import verify_password_off_loop
from infra.db import execute, transaction
from infra.settings import Settings

ISSUER = "Casebook"
RECOVERY_CODES = 10
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
RECOVERY_LENGTH = 16
DRIFT_STEPS = 1
_PREFIX = "v1:"

_key: bytes | None = None


def configure(settings: Settings) -> None:
    """Set the encryption key from settings (called when the app is built). Outside
    production a missing key is derived from JWT_SECRET, so development works without
    one; production refuses to start without it (Settings.check)."""
    global _key
    if settings.two_factor_encryption_key:
        _key = base64.urlsafe_b64decode(settings.two_factor_encryption_key.encode() + b"==")
    else:
        _key = hashlib.sha256(b"casebook-totp-key:" + settings.jwt_secret.encode()).digest()


def _cipher() -> AESGCM:
    if _key is None:
        raise RuntimeError("two-factor encryption key not configured")
    return AESGCM(_key)


def encrypt_secret(user_id: int, secret: str) -> str:
    nonce = os.urandom(12)
    sealed = _cipher().encrypt(nonce, secret.encode(), f"user:{user_id}".encode())
    return _PREFIX + base64.urlsafe_b64encode(nonce + sealed).decode()


def decrypt_secret(user_id: int, stored: str) -> str | None:
    if not stored or not stored.startswith(_PREFIX):
        return None
    raw = base64.urlsafe_b64decode(stored[len(_PREFIX):].encode())
    try:
        return _cipher().decrypt(raw[:12], raw[12:], f"user:{user_id}".encode()).decode()
    except InvalidTag:
        return None


class EmailNotVerified(DomainError):
    code = ErrorCode.EMAIL_NOT_VERIFIED

    def __init__(self) -> None:
        super().__init__("Prove your email address first (follow the link we mailed you): a "
                         "password reset through it must stay possible.")


@dataclass(frozen=True)
class Enrollment:
    secret: str
    otpauth_uri: str


def _step(moment: datetime) -> int:
    return int(moment.timestamp()) // 30


def _matching_step(secret: str, code: str, moment: datetime) -> int | None:
    totp = pyotp.TOTP(secret)
    now_step = _step(moment)
    for step in range(now_step - DRIFT_STEPS, now_step + DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def _claim_step(user_id: int, step: int) -> bool:
    """Use up a time step: only a step after the last one used is accepted, once, even
    when several processes race with the same code."""
    async with transaction() as conn:
        changed, _ = await execute(
            conn, 'UPDATE "user" SET totp_last_step = $1 WHERE id = $2 '
                  'AND (totp_last_step IS NULL OR totp_last_step < $3)', [step, user_id, step])
    return changed == 1


def _normalize_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


async def _check_totp(user_id: int, stored_secret: str | None, code: str, security_now: datetime) -> bool:
    secret = decrypt_secret(user_id, stored_secret or "")
    if secret is None:
        return False
    step = _matching_step(secret, code, security_now)
    return step is not None and await _claim_step(user_id, step)


async def verify_second_factor(user: User, code: str | None, *, now: datetime, security_now: datetime) -> bool:
    """A TOTP code (six digits) or an unused recovery code of this person; either is
    used up by accepting it."""
    code = (code or "").strip().replace(" ", "")
    if not code or len(code) > 40 or not user.two_factor_enabled:
        return False
    if code.isdigit() and len(code) == 6:
        return await _check_totp(user.id, user.totp_secret, code, security_now)
    normalized = _normalize_recovery(code)
    if len(normalized) != RECOVERY_LENGTH:
        return False
    async with transaction():
        used = await RecoveryCode.filter(user_id=user.id, code_hash=token_hash(normalized),
                                         used_at__isnull=True).update(used_at=security_now)
        if used == 1:
            left = await RecoveryCode.filter(user_id=user.id, used_at__isnull=True).count()
            await _record(AuditAction.RECOVERY_CODE_USED, user.id, now, {"left": left})
    return used == 1


def _new_recovery_code() -> str:
    raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_LENGTH))
    return "-".join(raw[i:i + 4] for i in range(0, RECOVERY_LENGTH, 4))


async def _record(action: str, user_id: int, now: datetime, detail: dict | None = None) -> None:
    """Two-factor changes are audited in every account the person is a teammate of, so
    owners see them (P1); for a person without one, once outside any account."""
    account_ids = await Membership.filter(user_id=user_id).values_list("account_id", flat=True)
    for account_id in list(account_ids) or [None]:
        await record(action, now=now, account_id=account_id, actor_user_id=user_id,
                     subject=f"user:{user_id}", detail=detail)


async def start_enrollment(user_id: int, *, now: datetime) -> Enrollment:
    """A new secret, kept pending until a first code confirms it."""
    user = await User.get(id=user_id)
    if not user.email_verified:
        raise EmailNotVerified()
    if user.two_factor_enabled:
        raise InvalidInput("Two-factor sign-in is on already; turn it off first to enrol another device.")
    secret = pyotp.random_base32()
    async with transaction():
        await User.filter(id=user_id).update(totp_pending_secret=encrypt_secret(user_id, secret))
        await _record(AuditAction.TWO_FACTOR_ENROLLMENT_STARTED, user_id, now)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrollment(secret, uri)


async def confirm_enrollment(user_id: int, code: str, *, now: datetime, security_now: datetime) -> list[str]:
    """A valid code from the new secret turns two-factor on and returns ten recovery
    codes, shown once."""
    user = await User.get(id=user_id)
    if user.two_factor_enabled or not user.totp_pending_secret:
        raise InvalidInput("Start the enrolment first (startTwoFactorEnrollment).")
    code = (code or "").strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6) or not await _check_totp(
            user_id, user.totp_pending_secret, code, security_now):
        raise DomainError("This code is not right, or it was used already.",
                          code=ErrorCode.TWO_FACTOR_INVALID, field=("code",))
    codes = [_new_recovery_code() for _ in range(RECOVERY_CODES)]
    async with transaction():
        changed = await User.filter(id=user_id, totp_enabled_at__isnull=True,
                                    totp_pending_secret=user.totp_pending_secret).update(
            totp_secret=user.totp_pending_secret, totp_pending_secret=None, totp_enabled_at=now)
        if changed != 1:
            raise InvalidInput("Start the enrolment first (startTwoFactorEnrollment).")
        await RecoveryCode.filter(user_id=user_id).delete()
        await RecoveryCode.bulk_create([
            RecoveryCode(user_id=user_id, code_hash=token_hash(_normalize_recovery(c)), created_at=now)
            for c in codes])
        await _record(AuditAction.TWO_FACTOR_ENABLED, user_id, now)
    return codes


async def disable(user_id: int, password: str, code: str, *, now: datetime, security_now: datetime) -> None:
    """Turn two-factor off: needs the password and a current code (or a recovery code)."""
    user = await User.get(id=user_id)
    if not await verify_password_off_loop(user.password_hash, password or ""):
        raise InvalidCredentials(field=("password",))
    if not user.two_factor_enabled:
        raise InvalidInput("Two-factor sign-in is not on.")
    if not await verify_second_factor(user, code, now=now, security_now=security_now):
        raise TwoFactorInvalid("code")
    async with transaction():
        await User.filter(id=user_id).update(totp_secret=None, totp_pending_secret=None, totp_enabled_at=None)
        await RecoveryCode.filter(user_id=user_id).delete()
        await _record(AuditAction.TWO_FACTOR_DISABLED, user_id, now)
