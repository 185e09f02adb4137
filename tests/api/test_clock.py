"""One clock: X-Casebook-Now moves business time outside production only (API.md
Transport), and never security time (token expiry)."""
from dataclasses import replace
from datetime import date

from domain.core.settings import Environment
from tests.conftest import Api
from tests.support.flows import sign_up

SUBSCRIPTION = "{ me { account { subscription { periodStart } } } }"


async def test_the_test_clock_sets_business_time_outside_production(api):
    payload = await sign_up(api, now="2020-02-29T12:00:00+01:00")
    me = await api.data(SUBSCRIPTION, token=payload["accessToken"], now="2020-03-01T12:00:00+01:00")
    assert me["me"]["account"]["subscription"]["periodStart"] == "2020-02-29"
    # Read years later, the subscription is seen as of then (O2): its period moved on.
    later = await api.data(SUBSCRIPTION, token=payload["accessToken"], now="2021-03-10T12:00:00+01:00")
    assert later["me"]["account"]["subscription"]["periodStart"] == "2021-02-28"


async def test_production_ignores_the_test_clock(db, settings):
    from api.app import create_app

    production = Api(create_app(replace(settings, env=Environment.PRODUCTION), manage_db=False))
    try:
        payload = await sign_up(production, now="2020-02-29T12:00:00+01:00")
        me = await production.data(SUBSCRIPTION, token=payload["accessToken"])
        started = date.fromisoformat(me["me"]["account"]["subscription"]["periodStart"])
        assert started.year >= 2026
    finally:
        await production.http.aclose()


async def test_a_far_future_test_clock_does_not_expire_tokens(api):
    # Reading in 2099 renews 120 periods per read (the catch-up bound), so a second read
    # (the executors' comparison) would see a later period: compare nothing here.
    api.differential = False
    payload = await sign_up(api)
    body = await api(SUBSCRIPTION, token=payload["accessToken"], now="2099-01-01T00:00:00+00:00")
    assert "errors" not in body
