"""One clock: X-Casebook-Now moves business time outside production only (API.md
Transport), and never security time (token expiry)."""
from datetime import date

from infra.settings import Environment
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

    production = Api(create_app(settings.replace(env=Environment.PRODUCTION), manage_db=False))
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


# --- X-Casebook-Now is checked and echoed (API.md "Transport and errors") ----------------

import pytest  # noqa: E402


@pytest.mark.parametrize("value", ["2026-05-10", "2026-05-10T09:00:00", "garbage", "", "tomorrow",
                                   "2026-02-30T09:00:00+01:00", "0001-01-01T00:00:00+01:00",
                                   "9999-12-31T23:00:00-05:00", "2026-05-10+02:00"])
async def test_a_test_clock_that_is_not_a_date_time_with_offset_is_refused(api, value):
    response = await api.http.post("/graphql", json={"query": "{ __typename }"},
                                   headers={"x-casebook-now": value})
    assert response.status_code == 400
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert body["errors"][0]["message"].startswith("X-Casebook-Now: ")
    assert "data" not in body


@pytest.mark.parametrize("value, echoed", [
    ("2026-05-10T09:00:00+02:00", "2026-05-10T07:00:00+00:00"),
    ("2026-05-10T07:00:00Z", "2026-05-10T07:00:00+00:00"),
    ("20260510T090000+0200", "2026-05-10T07:00:00+00:00"),
])
async def test_every_response_echoes_the_business_time_it_used(api, value, echoed):
    response = await api.http.post("/graphql", json={"query": "{ __typename }"}, headers={"x-casebook-now": value})
    assert response.status_code == 200 and response.headers["x-casebook-now"] == echoed


async def test_without_the_header_the_echo_is_the_real_time_the_request_ran_at(api):
    from datetime import datetime, timezone

    before = datetime.now(timezone.utc)
    response = await api.http.get("/healthz")
    echoed = datetime.fromisoformat(response.headers["x-casebook-now"])
    assert before <= echoed <= datetime.now(timezone.utc)


async def test_the_echo_is_the_time_the_request_used(api):
    payload = await sign_up(api, now="2020-02-29T12:00:00+01:00")
    response = await api.http.post("/graphql", json={"query": SUBSCRIPTION}, headers={
        "authorization": f"Bearer {payload['accessToken']}", "x-casebook-now": "2020-03-01T00:30:00+01:00"})
    assert response.headers["x-casebook-now"] == "2020-02-29T23:30:00+00:00"
    assert response.json()["data"]["me"]["account"]["subscription"]["periodStart"] == "2020-02-29"


async def test_production_neither_checks_nor_echoes_the_test_clock(db, settings):
    from api.app import create_app

    production = Api(create_app(settings.replace(env=Environment.PRODUCTION), manage_db=False))
    try:
        response = await production.http.post("/graphql", json={"query": "{ __typename }"},
                                              headers={"x-casebook-now": "garbage"})
    finally:
        await production.http.aclose()
    assert response.status_code == 200 and "x-casebook-now" not in response.headers
