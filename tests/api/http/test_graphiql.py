"""GraphiQL served by the service itself: its pinned files with their
licences, under a Content-Security-Policy that allows the service's own origin alone,
the headers editor prefilled with how to send the bearer token; never in production.
(tests/api/http/test_graphiql_browser.py loads the page in a real headless browser.)"""
from __future__ import annotations

import hashlib
import re

import pytest

from api import graphiql
from infra.settings import Environment
from tests.conftest import Api

BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


async def test_browsers_get_the_page_under_a_same_origin_content_security_policy(api):
    response = await api.http.get("/graphql", headers=BROWSER)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    policy = dict(part.strip().split(" ", 1) for part in response.headers["content-security-policy"].split(";"))
    assert policy["default-src"] == "'none'"
    for directive in ("script-src", "style-src", "connect-src"):
        assert policy[directive] == "'self'"
    assert policy["img-src"] == policy["font-src"] == "'self' data:"
    assert policy["frame-ancestors"] == "'none'" and policy["base-uri"] == "'none'"
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_the_page_loads_only_the_services_own_files_and_no_inline_script(api):
    page = (await api.http.get("/graphql", headers=BROWSER)).text
    urls = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert urls and all(url.startswith("/graphiql/") or url == "data:," for url in urls), urls
    assert not re.search(r"<script(?![^>]*\bsrc=)", page), "inline script"
    assert "style=" not in page and "<style" not in page
    for url in urls:
        if url.startswith("/graphiql/"):
            asset = await api.http.get(url)
            assert asset.status_code == 200, url
            assert asset.headers["content-type"].startswith(("text/javascript", "text/css"))
            assert asset.headers["x-content-type-options"] == "nosniff"


def test_the_vendored_files_are_the_pinned_published_ones_with_their_licences():
    for name, digest in graphiql.PINNED.items():
        assert hashlib.sha256((graphiql.STATIC / name).read_bytes()).hexdigest() == digest, name
    for licence in ("LICENSE.graphiql.txt", "LICENSE.react.txt", "LICENSE.react-dom.txt"):
        assert "MIT License" in (graphiql.STATIC / licence).read_text()
    readme = (graphiql.STATIC / "README.md").read_text()
    assert all(name in readme for name in graphiql.PINNED)


def test_our_own_script_fetches_nothing_from_elsewhere_and_explains_the_bearer_token():
    script = (graphiql.STATIC / "casebook-graphiql.js").read_text()
    assert not re.search(r"https?://", script)
    assert '{"Authorization": "Bearer <accessToken>"}' in script and "defaultHeaders: HEADERS" in script


@pytest.mark.parametrize("path", ["/graphiql/../app.py", "/graphiql/%2e%2e%2fapp.py", "/graphiql/README.md",
                                  "/graphiql/LICENSE.react.txt.map", "/graphiql/graphiql.min.js"])
async def test_nothing_but_the_listed_files_is_served(api, path):
    assert (await api.http.get(path)).status_code == 404


async def test_versioned_files_are_cached_for_good_and_ours_revalidated(api):
    vendored = await api.http.get("/graphiql/graphiql-3.8.3.min.css")
    assert "immutable" in vendored.headers["cache-control"]
    own = await api.http.get("/graphiql/casebook-graphiql.js")
    assert own.headers["cache-control"] == "no-cache"


async def test_production_serves_no_graphiql(db, settings):
    from api.app import create_app

    production = Api(create_app(settings.replace(env=Environment.PRODUCTION), manage_db=False))
    try:
        page = await production.http.get("/graphql", headers=BROWSER)
        asset = await production.http.get("/graphiql/graphiql-3.8.3.min.js")
    finally:
        await production.http.aclose()
    assert page.status_code == 400 and page.headers["content-type"].startswith("application/json")
    assert asset.status_code == 404


async def test_clients_that_accept_anything_get_json_not_the_page(api):
    response = await api.http.get("/graphql", headers={"accept": "*/*"})
    assert response.status_code == 400 and response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"
