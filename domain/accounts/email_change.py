"""Moving a login to another address (I3). The password is asked first; the new address
is proven by a mailed token before anything changes, and the old address is told both
when the change is asked for and when it is done. History keeps the address at the time:
entries and measurements store their author's email when written (D5), audit events too.

What follows the person, and what stays with the old address (docs/identity.md):
* shares the person has taken up (they hold them by login) move with them — their
  recorded address becomes the new one, and G2 is re-counted for both addresses, so a
  change of address never buys more free dossiers;
* shares and invitations still waiting under the old address stay with that address:
  they were given to whoever reads its mail, and the person has just said that is no
  longer them. A share of the same dossier already given to the new address keeps its
  place, and the person's old one stays under the old address."""
from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Callable

from tortoise.exceptions import IntegrityError

from domain.accounts.identity import (
    EMAIL_CHANGE, TokenInvalid, claim_token, end_identity_tokens, find_token, issue_token, record_for_person,
)
from domain.accounts.models import User
from domain.audit.service import AuditAction
from domain.core.db import execute, transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput
from domain.core.links import app_link
from domain.core.settings import Settings
from domain.core.validation import normalize_email
from domain.mails import identity as letters
from domain.mails.letter import post
from domain.mails.language import person_locale
from domain.shares.invitations import take_up_shares


class WrongPassword(DomainError):
    code = ErrorCode.INVALID_CREDENTIALS

    def __init__(self) -> None:
        super().__init__("The password is not right.", field=("password",))


class AddressTaken(DomainError):
    code = ErrorCode.ALREADY_EXISTS

    def __init__(self) -> None:
        super().__init__("This address belongs to another login now; the change cannot be made.",
                         field=("token",))


async def request_email_change(user_id: int, new_email: str, password: str, *, now: datetime,
                               security_now: datetime, settings: Settings,
                               verify_password: Callable[[str | None, str], bool]) -> None:
    """Mail a confirmation link to the new address and a notice to the old one.

    Whether the new address already has a login must not show to the requester (I3, no
    enumeration): both paths give the same answer, end the previous pending change, mail
    the same notice to the old address, write the same audit event (P1) and queue two
    mails. Only what goes to the new address differs, and the requester never sees it: a
    free address gets the link, a taken one a notice to its owner without any link, so
    nothing mailed can move a login onto it (docs/identity.md)."""
    address = normalize_email(new_email, field="newEmail")
    user = await User.get(id=user_id)
    # In a thread: argon2 would stall the event loop (auth.passwords).
    if not await asyncio.to_thread(verify_password, user.password_hash, password or ""):
        raise WrongPassword()
    if address == user.email:
        raise InvalidInput("This is your address already.", field=("newEmail",))
    locale = await person_locale(user.id)
    async with transaction():
        owner = await User.get_or_none(email=address)
        if owner is not None:
            # Uniqueness is checked again at confirmation: an older link to an address
            # taken since still cannot move the login there.
            await end_identity_tokens(user.id, security_now=security_now, purposes=(EMAIL_CHANGE,))
            await post(address, letters.email_change_taken(await person_locale(owner.id, address)))
        else:
            token = await issue_token(user, EMAIL_CHANGE, address, previous_email=user.email,
                                      security_now=security_now, ttl_seconds=settings.email_change_ttl_seconds)
            await post(address, letters.email_change_confirm(
                locale, link=app_link(settings, 'confirm-email', token),
                hours=settings.email_change_ttl_seconds // 3600))
        await post(user.email, letters.email_change_requested(locale, new_email=address))
        await record_for_person(AuditAction.EMAIL_CHANGE_REQUESTED, user.id, now=now, detail={"to": address})


async def confirm_email_change(token: str, *, now: datetime, security_now: datetime) -> User:
    """The new address is proven: the login moves to it (uniqueness checked again here)."""
    found = await find_token(token, EMAIL_CHANGE, security_now=security_now)
    try:
        async with transaction() as conn:
            user = await User.get(id=found.user_id)
            if user.email != found.previous_email:
                raise TokenInvalid()  # the address changed another way since
            if await User.exists(email=found.email):
                raise AddressTaken()
            await claim_token(found, security_now=security_now)
            old, new = user.email, found.email
            # The token came through the new address's mail: it is proven (I1).
            user.email, user.email_verified_at = new, now
            await user.save(update_fields=["email", "email_verified_at"])
            await _move_taken_up_shares(conn, user.id, old, new, now=now)
            await end_identity_tokens(user.id, security_now=security_now)
            await take_up_shares(user, now)
            await record_for_person(AuditAction.EMAIL_CHANGED, user.id, now=now, detail={"from": old, "to": new})
            await post(old, letters.email_changed(await person_locale(user.id), new_email=new))
    except IntegrityError:
        raise AddressTaken() from None
    return user


async def _move_taken_up_shares(conn, user_id: int, old: str, new: str, *, now: datetime) -> None:
    """Shares held by the login follow it; G2 is re-counted for both addresses. Quota rows
    are locked in address order, the same everywhere, so two changes cannot deadlock."""
    from domain.shares.limits import lock_quota, rebalance

    for email in sorted((old, new)):
        await lock_quota(conn, email)
    await execute(conn, "UPDATE share SET email = $1 WHERE user_id = $2 AND email = $3 AND revoked_at IS NULL "
                        "AND dossier_id NOT IN (SELECT dossier_id FROM share WHERE email = $4 AND revoked_at IS NULL)",
                  [new, user_id, old, new])
    for email in sorted((old, new)):
        await rebalance(conn, email, now=now)
