"""An operator looking at, or acting on, an account that lives at a test clock does so
at the account's clock (O4), never the wall clock: outside production only."""
from __future__ import annotations

from tests.support.billing import operator_token
from tests.support.flows import sign_up
from tests.support.invoices import invoices

LONG_AGO = "2020-01-15T10:00:00+01:00"  # the account lives here; the wall clock is years later
LOOK = """query($id: ID!) { operatorAccount(id: $id) { subscription { __typename } } }"""


async def test_o4_an_operator_reading_an_account_renews_nothing_its_clock_has_not_reached(api):
    owner = await sign_up(api, now=LONG_AGO)
    token = owner["accessToken"]
    account_id = (await api.data("{ account { id } }", token=token, now=LONG_AGO))["account"]["id"]
    before = [i["number"] for i in await invoices(api, token)]
    assert before == ["CB-2020-000001"]
    operator = await operator_token(api)
    body = await api(LOOK, {"id": account_id}, token=operator)  # no X-Casebook-Now
    assert not body.get("errors"), body
    # The wall clock is past many monthly renewals of 2020: none of them may be charged.
    assert [i["number"] for i in await invoices(api, token)] == before


async def test_o4_an_operator_action_happens_at_the_account_s_clock(api):
    from tests.api.billing.test_billing_operators import SET_DISCOUNT

    owner = await sign_up(api, now=LONG_AGO)
    token = owner["accessToken"]
    account_id = owner["viewer"]["account"]["id"]
    operator = await operator_token(api)
    # "Not after today" is the account's today (15 January 2020), not the wall clock's.
    granted = (await api.data(SET_DISCOUNT, {"input": {"accountId": account_id, "code": "NEW_BUSINESS",
                                                       "endsOn": "2020-06-15"}}, token=operator))
    assert granted["setAccountDiscount"]["userErrors"] == [], granted
    assert [i["number"] for i in await invoices(api, token)] == ["CB-2020-000001"]
