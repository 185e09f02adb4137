"""Turning a refused limit into the quote that would lift it (Q5). The billing area
computes and stores the quote; until then, no quote."""
from __future__ import annotations

from typing import Any

from domain.core.errors import LiftRequest


async def quote_for_lift(info: Any, lift: LiftRequest | None) -> Any:
    return None
