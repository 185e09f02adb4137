"""Turning a refused limit into the quote that would lift it (Q5): one more seat, or the
smallest tier that allows the write, stored like any quote so the owner can apply it in
one step. Called by `schema.errors.mutate` after the refused write rolled back."""
from __future__ import annotations

import logging
from typing import Any

from domain.billing.quotes import quote_lift
from domain.core.errors import DomainError, LiftRequest

log = logging.getLogger("casebook.schema.limits")


async def quote_for_lift(info: Any, lift: LiftRequest | None) -> Any:
    """The GraphQL `Quote` for `lift`, or None when nothing can lift the limit (for
    example a cancelled account, or a seat count already at its bound)."""
    if lift is None:
        return None
    from schema.billing.quote_types import Quote

    ctx = info.context
    principal = ctx.principal
    # Only a teammate acting in the limited account sees (and causes) its prices; an
    # outsider writing through a share gets the error without a quote (D4, Q5).
    if principal is None or not principal.actor.is_paid or principal.actor.account_id != lift.account_id:
        return None
    try:
        stored = await quote_lift(lift, now=ctx.now, catalog=ctx.catalog,
                                  user_id=principal.actor.user_id if principal else None)
    except DomainError as error:
        log.info("no quote for lift %s: %s", lift, error.message)
        return None
    return Quote.from_stored(stored) if stored else None
