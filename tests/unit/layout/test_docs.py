"""The contract travels with the code: docs/ holds SPEC.md and API.md, and a
test fails when they drift from the steering copies in ../shared/ (where that folder
exists, as on developers' machines and in CI); README links resolve in a fresh clone."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SHARED = ROOT.parent / "shared"


@pytest.mark.parametrize("name", ["SPEC.md", "API.md"])
def test_docs_copy_of_the_contract_matches_shared(name):
    if not (SHARED / name).is_file():
        pytest.skip(f"no {SHARED / name} beside this clone")
    assert (ROOT / "docs" / name).read_text() == (SHARED / name).read_text(), (
        f"docs/{name} differs from {SHARED / name}: copy it (cp {SHARED / name} docs/)")


DOCUMENTS = sorted({"README.md", "CHANGELOG.md", "api/README.md", "bench/README.md", "examples/README.md",
                    *(str(path.relative_to(ROOT)) for path in (ROOT / "docs").glob("*.md"))})


@pytest.mark.parametrize("readme", DOCUMENTS)
def test_every_relative_link_of_the_readmes_and_docs_resolves_in_the_repository(readme):
    path = ROOT / readme
    if not path.is_file():
        pytest.skip(f"no {readme}")
    targets = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", path.read_text())
    local = [t for t in targets if "://" not in t]
    outside = [t for t in local if not (path.parent / t).resolve().is_relative_to(ROOT)]
    broken = [t for t in local if not (path.parent / t).exists()]
    assert outside == [] and broken == [], (outside, broken)


def _layout_block() -> str:
    text = (ROOT / "README.md").read_text()
    section = text.split("## Layout", 1)[1]
    return section.split("```", 2)[1]


def _folders() -> list[str]:
    """Every folder a newcomer opens: the floors, each area of domain/, and tests' kinds."""
    skip = {"__pycache__", "node_modules", "static", "locales", "fonts", "schemas", "LC_MESSAGES"}
    tops = ["api", "schema", "auth", "infra", "adapters", "migrations", "bench", "docs", "examples", ".ci"]
    areas = [f"domain/{p.name}" for p in (ROOT / "domain").iterdir() if p.is_dir() and p.name not in skip]
    tests = [f"tests/{p.name}" for p in (ROOT / "tests").iterdir() if p.is_dir() and p.name not in skip]
    return sorted(tops + areas + tests + ["domain/locales"])


@pytest.mark.parametrize("folder", _folders())
def test_readme_layout_maps_every_folder(folder):
    """A newcomer finds in README's Layout what each folder is for; a new folder must be named there."""
    assert re.search(rf"^{re.escape(folder)}/", _layout_block(), re.M), f"README Layout does not name {folder}/"
