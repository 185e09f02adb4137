"""Cross-origin browser apps (issue 23): Apollo Client's clientAwareness headers
(`apollographql-client-name`, `-version`) pass the CORS preflight of a real server, as
Chromium sends it; `CORS_ALLOW_HEADERS` widens or narrows the list; the response to the
real request lets the app read its budget and when to retry."""
from __future__ import annotations

import httpx
import pytest

from tests.conftest import ON_POSTGRES
from tests.support.live_server import serving

ORIGIN = "https://app.example.org"
# What Chromium sends before Apollo Client's POST with clientAwareness.
PREFLIGHT = {"origin": ORIGIN, "access-control-request-method": "POST",
             "access-control-request-headers": "apollographql-client-name,apollographql-client-version,content-type"}

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="runs its own SQLite server; once per CI run is enough")


@pytest.mark.slow
def test_a_real_preflight_with_apollo_client_headers_passes(tmp_path):
    with serving(tmp_path, CORS_ORIGINS=ORIGIN) as base:
        preflight = httpx.options(f"{base}/graphql", headers=PREFLIGHT)
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        allowed = {h.strip().lower() for h in preflight.headers["access-control-allow-headers"].split(",")}
        assert {"apollographql-client-name", "apollographql-client-version", "content-type"} <= allowed
        answer = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"},
                            headers={"origin": ORIGIN, "apollographql-client-name": "web",
                                     "apollographql-client-version": "1.0.0"})
        assert answer.json()["data"] == {"__typename": "Query"}
        exposed = {h.strip().lower() for h in answer.headers["access-control-expose-headers"].split(",")}
        assert {"ratelimit", "ratelimit-policy", "retry-after"} <= exposed


async def test_cors_allow_headers_decides_which_headers_pass(make_api):
    api = make_api(cors_origins=(ORIGIN,), cors_allow_headers=("content-type",))
    refused = await api.http.options("/graphql", headers=PREFLIGHT)
    assert refused.status_code == 400
    plain = await api.http.options("/graphql", headers={**PREFLIGHT, "access-control-request-headers": "content-type"})
    assert plain.status_code == 200


@pytest.fixture
def make_api(db, settings):
    
    from api.app import create_app
    from tests.conftest import Api

    return lambda **overrides: Api(create_app(settings.replace(**overrides), manage_db=False))
