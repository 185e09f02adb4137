"""The probe's invisible look-alike over the API (issue 28, I6): `adm\\u034fin.a@…`
displayed exactly as an existing `admin.a@…`; now refused, and nothing is written."""
import pytest

from domain.accounts.models import User
from tests.support.flows import PASSWORD, SIGN_UP, sign_up


@pytest.mark.parametrize("email", ["adm\u034fin.a@alpha.test", "admin.a\ufe0f@alpha.test",
                                   "admin.a\U000e0100@alpha.test", "\uff41dmin.a@alpha.test",
                                   "\U0001d41admin.a@alpha.test"])
async def test_a_look_alike_of_an_existing_address_cannot_sign_up(api, email):
    await sign_up(api, "admin.a@alpha.test")
    answer = (await api.data(SIGN_UP, {"input": {"email": email, "password": PASSWORD, "name": "Eve",
                                                 "accountName": "Look-alike"}}))["signUp"]
    assert [error["code"] for error in answer["userErrors"]] == ["INVALID_INPUT"]
    assert await User.all().count() == 1


async def test_a_name_with_a_variation_selector_is_refused(api):
    answer = (await api.data(SIGN_UP, {"input": {"email": "vs@example.org", "password": PASSWORD,
                                                 "name": "Ann\ufe0fa", "accountName": "Practice"}}))["signUp"]
    assert [error["code"] for error in answer["userErrors"]] == ["INVALID_INPUT"]
