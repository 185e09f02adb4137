"""Account data is shown only for the account the token acts in: an account reached
through `me.memberships` does not borrow the scopes of the acting account (D2, P1)."""
from datetime import datetime, timezone

from domain.accounts.models import Membership, User
from domain.core.actor import Role
from tests.support.flows import sign_up

THROUGH_MEMBERSHIPS = "{ me { memberships { role account { name %s } } } }"


async def test_another_accounts_billing_and_audit_stay_hidden_through_memberships(api):
    owner_a = await sign_up(api, "a-owner@example.org")
    owner_b = await sign_up(api, "b-owner@example.org")
    b_id = owner_b["viewer"]["account"]["id"]
    from schema.relay import parse_global_id

    user_a = await User.get(email="a-owner@example.org")
    await Membership.create(account_id=parse_global_id(b_id)[1], user=user_a, role=Role.MEMBER.value,
                            created_at=datetime.now(timezone.utc))

    names = await api.data(THROUGH_MEMBERSHIPS % "", token=owner_a["accessToken"])
    assert sorted(m["account"]["name"] for m in names["me"]["memberships"]) == [
        "Practice a-owner", "Practice b-owner"]
    # Account data needs acting in that account: name and role only.
    for field in ("ledger { id }", "auditLog { edges { cursor } }", "machineCredentials { clientId }",
                  "subscription { seats }", "usage { count }", "usageHistory { count }",
                  "teammates { user { email } }"):
        body = await api(THROUGH_MEMBERSHIPS % field, token=owner_a["accessToken"])
        codes = {e["extensions"]["code"] for e in body["errors"]}
        assert codes == {"FORBIDDEN"}, (field, body["errors"])
        assert [e["path"][2] for e in body["errors"]] == [1], body["errors"]  # B only, never A
    # In the account it acts in, the same fields answer.
    own = await api.data("{ account { subscription { seats } usage { count } teammates { role } } }",
                         token=owner_a["accessToken"])
    assert own["account"]["subscription"]["seats"] == 1


def test_previous_jwt_secrets_cannot_replace_or_weaken_the_signing_key():
    import pytest

    from infra.settings import SettingsError, load_settings

    base = {"JWT_SECRET": "s" * 40, "JWT_KEY_ID": "k2"}
    for previous in ("k2:" + "o" * 40, "k1:short", "nokid"):
        with pytest.raises(SettingsError):
            load_settings({**base, "JWT_PREVIOUS_SECRETS": previous}, env_file=None)
    assert load_settings({**base, "JWT_PREVIOUS_SECRETS": "k1:" + "o" * 40}, env_file=None)
