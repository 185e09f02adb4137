"""Given-steps for exports (D8): asking for one, reading it back, downloading its file."""
from __future__ import annotations

import json

EXPORT_FIELDS = "id kind format status downloadUrl expiresAt createdAt"

EXPORT_DOSSIER = f"""mutation($input: ExportDossierInput!) {{ exportDossier(input: $input) {{
  export {{ {EXPORT_FIELDS} }} userErrors {{ code message field }} }} }}"""

EXPORT_ACCOUNT = f"""mutation($input: ExportAccountInput!) {{ exportAccount(input: $input) {{
  export {{ {EXPORT_FIELDS} }} userErrors {{ code message field }} }} }}"""

EXPORT = f"""query($id: ID!) {{ export(id: $id) {{ {EXPORT_FIELDS} }} }}"""


async def export_dossier(api, token: str, dossier_id: str, fmt: str = "JSON", *, now: str | None = None) -> dict:
    variables = {"input": {"dossierId": dossier_id, "format": fmt}}
    return (await api.data(EXPORT_DOSSIER, variables, token=token, now=now))["exportDossier"]


async def export_account(api, token: str, fmt: str = "ZIP", *, now: str | None = None) -> dict:
    return (await api.data(EXPORT_ACCOUNT, {"input": {"format": fmt}}, token=token, now=now))["exportAccount"]


async def ready(api, token: str, payload: dict) -> dict:
    """The export of an accepted request, after the worker has built it."""
    assert payload["userErrors"] == [], payload["userErrors"]
    export = (await api.data(EXPORT, {"id": payload["export"]["id"]}, token=token))["export"]
    assert export["status"] == "READY", export
    return export


async def download(api, url: str, token: str | None = None, **headers: str):
    sent = dict(headers)
    if token:
        sent["authorization"] = f"Bearer {token}"
    return await api.http.get(url, headers=sent)


async def exported_json(api, token: str, dossier_id: str, *, now: str | None = None) -> dict:
    export = await ready(api, token, await export_dossier(api, token, dossier_id, "JSON", now=now))
    response = await download(api, export["downloadUrl"], token)
    assert response.status_code == 200, response.text
    return json.loads(response.content)
