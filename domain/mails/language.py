"""Which language a mail is written in (L1).

A mail an account sends (an invitation, a share, a notice to its owners) is in that
account's locale. A mail about a person's own login (verification, password, address)
is in the language of the account the person belongs to — the oldest of their
memberships, where they signed up or first joined — and for a person who is no one's
teammate, of the account that first shared a dossier with them; English for anyone
else."""
from __future__ import annotations

from tortoise import connections

from infra.db import execute
from domain.core.locale_format import DEFAULT_LOCALE

# Mail sits below the areas that send it (accounts, shares, webhooks), so it reads their
# tables rather than importing their models: one statement either way.
_ACCOUNT = "SELECT locale FROM account WHERE id = $1"
_PERSON = ("SELECT a.locale FROM account a WHERE a.id = COALESCE("
           "(SELECT m.account_id FROM membership m WHERE m.user_id = $1 ORDER BY m.created_at, m.id LIMIT 1), "
           "(SELECT s.account_id FROM share s WHERE s.user_id = $1 OR s.email = $2 "
           "ORDER BY s.created_at, s.id LIMIT 1))")


async def account_locale(account_id: int) -> str:
    _, rows = await execute(connections.get("default"), _ACCOUNT, [account_id])
    return rows[0]["locale"] if rows else DEFAULT_LOCALE


async def person_locale(user_id: int | None = None, email: str | None = None) -> str:
    """The language of the person with this login (or, with no login, this address)."""
    _, rows = await execute(connections.get("default"), _PERSON,
                            [user_id if user_id is not None else -1, email or ""])
    return rows[0]["locale"] if rows else DEFAULT_LOCALE
