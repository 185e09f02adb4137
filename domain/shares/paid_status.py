"""G5: when a person stops (or starts again) being a paid user. Called inside the
transaction that removed or added their membership. Filled in by the shares area."""
from __future__ import annotations

from datetime import datetime


async def paid_status_changed(user_id: int, *, now: datetime) -> None:
    """Re-balance the person's shares: suspend all but the three oldest when no longer
    paid, restore them when paid again. (Shares issue.)"""
    return None
