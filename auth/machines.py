"""Machine credentials for partner organisations' systems (T4): created by an account's
owners and admins with a subset of the dossier scopes, exchanged for short-lived access
tokens, rotated and revoked. Revoking or rotating bites on the next request: the
credential's service user has its token version bumped."""
from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

from auth import policy
from auth.models import MachineCredential
from auth.policy import MACHINE_GRANTABLE
from auth.scopes import Scope, format_scopes, parse_scopes
from auth.tokens import ACCESS, TokenService
from domain.accounts.models import User
from domain.audit.service import AuditAction, record
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput, NotFound
from domain.core.secrets import token_hash
from domain.core.validation import MACHINE_EMAIL_DOMAIN, MAX_NAME, clean_name

# A machine never manages teammates, billing or the audit log. It may manage its
# account's webhook endpoints (T5) when given `webhooks:manage`.
MACHINE_SCOPES = MACHINE_GRANTABLE  # the scopes of the rules admitting machine credentials
MACHINE = "machine"


class InvalidClientCredentials(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self) -> None:
        super().__init__("The client id or secret is not right, or the credential was revoked.")


@dataclass(frozen=True)
class IssuedCredential:
    credential: MachineCredential
    # Shown once, at creation or rotation; only its hash is stored.
    secret: str


def _hash(secret: str) -> str:
    return token_hash(secret)


def _manager_account(actor: Actor) -> int:
    return policy.acting_account(actor, "team", "manage")


def _check_scopes(requested: list[str]) -> frozenset[Scope]:
    scopes = parse_scopes(" ".join(requested))
    if not requested or len(scopes) != len(set(requested)) or not scopes <= MACHINE_SCOPES:
        allowed = ", ".join(sorted(s.value for s in MACHINE_SCOPES))
        raise InvalidInput(f"Choose one or more of: {allowed}.", field=("scopes",))
    # Whoever writes can read what they write, as for every role: mutation payloads
    # return content.
    return scopes | {Scope.DOSSIERS_READ}


async def create_credential(actor: Actor, name: str, scopes: list[str], *, now: datetime) -> IssuedCredential:
    account_id = _manager_account(actor)
    label = clean_name(name, field="name", max_length=MAX_NAME)
    granted = _check_scopes(scopes)
    client_id = "cbm_" + secrets.token_hex(12)
    secret = secrets.token_urlsafe(32)
    async with transaction():
        service_user = await User.create(email=f"{client_id}@{MACHINE_EMAIL_DOMAIN}", name=f"{label} (machine)",
                                         password_hash=None, created_at=now)
        credential = await MachineCredential.create(
            account_id=account_id, name=label, client_id=client_id, secret_hash=_hash(secret),
            scopes=format_scopes(granted), service_user=service_user, created_by_user_id=actor.user_id,
            created_at=now)
        await record(AuditAction.MACHINE_CREDENTIAL_CREATED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"machine:{client_id}",
                     detail={"scopes": credential.scopes})
    return IssuedCredential(credential, secret)


async def _own_credential(account_id: int, credential_id: int) -> MachineCredential:
    credential = await MachineCredential.get_or_none(id=credential_id, account_id=account_id,
                                                     revoked_at__isnull=True)
    if credential is None:
        raise NotFound("machine credential", field=("credentialId",))
    return credential


async def _end_tokens(credential: MachineCredential) -> None:
    user = await User.get(id=credential.service_user_id)
    user.token_version += 1
    await user.save(update_fields=["token_version"])


async def rotate_credential(actor: Actor, credential_id: int, *, now: datetime) -> IssuedCredential:
    """A new secret; the old one and every token it got stop working at once."""
    account_id = _manager_account(actor)
    secret = secrets.token_urlsafe(32)
    async with transaction():
        credential = await _own_credential(account_id, credential_id)
        credential.secret_hash = _hash(secret)
        credential.rotated_at = now
        await credential.save(update_fields=["secret_hash", "rotated_at"])
        await _end_tokens(credential)
        await record(AuditAction.MACHINE_CREDENTIAL_ROTATED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"machine:{credential.client_id}")
    return IssuedCredential(credential, secret)


async def revoke_credential(actor: Actor, credential_id: int, *, now: datetime) -> int:
    account_id = _manager_account(actor)
    async with transaction():
        credential = await _own_credential(account_id, credential_id)
        credential.revoked_at = now
        await credential.save(update_fields=["revoked_at"])
        await _end_tokens(credential)
        await record(AuditAction.MACHINE_CREDENTIAL_REVOKED, now=now, account_id=account_id,
                     actor_user_id=actor.user_id, subject=f"machine:{credential.client_id}")
    return credential.id


async def exchange(tokens: TokenService, client_id: str, secret: str, *, now: datetime,
                   security_now: datetime) -> tuple[str, datetime]:
    """Client credentials → a short-lived access token. No refresh token: a system that
    holds its secret simply asks again. Audited like a sign-in (P1)."""
    if not client_id or not secret or len(client_id) > 64 or len(secret) > 200:
        raise InvalidClientCredentials()
    # One statement reads the secret's hash and the token version together, so a
    # rotation committing in between cannot hand the old secret a new-version token.
    credential = await MachineCredential.filter(client_id=client_id, revoked_at__isnull=True) \
        .select_related("service_user").first()
    expected = credential.secret_hash if credential else _hash("no-such-credential")
    if not hmac.compare_digest(expected, _hash(secret)) or credential is None:
        if credential is not None:
            async with transaction():
                await record(AuditAction.MACHINE_SIGN_IN_FAILED, now=now, account_id=credential.account_id,
                             subject=f"machine:{credential.client_id}")
        raise InvalidClientCredentials()
    user = credential.service_user
    claims = {"kind": MACHINE, "acc": str(credential.account_id), "scope": credential.scopes,
              "ver": user.token_version}
    issued = tokens.encode(ACCESS, str(user.id), claims, security_now,
                           tokens.settings.access_token_ttl_seconds)
    async with transaction():
        await record(AuditAction.MACHINE_SIGN_IN, now=now, account_id=credential.account_id,
                     actor_user_id=user.id, subject=f"machine:{credential.client_id}")
    return issued


async def active_credential_for(user_id: int, account_id: int) -> MachineCredential | None:
    return await MachineCredential.get_or_none(service_user_id=user_id, account_id=account_id,
                                               revoked_at__isnull=True)


async def credentials_of(account_id: int) -> list[MachineCredential]:
    return await MachineCredential.filter(account_id=account_id).order_by("id")
