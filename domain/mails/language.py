"""Which language a mail is written in (L1).

A mail an account sends (an invitation, a share, a notice to its owners) is in that
account's locale. A mail about a person's own login (verification, password, address)
is in the language of the account the person belongs to — the oldest of their
memberships, where they signed up or first joined — and for a person who is no one's
teammate, of the account that first shared a dossier with them; English for anyone
else."""
from __future__ import annotations

from tortoise.expressions import Q

from domain.accounts.models import Account, Membership
from domain.core.locale_format import DEFAULT_LOCALE
from domain.shares.models import Share


async def account_locale(account_id: int) -> str:
    locale = await Account.filter(id=account_id).values_list("locale", flat=True)
    return locale[0] if locale else DEFAULT_LOCALE


async def person_locale(user_id: int | None = None, email: str | None = None) -> str:
    """The language of the person with this login (or, with no login, this address)."""
    if user_id is not None:
        membership = await Membership.filter(user_id=user_id).order_by("created_at", "id").limit(1) \
            .values_list("account_id", flat=True)
        if membership:
            return await account_locale(membership[0])
    held = Q(email=email) if email else Q(id=-1)
    if user_id is not None:
        held |= Q(user_id=user_id)
    first = await Share.filter(held).order_by("created_at", "id").limit(1).values_list("account_id", flat=True)
    return await account_locale(first[0]) if first else DEFAULT_LOCALE
