"""Operators (P3, S7, S8): discounts and negotiated seat prices, audited; a billing view of
accounts; and no way at all to dossier content."""
from __future__ import annotations

from domain.audit.models import AuditEvent
from domain.billing.models import Subscription
from tests.support.billing import QUOTE, operator_token, quote_ok, subscription
from tests.support.flows import sign_up

APRIL_15 = "2026-04-15T10:00:00+02:00"
MAY_10 = "2026-05-10T12:00:00+02:00"

SET_DISCOUNT = """
mutation($input: SetAccountDiscountInput!) {
  setAccountDiscount(input: $input) {
    account { id name subscription { pricePerPeriod { amount } discounts { code percent endsOn } } }
    userErrors { code message field }
  }
}"""
REMOVE_DISCOUNT = """
mutation($input: RemoveAccountDiscountInput!) {
  removeAccountDiscount(input: $input) { account { subscription { discounts { code } } } userErrors { code field } }
}"""
SET_PRICE = """
mutation($input: SetNegotiatedSeatPriceInput!) {
  setNegotiatedSeatPrice(input: $input) {
    account { subscription { negotiatedSeatPrice { amount } pricePerPeriod { amount } } }
    userErrors { code message field }
  }
}"""
OPERATOR_ACCOUNTS = """
query($after: String, $name: String) {
  operatorAccounts(first: 2, after: $after, nameContains: $name) {
    edges { node { id name subscription { seats seatsUsed pricePerPeriod { amount } } ledger { amount { amount } } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_s7_operator_sets_and_removes_a_new_business_discount_audited(api):
    owner = await sign_up(api, now=APRIL_15)
    account_id = owner["viewer"]["account"]["id"]
    operator = await operator_token(api)

    missing_end = await api.data(SET_DISCOUNT, {"input": {"accountId": account_id, "code": "NEW_BUSINESS"}},
                                 token=operator, now=MAY_10)
    assert [(e["code"], e["field"]) for e in missing_end["setAccountDiscount"]["userErrors"]] == [
        ("INVALID_INPUT", ["endsOn"])]

    stale = await quote_ok(api, owner["accessToken"], MAY_10, seats=2)
    payload = (await api.data(SET_DISCOUNT, {"input": {"accountId": account_id, "code": "NEW_BUSINESS",
                                                       "endsOn": "2026-10-15"}}, token=operator, now=MAY_10))
    result = payload["setAccountDiscount"]
    assert result["userErrors"] == []
    assert result["account"]["subscription"]["discounts"] == [
        {"code": "new_business", "percent": "20.00", "endsOn": "2026-10-15"}]
    assert result["account"]["subscription"]["pricePerPeriod"]["amount"] == "24.00"  # 30 less 20 %

    # The price changed, so the quote made before no longer binds (Q2).
    from tests.support.billing import apply, new_key
    refused = await apply(api, owner["accessToken"], stale["id"], new_key(), MAY_10)
    assert [e["code"] for e in refused["userErrors"]] == ["QUOTE_STALE"]
    # The owner sees the discount; after its end date it is gone (the end is exclusive).
    assert (await subscription(api, owner["accessToken"], now=MAY_10))["pricePerPeriod"]["amount"] == "24.00"
    assert (await subscription(api, owner["accessToken"], now="2026-10-15T09:00:00+02:00"))["discounts"] == []

    removed = await api.data(REMOVE_DISCOUNT, {"input": {"accountId": account_id, "code": "NEW_BUSINESS"}},
                             token=operator, now=MAY_10)
    assert removed["removeAccountDiscount"] == {"account": {"subscription": {"discounts": []}}, "userErrors": []}
    again = await api.data(REMOVE_DISCOUNT, {"input": {"accountId": account_id, "code": "NEW_BUSINESS"}},
                           token=operator, now=MAY_10)
    assert again["removeAccountDiscount"]["userErrors"] == [{"code": "NOT_FOUND", "field": ["code"]}]

    actions = await AuditEvent.filter(action="operator.action").order_by("id").values_list("detail", flat=True)
    assert [detail["action"] for detail in actions if "code" in detail] == ["set_discount", "remove_discount"]


async def test_s2_only_the_larger_special_discount_applies(api):
    owner = await sign_up(api, now=APRIL_15)
    account_id = owner["viewer"]["account"]["id"]
    operator = await operator_token(api)
    for code, ends in (("NEW_BUSINESS", "2026-10-15"), ("CHARITY", None)):
        result = await api.data(SET_DISCOUNT, {"input": {"accountId": account_id, "code": code, "endsOn": ends}},
                                token=operator, now=MAY_10)
        assert result["setAccountDiscount"]["userErrors"] == []
    sub = await subscription(api, owner["accessToken"], now=MAY_10)
    assert sub["pricePerPeriod"]["amount"] == "22.50"  # 30 less 25 % (charity), not both


async def test_s8_negotiated_seat_price_only_for_thirty_seats_beyond_the_standard(api):
    small = await sign_up(api, now=APRIL_15, seats=34)  # pro's standard is 5: needs 35
    large = await sign_up(api, now=APRIL_15, seats=35)
    operator = await operator_token(api)
    refused = await api.data(SET_PRICE, {"input": {"accountId": small["viewer"]["account"]["id"], "seatPrice": "9.50"}},
                             token=operator, now=MAY_10)
    assert [e["code"] for e in refused["setNegotiatedSeatPrice"]["userErrors"]] == ["INVALID_INPUT"]
    assert "at least 35 seats" in refused["setNegotiatedSeatPrice"]["userErrors"][0]["message"]

    for bad in ("0", "-1", "9.505"):
        body = await api.data(SET_PRICE, {"input": {"accountId": large["viewer"]["account"]["id"], "seatPrice": bad}},
                              token=operator, now=MAY_10)
        assert [e["field"] for e in body["setNegotiatedSeatPrice"]["userErrors"]] == [["seatPrice"]], bad

    ok = await api.data(SET_PRICE, {"input": {"accountId": large["viewer"]["account"]["id"], "seatPrice": "9.50"}},
                        token=operator, now=MAY_10)
    sub = ok["setNegotiatedSeatPrice"]["account"]["subscription"]
    assert sub == {"negotiatedSeatPrice": {"amount": "9.50"}, "pricePerPeriod": {"amount": "347.50"}}  # 35 × 9.50 + 15
    ended = await api.data(SET_PRICE, {"input": {"accountId": large["viewer"]["account"]["id"], "seatPrice": None}},
                           token=operator, now=MAY_10)
    assert ended["setNegotiatedSeatPrice"]["account"]["subscription"]["negotiatedSeatPrice"] is None


async def test_p3_operator_lists_accounts_with_billing_data_only(api):
    for _ in range(3):
        await sign_up(api, now=APRIL_15)
    operator = await operator_token(api)
    first = (await api.data(OPERATOR_ACCOUNTS, token=operator, now=MAY_10))["operatorAccounts"]
    assert len(first["edges"]) == 2 and first["pageInfo"]["hasNextPage"]
    rest = (await api.data(OPERATOR_ACCOUNTS, {"after": first["pageInfo"]["endCursor"]}, token=operator))["operatorAccounts"]
    assert len(rest["edges"]) == 1 and not rest["pageInfo"]["hasNextPage"]
    node = first["edges"][0]["node"]
    assert node["subscription"] == {"seats": 1, "seatsUsed": 1, "pricePerPeriod": {"amount": "30.00"}}
    assert node["ledger"] == [{"amount": {"amount": "30.00"}}]


async def test_p3_operator_tokens_cannot_manage_billing_and_owners_cannot_operate(api):
    owner = await sign_up(api, now=APRIL_15)
    operator = await operator_token(api)
    as_operator = await api(QUOTE, {"input": {"seats": 2}}, token=operator, now=MAY_10)
    assert as_operator["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    as_owner = await api(SET_PRICE, {"input": {"accountId": owner["viewer"]["account"]["id"], "seatPrice": "1.00"}},
                         token=owner["accessToken"], now=MAY_10)
    assert as_owner["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await Subscription.filter(negotiated_seat_price__isnull=False).count() == 0
    assert (await api(OPERATOR_ACCOUNTS, token=owner["accessToken"]))["errors"][0]["extensions"]["code"] == "FORBIDDEN"


async def test_operator_actions_on_unknown_accounts_are_not_found(api):
    operator = await operator_token(api)
    from schema.relay import to_global_id

    body = await api.data(SET_PRICE, {"input": {"accountId": to_global_id("Account", 999), "seatPrice": "1.00"}},
                          token=operator, now=MAY_10)
    assert body["setNegotiatedSeatPrice"]["userErrors"][0]["code"] == "NOT_FOUND"
    body = await api.data(SET_PRICE, {"input": {"accountId": "bogus", "seatPrice": "1.00"}}, token=operator)
    assert body["setNegotiatedSeatPrice"]["userErrors"][0]["code"] == "NOT_FOUND"
    assert await Subscription.filter(negotiated_seat_price__isnull=False).count() == 0
