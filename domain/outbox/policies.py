"""Retry schedules and give-up rules, one per kind of message (O5), written as data: how
long after the first failure, how much longer each time, at most how long between two
attempts, how much jitter, and for how long (and at most how many times) to keep trying.
Mail, account archives and webhook deliveries read their schedule from here; README's
"Delivery guarantees" lists the same numbers.

Times are the message's account's business time (O4): a test clock moved forward makes
retries due and ends their day."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class RetryPolicy:
    first_seconds: float        # the wait after the first failed attempt
    factor: float               # each later wait is this many times the one before
    max_seconds: float          # the longest wait
    jitter: float               # each wait shifted by up to ± this share, at random
    retry_for: timedelta        # retried until the message is this old, then failed
    max_attempts: int           # and never more often than this (a guard against a hot loop)

    def delay(self, failed_attempts: int, rng: random.Random | None = None) -> timedelta:
        """How long to wait after the `failed_attempts`-th failed attempt."""
        base = min(self.max_seconds, self.first_seconds * self.factor ** max(0, failed_attempts - 1))
        return timedelta(seconds=base * (1 - self.jitter + 2 * self.jitter * (rng or random).random()))

    def gives_up(self, created_at: datetime, attempts: int, now: datetime) -> bool:
        return now - created_at >= self.retry_for or attempts >= self.max_attempts

    def next_attempt(self, created_at: datetime, failed_attempts: int, now: datetime,
                     rng: random.Random | None = None) -> datetime | None:
        """When to try again, or None: the message has had its retries."""
        if self.gives_up(created_at, failed_attempts, now):
            return None
        return now + self.delay(failed_attempts, rng)


# Mail and account archives: 5 s, 10 s, 20 s … at most 15 minutes, for a day.
MAIL = RetryPolicy(first_seconds=5, factor=2, max_seconds=15 * 60, jitter=0.2, retry_for=timedelta(days=1),
                   max_attempts=200)
# Webhooks: 10 s, 30 s, 1.5 min, 4.5 min, 13.5 min, 40 min, 2 h, then every 6 h, for a
# day — about 12 attempts — as partners know from Stripe and Svix.
WEBHOOK = RetryPolicy(first_seconds=10, factor=3, max_seconds=6 * 3600, jitter=0.2, retry_for=timedelta(hours=24),
                      max_attempts=200)

POLICIES: dict[str, RetryPolicy] = {"mail": MAIL, "export": MAIL, "webhook": WEBHOOK}


def policy_for(kind: str) -> RetryPolicy:
    return POLICIES.get(kind, MAIL)
