"""Given-steps for billing: quoting, applying, cancelling, renewing, operators."""
from __future__ import annotations

import itertools
from datetime import datetime

from domain.billing.catalog import load_catalog
from tests.support.flows import PASSWORD, log_in

CATALOG = load_catalog(None)

QUOTE_FIELDS = """
  id dueNow { amount currency } pricePerPeriodAfter { amount currency } expiresAt
  lines { description amount { amount currency } effectiveOn remainingDays periodDays explanation change effect from to }
"""

QUOTE = """
mutation($input: SubscriptionChangeInput!) {
  quoteSubscriptionChange(input: $input) { quote { %s } userErrors { code message field } }
}""" % QUOTE_FIELDS

APPLY = """
mutation($input: ApplySubscriptionChangeInput!) {
  applySubscriptionChange(input: $input) {
    subscription { term seats activeClientTier periodStart renewsOn pricePerPeriod { amount } }
    charged { amount currency }
    ledgerLines { id description amount { amount } periodStart periodEnd quoteId }
    userErrors { code message field }
  }
}"""

CANCEL = """
mutation { cancelSubscription(input: {}) { subscription { cancelsOn renewsOn } userErrors { code message field } } }"""

SUBSCRIPTION = """
{ account { id subscription {
    plan { code name seatPrice { amount } } term seats seatsUsed activeClientTier periodStart renewsOn
    pricePerPeriod { amount currency } scheduledChanges { description effectiveOn } cancelsOn
    discounts { code percent endsOn } negotiatedSeatPrice { amount }
} } }"""

LEDGER = """
{ account { ledger { id description quantity amount { amount currency } periodStart periodEnd quoteId createdAt } } }"""

_keys = itertools.count(1)


def new_key() -> str:
    return f"key-{next(_keys)}"


async def quote(api, token: str, now: str, **change) -> dict:
    """quoteSubscriptionChange's payload; `change` uses the input's names (seats=2…)."""
    return (await api.data(QUOTE, {"input": change}, token=token, now=now))["quoteSubscriptionChange"]


async def quote_ok(api, token: str, now: str, **change) -> dict:
    payload = await quote(api, token, now, **change)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload["quote"]


async def apply(api, token: str, quote_id: str, key: str, now: str) -> dict:
    variables = {"input": {"quoteId": quote_id, "idempotencyKey": key}}
    return (await api.data(APPLY, variables, token=token, now=now))["applySubscriptionChange"]


async def subscription(api, token: str, now: str | None = None) -> dict:
    return (await api.data(SUBSCRIPTION, token=token, now=now))["account"]["subscription"]


async def ledger(api, token: str, now: str | None = None) -> list[dict]:
    return (await api.data(LEDGER, token=token, now=now))["account"]["ledger"]


async def renew(now: str):
    """`casebook renew` at business time `now`."""
    from domain.billing.renewal import renew_due

    return await renew_due(CATALOG, now=datetime.fromisoformat(now))


async def add_teammates(account_global_id: str, count: int, *, now: str) -> None:
    """Teammates straight in the database: billing only counts memberships (S5)."""
    from domain.accounts.models import Membership, User
    from schema.relay import parse_global_id

    account_id = parse_global_id(account_global_id)[1]
    moment = datetime.fromisoformat(now)
    for _ in range(count):
        user = await User.create(email=f"mate{next(_keys)}@example.org", name="Mate", created_at=moment)
        await Membership.create(account_id=account_id, user=user, role="MEMBER", created_at=moment)


async def operator_token(api, email: str = "operator@casebook.example") -> str:
    from domain.identity.passwords import hash_password
    from domain.staff.operator_logins import make_operator

    await make_operator(email, name="Opal Operator", password_hash=hash_password(PASSWORD),
                        replace_password=True, now=datetime.fromisoformat("2026-01-01T00:00:00+00:00"))
    session = await log_in(api, email)
    assert session["viewer"]["kind"] == "OPERATOR", session
    return session["accessToken"]


async def given_account(now: str, *, time_zone: str | None = None, **choices) -> tuple[int, "object"]:
    """An account signed up at `now` through the service (no HTTP): (account id, owner actor)."""
    from domain.team import sign_up as signing_up
    from domain.accounts.models import Membership
    from domain.core.actor import Actor, ActorKind, Role

    email = f"owner{next(_keys)}@example.org"
    request = signing_up.SignUpRequest(email=email, name="Olga", account_name="Practice", time_zone=time_zone,
                                     **choices)
    from infra.settings import Settings

    user = await signing_up.sign_up(signing_up.check_sign_up(request, CATALOG), "not-a-real-hash", CATALOG,
                                  now=datetime.fromisoformat(now), settings=Settings(jwt_secret="x" * 32),
                                  security_now=datetime.fromisoformat(now))
    membership = await Membership.get(user_id=user.id)
    return membership.account_id, Actor(user.id, email, ActorKind.PAID, membership.account_id, Role.OWNER,
                                        membership.id)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text)
