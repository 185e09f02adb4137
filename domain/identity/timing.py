"""Answers whose timing must not tell anything: asking for a password reset or for an
address change takes as long for an address with a login as for one without (I2, I3)."""
from __future__ import annotations

import asyncio
import time


async def at_least(seconds: float, work):  # noqa: ANN001, ANN201 - an awaitable in, its result out
    """Run `work`, then wait until `seconds` have passed since the start: the caller's
    timing no longer depends on which branch the work took."""
    started = time.monotonic()
    try:
        return await work
    finally:
        await asyncio.sleep(max(0.0, seconds - (time.monotonic() - started)))
