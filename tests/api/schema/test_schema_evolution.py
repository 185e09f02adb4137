"""The schema evolves safely (API.md "Third release: Pagination"; issue 23): nothing in
schema.graphql breaks a client of the last released schema unless that release had
deprecated it first; the schema is served at GET /schema.graphql in every mode, also
where introspection is off; CHANGELOG.md keeps its history."""
from __future__ import annotations

import re

from schema.evolution import CURRENT, RELEASED, ROOT, unannounced_breaking_changes


def _without_field(sdl: str, type_name: str, field: str) -> str:
    """The SDL with one field of one type (and its description) cut out."""
    block = re.search(rf"\ntype {type_name} [^{{]*\{{.*?\n\}}", sdl, re.S)
    assert block, type_name
    body = re.sub(rf'\n\n?(  """[^"]*"""\n)?  {field}(\(.*?\))?: [^\n]+', "", block[0], count=1, flags=re.S)
    assert body != block[0], field
    return sdl.replace(block[0], body)


def test_the_current_schema_breaks_nothing_the_released_one_did_not_deprecate():
    assert unannounced_breaking_changes(RELEASED.read_text(), CURRENT.read_text()) == []


def test_removing_a_field_that_was_not_deprecated_fails_the_check():
    current = CURRENT.read_text()
    assert unannounced_breaking_changes(current, _without_field(current, "Dossier", "clientName")) == [
        "Field Dossier.clientName was removed."]


def test_removing_a_field_deprecated_in_the_released_schema_passes():
    current = CURRENT.read_text()  # as if released: Account.ledger is deprecated in it
    assert "ledger: [LedgerLine!]! @deprecated" in current
    assert unannounced_breaking_changes(current, _without_field(current, "Account", "ledger")) == []
    # …but not against a release that had not deprecated it yet.
    released = RELEASED.read_text()
    assert unannounced_breaking_changes(released, _without_field(current, "Account", "ledger")) == [
        "Field Account.ledger was removed."]


def test_every_deprecation_names_its_replacement_and_the_changelog_records_it():
    from schema.schema import schema

    changelog = (ROOT / "CHANGELOG.md").read_text()
    for type_ in schema._schema.type_map.values():
        for name, field in (getattr(type_, "fields", None) or {}).items():
            if getattr(field, "deprecation_reason", None):
                assert re.search(r"Use `\w+`", field.deprecation_reason), (type_.name, name)
                assert f"`{type_.name}.{name}`" in changelog, (type_.name, name)


async def test_the_schema_is_served_in_every_mode_also_without_introspection(db, settings):
    import httpx

    from api.app import create_app
    from infra.settings import Environment

    production = settings.replace(env=Environment.PRODUCTION, jwt_secret="p" * 48, webhook_secret_key="w" * 48,
                         two_factor_encryption_key="MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
    for served in (settings, production):
        app = create_app(served, manage_db=False)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as http:
            response = await http.get("/schema.graphql")
            assert response.status_code == 200
            assert response.text == CURRENT.read_text()
            introspection = await http.post("/graphql", json={"query": "{ __schema { types { name } } }"})
            assert ("errors" in introspection.json()) is served.is_production
