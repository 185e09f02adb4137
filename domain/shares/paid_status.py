"""G5: when a person stops (or starts again) being a paid user. Called inside the
transaction that removed or added their membership, so the re-balance commits with it."""
from __future__ import annotations

from datetime import datetime

from domain.accounts.models import User
from infra.db import transaction
from domain.shares.quotas import lock_quota, rebalance


async def paid_status_changed(user_id: int, now: datetime) -> None:
    """Re-balance the person's shares: all usable while paid; else the three oldest stay
    usable and the rest are SUSPENDED, until they are paid again or older shares end.

    The quota row is locked even when the person holds no share, so a share being given
    to them at this moment is counted under their new status, not the old one."""
    user = await User.get_or_none(id=user_id)
    if user is None:
        return
    async with transaction() as conn:
        await lock_quota(conn, user.email)
        await rebalance(conn, user.email, now=now)
