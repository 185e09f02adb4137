"""The npm `graphql-ws` client, unchanged, against live updates (SPEC T7): it subscribes,
receives an entry a colleague adds, and sees its stream end on revocation. Skips when
Node is missing; installs the client on first use (tests/live_js, node_modules ignored)."""
from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import pytest_asyncio

from tests.support.dossiers import add_entry, create_ok, global_id, guest, practice, share
from tests.support.live import serving

CLIENT = Path(__file__).resolve().parents[2] / "live_js"
REVOKE = "mutation($input: RevokeShareInput!) { revokeShare(input: $input) { userErrors { code } } }"


@pytest.fixture(scope="module")
def node_client() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("needs Node and npm")
    if not (CLIENT / "node_modules" / "graphql-ws").exists():
        done = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--silent"], cwd=CLIENT,
                              capture_output=True, timeout=300)
        if done.returncode != 0:
            pytest.skip(f"npm install failed: {done.stderr.decode()[-300:]}")
    return CLIENT / "subscribe.mjs"


@pytest_asyncio.fixture
async def api(db, settings, listen_url):
    from api.app import create_app
    from tests.conftest import ON_POSTGRES, Api

    client = Api(create_app(settings.replace(live_listen_url=listen_url), manage_db=False))
    yield client
    await client.aclose()


async def _line(process: asyncio.subprocess.Process) -> dict:
    async with asyncio.timeout(15):
        raw = await process.stdout.readline()
    assert raw, (await process.stderr.read()).decode()[-2000:]
    return json.loads(raw)


@pytest.mark.slow
async def test_t7_the_graphql_ws_client_receives_and_sees_the_stream_end_on_revocation(api, node_client):
    owner = await practice(api)
    dossier = await create_ok(api, owner.token, "Ada")
    guest_token, person = await guest(api)
    given = await share(dossier, person)
    async with serving(api.app) as url:
        process = await asyncio.create_subprocess_exec("node", str(node_client), url, guest_token, dossier,
                                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            assert await _line(process) == {"connected": True}
            await asyncio.sleep(0.3)  # the subscribe message follows the ack
            await add_entry(api, owner.token, dossier, "Slept well.")
            assert (await _line(process))["next"]["data"] == {"dossierUpdates": {
                "event": "entry.added", "entry": {"body": "Slept well."}}}
            await api.data(REVOKE, {"input": {"shareId": global_id("Share", given.id)}}, token=owner.token)
            ended = await _line(process)
            assert ended["next"]["errors"][0]["extensions"]["code"] == "FORBIDDEN"
            assert await _line(process) == {"complete": True}
        finally:
            if process.returncode is None:
                process.kill()
            await process.wait()
