"""Invitations by email: to join an account as a teammate, or to take up a share
(SPEC §1, S6; API.md acceptInvitation). Only a hash of each token is stored; the token
itself travels once, in the mail."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError

from auth import policy
from domain.accounts import person_hooks
from domain.accounts.models import Account, Invitation, Membership, User
from domain.team.teammates import TEAMMATE, require_manager, seat_limit_reached, seats_in_use
from domain.billing.catalog import Catalog
from domain.billing.terms import lock_team, quotes_lift
from domain import events
from domain.audit.service import AuditAction, record
from domain.core import account_clock
from domain.core.actor import Actor, Role
from infra.db import transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput
from domain.core.links import invitation_link
from domain.core.secrets import MAX_TOKEN_LENGTH, new_token, token_hash
from infra.settings import Settings
from domain.core.validation import MAX_NAME, check_password, clean_name, normalize_email
from domain.identity.addresses import prove_address
from domain.identity.passwords import hash_password_off_loop
from domain.identity.sessions import SessionGrant, issue_session
from domain.mails import sharing as letters
from domain.mails.letter import Mail, post

SHARE = "share"


class AlreadyExists(DomainError):
    code = ErrorCode.ALREADY_EXISTS


class InvitationInvalid(DomainError):
    code = ErrorCode.INVITATION_INVALID

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or "This invitation is not valid: it expired, was used already or "
                                    "was withdrawn. Ask for a new one.", field=("token",))


@dataclass(frozen=True)
class AcceptedInvitation:
    user: User
    kind: str
    # The account a teammate invitation joined; the new session acts in it.
    account_id: int | None
    # Accepting signs the person in, in the same transaction.
    session: SessionGrant


@quotes_lift
async def invite_teammate(actor: Actor, email: str, role: Role, *, now: datetime, catalog: Catalog,
                          settings: Settings) -> Invitation:
    """Owners and admins invite; only an owner invites an owner. A pending invitation holds
    a seat (S6) until it is accepted, withdrawn or expires. The mail is queued with it (O1)."""
    account_id = require_manager(actor)
    address = normalize_email(email)
    role = Role(role)
    policy.ensure_roles(actor, (role,), account_id)
    token = new_token()
    try:
        async with transaction():
            terms = await lock_team(account_id, now=now, catalog=catalog)
            if await Membership.filter(account_id=account_id, user__email=address).exists():
                raise AlreadyExists(f"{address} is already a teammate of this account.", field=("email",))
            pending = await Invitation.filter(account_id=account_id, kind=TEAMMATE, email=address,
                                              accepted_at__isnull=True, revoked_at__isnull=True).first()
            if pending is not None and pending.expires_at > now:
                raise AlreadyExists(f"{address} has been invited already; the invitation is still open.",
                                    field=("email",))
            if pending is not None:
                # Expired: withdraw it so the new one can take its place.
                await Invitation.filter(id=pending.id).update(revoked_at=now)
            if await seats_in_use(account_id, now) + 1 > terms.seats:
                raise seat_limit_reached(account_id, terms.seats)
            invitation = await Invitation.create(
                account_id=account_id, kind=TEAMMATE, email=address, role=role.value,
                token_hash=token_hash(token), invited_by_id=actor.user_id,
                expires_at=now + timedelta(seconds=settings.invitation_ttl_seconds), created_at=now)
            await record(AuditAction.TEAMMATE_INVITED, now=now, account_id=account_id,
                         actor_user_id=actor.user_id, subject=f"invitation:{invitation.id}",
                         detail={"email": address, "role": role.value})
            await post(address, await _teammate_mail(settings, token, invitation), account_id=account_id)
    except IntegrityError:
        # A concurrent invitation of the same address won (unique pending index).
        raise AlreadyExists(f"{address} has been invited already; the invitation is still open.",
                            field=("email",)) from None
    return invitation


async def _teammate_mail(settings: Settings, token: str, invitation: Invitation) -> Mail:
    """In the inviting account's language (L1)."""
    account = await Account.get(id=invitation.account_id)
    return letters.teammate_invitation(account.locale, practice=account.name, role=invitation.role or "MEMBER",
                                       link=invitation_link(settings, token), expires_at=invitation.expires_at,
                                       time_zone=account.time_zone)


async def accept_invitation(token: str, *, now: datetime, security_now: datetime, catalog: Catalog,
                            settings: Settings, password: str | None = None, name: str | None = None,
                            signed_in_user_id: int | None = None, client: str | None = None,
                            at_account_clock: bool = False) -> AcceptedInvitation:
    """A new person sets a password and name; a person with a login must be signed in as
    the invited email. One unit of work: the invitation is used up, the login made if
    needed, and the person signed in (a new teammate acting in the account they joined),
    all or nothing. A refused seat carries no quote: the person joining does not act in
    that account (Q5).
    `at_account_clock`: `now` is the wall clock and the inviting account's test clock, if
    it has one, decides instead (O4: the invitation was made as of that clock)."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise InvitationInvalid()
    found = await Invitation.get_or_none(token_hash=token_hash(token))
    if found is not None and at_account_clock:
        now = await account_clock.business_now(found.account_id, wall=now)
    # Checked early so a dead link never costs a password hash; the claim below decides.
    if found is None or found.accepted_at or found.revoked_at or found.expires_at <= now:
        raise InvitationInvalid()
    new_password_hash, new_name = await _credentials_for_new_person(found.email, password, name,
                                                                    signed_in_user_id)
    try:
        async with transaction():
            if found.kind == TEAMMATE:
                terms = await lock_team(found.account_id, now=now, catalog=catalog)
            claimed = await Invitation.filter(id=found.id, accepted_at__isnull=True, revoked_at__isnull=True,
                                              expires_at__gt=now).update(accepted_at=now)
            if claimed != 1:
                raise InvitationInvalid()
            user = await _invited_user(found.email, now, new_password_hash, new_name, signed_in_user_id)
            # The token came through this address's mail: it is proven (I1). Proven before
            # joining, so the new teammate's paid status counts at once (G3); after taking up
            # the share, so that share is announced once.
            if found.kind == TEAMMATE:
                await prove_address(user, now=now)
                await _join_team(found, user, terms.seats, now)
                kind, account_id = TEAMMATE, found.account_id
            else:
                await person_hooks.take_up_invitation(found, user, now)
                await prove_address(user, now=now)
                kind, account_id = SHARE, None
            session = await issue_session(user, settings=settings, security_now=security_now, client=client,
                                          preferred_account_id=account_id)
            return AcceptedInvitation(user, kind, account_id, session)
    except IntegrityError:
        # The same person signed up or accepted concurrently; nothing was written.
        raise InvitationInvalid("This invitation was just used; sign in and try again if needed.") from None


async def _credentials_for_new_person(email: str, password: str | None, name: str | None,
                                      signed_in_user_id: int | None) -> tuple[str | None, str | None]:
    """Decide before the transaction whether a login must be made, and hash its password
    there (argon2 is slow; no lock should wait for it)."""
    existing = await User.get_or_none(email=email)
    if existing is not None and existing.password_hash is not None:
        _check_signed_in(existing, signed_in_user_id)
        return None, None
    if signed_in_user_id is not None:
        raise InvitationInvalid("This invitation was sent to another email address than the one "
                                "you are signed in with.")
    if not password:
        raise InvalidInput("Choose a password to create your login.", field=("password",))
    check_password(password)
    checked_name = clean_name(name, field="name", max_length=MAX_NAME)
    return await hash_password_off_loop(password), checked_name


def _check_signed_in(user: User | None, signed_in_user_id: int | None) -> None:
    if user is None:
        raise InvitationInvalid()
    if signed_in_user_id is None:
        raise InvitationInvalid("You already have a login with this email: sign in first (or reset "
                                "your password), then accept the invitation.")
    if signed_in_user_id != user.id:
        raise InvitationInvalid("This invitation was sent to another email address than the one "
                                "you are signed in with.")


async def _invited_user(email: str, now: datetime, password_hash: str | None, name: str | None,
                        signed_in_user_id: int | None) -> User:
    user = await User.get_or_none(email=email)
    if password_hash is None:
        # Checked before the transaction: an existing login, signed in as this email.
        _check_signed_in(user, signed_in_user_id)
        return user
    if user is None:
        return await User.create(email=email, name=name, password_hash=password_hash, created_at=now)
    if user.password_hash is not None:
        # Someone made this login meanwhile: it must now be used to sign in.
        raise InvitationInvalid("You already have a login with this email: sign in first, "
                                "then accept the invitation.")
    user.password_hash, user.name = password_hash, name
    await user.save(update_fields=["password_hash", "name"])
    return user


async def _join_team(invitation: Invitation, user: User, seats: int, now: datetime) -> None:
    """The seat this invitation held becomes a membership. Seats may have been taken or
    cut meanwhile, so the teammates alone are checked again, under the team lock."""
    account_id = invitation.account_id
    if await Membership.filter(account_id=account_id, user_id=user.id).exists():
        raise AlreadyExists("You are already a teammate of this account.", field=("token",))
    if await Membership.filter(account_id=account_id).count() + 1 > seats:
        raise seat_limit_reached(account_id, seats)
    membership = await Membership.create(account_id=account_id, user_id=user.id,
                                         role=invitation.role or Role.MEMBER.value, created_at=now)
    await record(AuditAction.TEAMMATE_ADDED, now=now, account_id=account_id, actor_user_id=user.id,
                 subject=f"user:{user.id}",
                 detail={"membership": membership.id, "role": membership.role, "invitation": invitation.id})
    await events.announce(events.TEAMMATE_ADDED, account_id=account_id, now=now,
                          teammateId=("Teammate", membership.id))
    # They may just have become a paid user (G5): suspended shares come back.
    await person_hooks.paid_status_may_have_changed(user.id, now)

