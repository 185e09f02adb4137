"""The arrows point one way (STYLE.md): api → schema → auth, domain; auth → domain.
domain/ knows nothing of GraphQL or HTTP. One exception: the domain asks the policy
(auth/policy.py, pure and free of I/O) who may do what (T6), like every other layer."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "domain": {"strawberry", "starlette", "graphql", "schema", "api", "auth", "uvicorn"},
    "auth": {"schema", "api"},
    "schema": {"api"},
    # Infrastructure (settings, database, clock, request context) knows no product rule.
    "infra": {"strawberry", "starlette", "graphql", "schema", "api", "auth", "domain", "uvicorn"},
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
