"""No import circles in schema/, domain/, auth/, api/ or adapters/, between modules or between the
areas of domain/, and no arrow back up the areas' order. Every import counts, the ones
inside functions too: a function-level import that closes a circle hides the circle, it
does not remove it."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("api", "schema", "auth", "domain", "infra", "adapters")

# The areas of domain/, lowest first: an area may import the ones before it, never one
# after it. `events` is domain/events.py, which every area announces through.
AREAS = ("core", "events", "live", "audit", "outbox", "mails", "accounts", "identity", "billing", "team", "dossiers",
         "shares", "staff", "exports", "webhooks")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _graph() -> dict[str, set[str]]:
    modules = {_module(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text())):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                targets = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def _area(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if parts[0] == "domain" and len(parts) > 1 else None


def _area_graph() -> dict[str, set[str]]:
    areas: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        if (area := _area(module)) is None:
            continue
        areas.setdefault(area, set())
        for target in targets:
            if (into := _area(target)) is not None and into != area:
                areas[area].add(into)
                areas.setdefault(into, set())
    return areas


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    assert _cycles(_graph()) == []


def test_every_area_has_its_place_in_the_order():
    assert sorted(_area_graph()) == sorted(AREAS)


def test_no_arrow_back_up_between_areas():
    """A call upwards is wired at the top (api/wiring.py) instead: there are none."""
    rank = {area: place for place, area in enumerate(AREAS)}
    up = {(area, into) for area, targets in _area_graph().items() for into in targets if rank[into] > rank[area]}
    assert up == set(), "an area imports one above it"


def test_no_circles_between_areas():
    assert _cycles(_area_graph()) == []

