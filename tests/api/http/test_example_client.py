"""The example client (examples/client.py, a stock `gql` client) runs its whole flow —
sign-up, dossier, share, quote, apply — against the app, as CI would see a client
developer run it."""
from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path

import httpx

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "client.py"


def load_example():  # noqa: ANN201
    spec = importlib.util.spec_from_file_location("casebook_example_client", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_the_example_client_signs_up_shares_quotes_and_applies(api):
    example = load_example()
    outcome = await example.run("http://test/graphql", email="example@example.org",
                                transport=httpx.ASGITransport(app=api.app))
    assert outcome["dossier"]["clientName"] == "Chris Client"
    assert outcome["share"] == {**outcome["share"], "email": "family@example.org", "access": "VIEWER"}
    assert outcome["share"]["status"] in ("PENDING", "ACTIVE")
    assert Decimal(outcome["quote"]["dueNow"]["amount"]) >= 0
    assert outcome["applied"]["subscription"]["activeClientTier"] == "UP_TO_25"
    assert outcome["applied"]["charged"]["amount"] == outcome["quote"]["dueNow"]["amount"]


async def test_the_example_client_reports_a_refusal_as_user_errors(api):
    example = load_example()
    await example.run("http://test/graphql", email="taken@example.org", transport=httpx.ASGITransport(app=api.app))
    try:
        await example.run("http://test/graphql", email="taken@example.org",
                          transport=httpx.ASGITransport(app=api.app))
    except example.UserErrors as error:
        assert "ALREADY_EXISTS" in str(error)
    else:
        raise AssertionError("signing up twice was not refused")
