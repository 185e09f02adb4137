"""The query-cost budget of each principal and each anonymous client: points that
refill over time, as Shopify's leaky bucket and GitHub's points work. Every request
spends what its query costs (api/cost.py, at least 1 point); a request the budget cannot
cover is refused before it runs, with when to retry.

The bucket is kept as one number, the moment it would be full again (the generic cell
rate algorithm): spending `cost` points moves it `cost / restorePerSecond` seconds
later, and a request is admitted only if that moment stays within `points /
restorePerSecond` seconds of now. One atomic step per request — a Lua script in Redis
when REDIS_URL is set, else one upsert … RETURNING in the database's `cost_budget` table —
so every server process spends from the same bucket and a burst cannot overdraw it.

When Redis cannot be reached the request is served unbudgeted (logged): the budget
protects the service, so an outage of the counter must not take the API down with it.
(The sign-in doors of auth/rate_limit.py, which guard secrets, fail closed instead.)
"""
from __future__ import annotations

import hashlib
import logging
import math
import random
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from infra.db import dialect, execute, transaction

log = logging.getLogger("casebook.budget")
POLICY = "cost"  # the name of the policy in the RateLimit header fields
_PRUNE_CHANCE = 0.01


@dataclass(frozen=True)
class Allowance:
    points: int
    restore_per_second: int

    @property
    def ms_per_point(self) -> float:
        return 1000 / self.restore_per_second

    @property
    def refill_seconds(self) -> int:
        """How long an empty bucket takes to fill: the policy's window."""
        return math.ceil(self.points / self.restore_per_second)


@dataclass(frozen=True)
class Spent:
    admitted: bool
    remaining: int
    # Seconds until the request would have fit (refused), and until the bucket is full.
    retry_after: int
    full_in: int


def allowance_for(settings: Any, principal: Any) -> Allowance:
    if principal is None:
        return Allowance(settings.cost_budget_anonymous_points, settings.cost_budget_anonymous_restore_per_second)
    return Allowance(settings.cost_budget_points, settings.cost_budget_restore_per_second)


def budget_key(principal: Any, client: str) -> str:
    """One bucket per person or partner system (whatever session or token they use), and
    one per client address for requests without a principal. Stored hashed."""
    who = f"user:{principal.actor.user_id}" if principal is not None else f"client:{client}"
    return "cost:" + hashlib.sha256(who.encode()).hexdigest()[:40]


def _outcome(allowance: Allowance, now_ms: int, drained_until_ms: int, admitted: bool, cost_ms: int) -> Spent:
    burst_ms = allowance.points * allowance.ms_per_point
    ahead = max(drained_until_ms, now_ms) - now_ms
    remaining = max(0, math.floor((burst_ms - ahead) / allowance.ms_per_point + 1e-9))
    retry_ms = 0 if admitted else ahead + cost_ms - burst_ms
    return Spent(admitted, remaining, max(1, math.ceil(retry_ms / 1000)) if not admitted else 0,
                 math.ceil(ahead / 1000))


# --- the database ----------------------------------------------------------------------------
# $1 key, $2 now, $3 the cost in ms, $4 the bucket's depth in ms. Both databases evaluate
# every SET expression against the row as it was. "Now" is the later of this request's
# clock and the latest the bucket has been told (`clock_ms`), as Redis's own clock is below:
# processes read their clocks before their requests reach the bucket, in no fixed order.
_NOW = "MAX_(cost_budget.clock_ms, $2)"
_FITS = f"(MAX_(cost_budget.drained_until_ms, {_NOW}) + $3 - {_NOW} <= $4)"
_UPSERT = ('INSERT INTO cost_budget (key, drained_until_ms, refused, clock_ms) '
           'VALUES ($1, CASE WHEN $3 <= $4 THEN $2 + $3 ELSE $2 END, $3 > $4, $2) '
           f'ON CONFLICT (key) DO UPDATE SET refused = NOT {_FITS}, drained_until_ms = CASE WHEN {_FITS} '
           f'THEN MAX_(cost_budget.drained_until_ms, {_NOW}) + $3 ELSE cost_budget.drained_until_ms END, '
           f'clock_ms = {_NOW} '
           'RETURNING drained_until_ms, refused, clock_ms')
_PRUNE = "DELETE FROM cost_budget WHERE drained_until_ms < $1"  # full again: nothing to remember


async def _spend_in_database(key: str, now_ms: int, cost_ms: int, burst_ms: int) -> tuple[int, bool, int]:
    async with transaction() as conn:
        postgres = dialect(conn) == "postgres"
        sql = _UPSERT.replace("MAX_", "GREATEST" if postgres else "MAX")
        for n in (2, 3, 4):  # typed: PostgreSQL cannot infer a parameter used in arithmetic
            sql = sql.replace(f"${n}", f"CAST(${n} AS BIGINT)")
        if not postgres:
            sql = re.sub(r"\$(\d)", r"?\1", sql)
        # Not db.execute: tortoise's asyncpg client drops the rows of INSERT … RETURNING.
        rows = await conn.execute_query_dict(sql, [key, now_ms, cost_ms, burst_ms])
        if random.random() < _PRUNE_CHANCE:
            await execute(conn, _PRUNE, [now_ms])
    row = rows[0]
    return int(row["drained_until_ms"]), not bool(row["refused"]), int(row["clock_ms"])


# --- Redis -----------------------------------------------------------------------------------
# "Now" is Redis's own clock, read inside the script: requests of several processes (and
# hosts) reach the bucket in some order, and a request whose clock was read a moment
# before another's but arrived after it would see the bucket a moment fuller than it is —
# a burst of exactly the budget then got one request fewer than it pays for.
_SCRIPT = """
local time = redis.call('TIME'); local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local cost = tonumber(ARGV[1]); local burst = tonumber(ARGV[2])
local drained = tonumber(redis.call('GET', KEYS[1]) or '0')
local from = math.max(drained, now)
if from + cost - now > burst then return {drained, 0, now} end
redis.call('SET', KEYS[1], from + cost, 'PX', from + cost - now + 1000)
return {from + cost, 1, now}
"""


async def _spend_in_redis(settings: Any, key: str, cost_ms: int, burst_ms: int) -> tuple[int, bool, int]:
    from auth.rate_limit import _redis_call

    async def work(client: Any) -> Any:
        return await client.eval(_SCRIPT, 1, f"casebook:{key}", cost_ms, burst_ms)

    drained, admitted, now_ms = await _redis_call(settings, work)
    return int(drained), bool(int(admitted)), int(now_ms)


async def spend(settings: Any, key: str, allowance: Allowance, cost: int, now: datetime) -> Spent | None:
    """Spend `cost` points (at least 1) from the bucket; None when there is no budget
    (0 points) or Redis cannot be reached."""
    if allowance.points <= 0:
        return None
    now_ms = int(now.timestamp() * 1000)
    cost_ms = math.ceil(max(1, cost) * allowance.ms_per_point)
    burst_ms = math.ceil(allowance.points * allowance.ms_per_point)
    if settings.redis_url:
        from auth.rate_limit import CounterUnavailable

        try:
            drained, admitted, now_ms = await _spend_in_redis(settings, key, cost_ms, burst_ms)
        except CounterUnavailable:
            return None  # logged by the Redis call: served unbudgeted
    else:
        drained, admitted, now_ms = await _spend_in_database(key, now_ms, cost_ms, burst_ms)
    return _outcome(allowance, now_ms, drained, admitted, cost_ms)


def header_fields(allowance: Allowance, spent: Spent) -> dict[str, str]:
    """The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): the policy
    (quota and the seconds an empty bucket takes to fill) and what is left of it now."""
    fields = {"RateLimit-Policy": f'"{POLICY}";q={allowance.points};w={allowance.refill_seconds}',
              "RateLimit": f'"{POLICY}";r={spent.remaining};t={spent.full_in}'}
    if not spent.admitted:
        fields["Retry-After"] = str(spent.retry_after)
    return fields


def cost_extension(requested: int, limit: int, allowance: Allowance | None, spent: Spent | None) -> dict[str, Any]:
    cost: dict[str, Any] = {"requested": requested, "limit": limit}
    if allowance is not None and spent is not None:
        cost["budget"] = {"max": allowance.points, "remaining": spent.remaining,
                          "restorePerSecond": allowance.restore_per_second}
    return cost
