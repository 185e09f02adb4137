"""When to try a failed delivery again, when to give up, and when an endpoint that keeps
failing is disabled (T5). Pure functions; documented for partners in docs/webhooks.md.

Retries: 10 s after the first failure, then three times as long each time (30 s,
1.5 min, 4.5 min, 13.5 min, 40 min, 2 h) up to every 6 hours, each delay shifted by up
to ±20 % at random (jitter, so a recovering endpoint is not hit by a wave). A delivery
is retried until it is at least RETRY_FOR old — about 12 attempts over a day — and then
marked failed; it can still be replayed by hand.

Disabling: an endpoint whose attempts have all failed for DISABLE_AFTER (its last
success, or its first failure, is that long ago) and at least DISABLE_AFTER_FAILURES
times in a row is disabled; its account's owners are told by mail."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

FIRST_RETRY_SECONDS = 10.0
RETRY_FACTOR = 3.0
MAX_RETRY_SECONDS = 6 * 3600.0
JITTER = 0.2
RETRY_FOR = timedelta(hours=24)

DISABLE_AFTER = timedelta(days=5)
DISABLE_AFTER_FAILURES = 10


def retry_delay(failed_attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `failed_attempts`-th failed attempt."""
    base = min(MAX_RETRY_SECONDS, FIRST_RETRY_SECONDS * RETRY_FACTOR ** max(0, failed_attempts - 1))
    return timedelta(seconds=base * (1 - JITTER + 2 * JITTER * (rng or random).random()))


def next_attempt(created_at: datetime, failed_attempts: int, now: datetime,
                 rng: random.Random | None = None) -> datetime | None:
    """When to try again, or None: the delivery has been retried for its day."""
    if now - created_at >= RETRY_FOR:
        return None
    return now + retry_delay(failed_attempts, rng)


def should_disable(consecutive_failures: int, failing_since: datetime | None, now: datetime) -> bool:
    return (failing_since is not None and consecutive_failures >= DISABLE_AFTER_FAILURES
            and now - failing_since >= DISABLE_AFTER)
