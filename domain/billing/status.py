"""Whether an account may still write (S9). After its cancellation date an account reads
and exports its dossiers but writes nothing: content, shares, invitations, teammates.
Services call `ensure_writable` inside the transaction of the write."""
from __future__ import annotations

from datetime import datetime

from domain.accounts.models import Account
from domain.billing.models import Subscription
from domain.billing.state import AccountReadOnly
from domain.core.clock import local_date


async def ensure_writable(account_id: int, now: datetime) -> None:
    """Raise ACCOUNT_READ_ONLY when the account's subscription has ended by its local today."""
    cancels_on = await Subscription.filter(account_id=account_id).values_list("cancels_on", flat=True)
    if not cancels_on or cancels_on[0] is None:
        return
    time_zone = await Account.filter(id=account_id).values_list("time_zone", flat=True)
    if time_zone and local_date(now, time_zone[0]) >= cancels_on[0]:
        raise AccountReadOnly(cancels_on[0])
