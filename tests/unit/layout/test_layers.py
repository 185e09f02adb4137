"""The arrows point one way (STYLE.md): api → schema → auth, domain; auth → domain.
domain/ knows nothing of GraphQL or HTTP. One exception: the domain asks the policy
(auth/policy.py, pure and free of I/O) who may do what (T6), like every other layer.

adapters/ (mail transports, the webhook HTTP client, DNS) stand beside the floors: they
implement interfaces the domain names and are handed in from the top (api/), so only
api/ imports them; the domain talks to no server itself."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
FORBIDDEN = {
    "domain": {"strawberry", "starlette", "graphql", "schema", "api", "auth", "uvicorn", "adapters",
               "aiosmtplib", "smtplib"},
    "auth": {"schema", "api", "adapters"},
    "schema": {"api", "adapters"},
    # Infrastructure (settings, database, clock, request context) knows no product rule.
    "infra": {"strawberry", "starlette", "graphql", "schema", "api", "auth", "domain", "uvicorn", "adapters"},
    # Adapters carry the domain's messages out; they decide nothing about who asks.
    "adapters": {"strawberry", "starlette", "graphql", "schema", "api", "auth", "uvicorn"},
}


ASKED_BY_EVERY_LAYER = {"auth.policy"}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules = [node.module] if node.module != "auth" else [f"auth.{a.name}" for a in node.names]
        else:
            continue
        names.update(module.split(".")[0] for module in modules if module not in ASKED_BY_EVERY_LAYER)
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[layer])
        for path in (ROOT / layer).rglob("*.py")
        if _imports(path) & FORBIDDEN[layer]
    }
    assert offenders == {}


# httpx in the domain parses a webhook URL the way the sender will (its URL model, no
# request): domain/webhooks/targets.py only. Sending is adapters/webhook_http.py.
HTTP_CLIENT_PARSES_URLS_IN = {"domain/webhooks/targets.py"}


def test_the_domain_sends_nothing_over_http_itself():
    users = {str(path.relative_to(ROOT)) for path in (ROOT / "domain").rglob("*.py") if "httpx" in _imports(path)}
    assert users <= HTTP_CLIENT_PARSES_URLS_IN
