"""When to try a failed delivery again, when to give up, and when an endpoint that keeps
failing is disabled (T5). The schedule is the webhook policy of domain.outbox.policies
(data, beside mail's); documented for partners in docs/webhooks.md and README.

Retries: 10 s after the first failure, then three times as long each time (30 s,
1.5 min, 4.5 min, 13.5 min, 40 min, 2 h) up to every 6 hours, each delay shifted by up
to ±20 % at random (jitter, so a recovering endpoint is not hit by a wave). A delivery
is retried until it is at least a day old — about 12 attempts over a day — and then
marked failed; it can still be replayed by hand.

Disabling: an endpoint whose attempts have all failed for DISABLE_AFTER (its last
success, or its first failure, is that long ago) and at least DISABLE_AFTER_FAILURES
times in a row is disabled; its account's owners are told by mail."""
from __future__ import annotations

import random
from datetime import datetime, timedelta

from domain.outbox.policies import WEBHOOK

DISABLE_AFTER = timedelta(days=5)
DISABLE_AFTER_FAILURES = 10


def retry_delay(failed_attempts: int, rng: random.Random | None = None) -> timedelta:
    """How long to wait after the `failed_attempts`-th failed attempt."""
    return WEBHOOK.delay(failed_attempts, rng)


def next_attempt(created_at: datetime, failed_attempts: int, now: datetime,
                 rng: random.Random | None = None) -> datetime | None:
    """When to try again, or None: the delivery has been retried for its day."""
    return WEBHOOK.next_attempt(created_at, failed_attempts, now, rng)


def should_disable(consecutive_failures: int, failing_since: datetime | None, now: datetime) -> bool:
    return (failing_since is not None and consecutive_failures >= DISABLE_AFTER_FAILURES
            and now - failing_since >= DISABLE_AFTER)
