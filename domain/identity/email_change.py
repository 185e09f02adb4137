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
  place, and the person's old one stays under the old address;
* shares still waiting under the new address stay PENDING: they were given before this
  login held the address, and each is taken up only through its own invitation mail
  (acceptInvitation), which proves the address for that share (issue 28). Shares given
  to the address after the change reach the login at once, as for any proven address.

Confirming needs the requester's own signed-in session and their password or a second
factor (issue 28): the link opens the app, which sends the token with that person's
access token. A click by anyone else — the owner of the new mailbox signed in as
themselves, or no one — answers TOKEN_INVALID and changes nothing, so a mail tricked into
someone's mailbox cannot move a login there."""
from __future__ import annotations

from datetime import datetime

from tortoise.exceptions import IntegrityError

from domain.accounts import person_hooks
from domain.accounts.models import User
from domain.audit.service import AuditAction
from domain.core.errors import DomainError, ErrorCode, InvalidInput
from domain.core.links import app_link
from domain.core.validation import normalize_email
from domain.identity.addresses import (
    EMAIL_CHANGE, TokenInvalid, claim_token, end_identity_tokens, find_token, issue_token, record_for_person,
)
from domain.identity.passwords import verify_password_off_loop
from domain.identity.two_factor import verify_second_factor
from domain.mails import identity as letters
from domain.mails.language import person_locale
from domain.mails.letter import post
from infra.db import transaction
from infra.settings import Settings


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
                               security_now: datetime, settings: Settings) -> None:
    """Mail a confirmation link to the new address and a notice to the old one.

    Whether the new address already has a login must not show to the requester (I3, no
    enumeration): both paths give the same answer, end the previous pending change, mail
    the same notice to the old address, write the same audit event (P1) and queue two
    mails. Only what goes to the new address differs, and the requester never sees it: a
    free address gets the link, a taken one a notice to its owner without any link, so
    nothing mailed can move a login onto it (docs/identity.md)."""
    address = normalize_email(new_email, field="newEmail")
    user = await User.get(id=user_id)
    if not await verify_password_off_loop(user.password_hash, password or ""):
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
                locale, link=app_link(settings, 'confirm-email', token), requester=user.email,
                hours=settings.email_change_ttl_seconds // 3600))
        await post(user.email, letters.email_change_requested(locale, new_email=address), own_security_notice=True)
        await record_for_person(AuditAction.EMAIL_CHANGE_REQUESTED, user.id, now=now, detail={"to": address})


async def confirm_email_change(token: str, *, user_id: int, password: str | None, two_factor_code: str | None,
                               now: datetime, security_now: datetime) -> User:
    """The new address is proven: the login moves to it (uniqueness checked again here).
    Only the requester, signed in (`user_id`), giving their password or a second factor."""
    found = await find_token(token, EMAIL_CHANGE, security_now=security_now)
    if found.user_id != user_id:
        raise TokenInvalid()  # someone else's link: answered like an unknown one, nothing claimed
    await _check_second_proof(found.user_id, password, two_factor_code, now=now, security_now=security_now)
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
            # Shares waiting under the new address stay PENDING (module docstring).
            await record_for_person(AuditAction.EMAIL_CHANGED, user.id, now=now, detail={"from": old, "to": new})
            await post(old, letters.email_changed(await person_locale(user.id), new_email=new),
                       own_security_notice=True)
    except IntegrityError:
        raise AddressTaken() from None
    return user


async def _check_second_proof(user_id: int, password: str | None, two_factor_code: str | None, *,
                              now: datetime, security_now: datetime) -> None:
    """The password, or a second factor of a login that has two-factor on."""
    user = await User.get(id=user_id)
    if (two_factor_code or "").strip() and not password:
        if not await verify_second_factor(user, two_factor_code, now=now, security_now=security_now):
            raise DomainError("This code is not right, or it was used already.", code=ErrorCode.TWO_FACTOR_INVALID,
                              field=("twoFactorCode",))
        return
    if not await verify_password_off_loop(user.password_hash, password or ""):
        raise WrongPassword()
