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
from domain.accounts import person_hooks
from domain.accounts.models import User
from domain.audit.service import AuditAction
from domain.core.db import transaction
from domain.core.errors import DomainError, ErrorCode, InvalidInput
from domain.core.links import app_link
from domain.core.settings import Settings
from domain.core.validation import normalize_email
from domain.outbox.mail import queue_mail


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
    async with transaction():
        if await User.exists(email=address):
            # Uniqueness is checked again at confirmation: an older link to an address
            # taken since still cannot move the login there.
            await end_identity_tokens(user.id, security_now=security_now, purposes=(EMAIL_CHANGE,))
            await queue_mail(address, "Someone tried to move a Casebook login to your address", (
                "Hello,\n\nSomeone signed in to another Casebook login asked to move it to this address, "
                "which already belongs to your login. Nothing was changed and no link was sent; your login "
                "stays as it is.\nYou need not do anything. If this keeps happening, tell our support.\n"))
        else:
            token = await issue_token(user, EMAIL_CHANGE, address, previous_email=user.email,
                                      security_now=security_now, ttl_seconds=settings.email_change_ttl_seconds)
            hours = settings.email_change_ttl_seconds // 3600
            await queue_mail(address, "Confirm your new email address for Casebook", (
                "Hello,\n\nSomeone signed in to Casebook asked to move their login to this address. "
                f"If that was you, confirm it by opening this link:\n\n{app_link(settings, 'confirm-email', token)}\n\n"
                f"The link works for {hours} hours and only once. If it was not you, ignore this mail.\n"))
        await queue_mail(user.email, "Your Casebook address is about to change", (
            f"Hello,\n\nSomeone signed in to your Casebook login asked to move it to {address}. Nothing "
            "changes until the new address is confirmed from its own mailbox.\nIf this was not you, "
            "reset your password now: that also cancels the change.\n"))
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
            await person_hooks.address_changed(conn, user.id, old, new, now)
            await end_identity_tokens(user.id, security_now=security_now)
            await person_hooks.address_proven(user, now)
            await record_for_person(AuditAction.EMAIL_CHANGED, user.id, now=now, detail={"from": old, "to": new})
            await queue_mail(old, "Your Casebook address was changed", (
                f"Hello,\n\nYour Casebook login now uses {new}; mail about it goes there from now on.\n"
                "If you did not do this, contact the practice that invited you or our support at once.\n"))
    except IntegrityError:
        raise AddressTaken() from None
    return user


