"""schema.graphql at the root is the schema the server serves (API.md)."""
from pathlib import Path

from schema.schema import build_schema

ROOT = Path(__file__).resolve().parents[3]


def test_exported_schema_matches_served_schema():
    exported = (ROOT / "schema.graphql").read_text()
    served = build_schema().as_str() + "\n"
    assert exported == served, "schema.graphql drifted: run `make schema` and review the diff"
