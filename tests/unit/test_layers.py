"""The arrows point one way (STYLE.md): api → schema → auth, domain; auth → domain.
domain/ knows nothing of GraphQL or HTTP."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "domain": {"strawberry", "starlette", "graphql", "schema", "api", "auth", "uvicorn"},
    "auth": {"schema", "api"},
    "schema": {"api"},
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_layer_imports_point_one_way(layer):
    offenders = {
        str(path.relative_to(ROOT)): sorted(_imports(path) & FORBIDDEN[layer])
        for path in (ROOT / layer).rglob("*.py")
        if _imports(path) & FORBIDDEN[layer]
    }
    assert offenders == {}
