"""The TypeScript example client (examples/ts: Apollo Client, types generated from
schema.graphql by GraphQL Code Generator) runs against a real server that accepts
trusted documents only, after `casebook documents add` registered the manifest the code
generator wrote (issue 23). CI runs `make test`, so this is how the example runs in CI:
`npm install` on first use; skipped where Node.js or npm is missing."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from tests.conftest import ON_POSTGRES
from tests.support.live_server import ROOT, serving

EXAMPLE = ROOT / "examples" / "ts"
NPM = shutil.which("npm")
pytestmark = [
    pytest.mark.skipif(NPM is None or shutil.which("node") is None, reason="needs Node.js and npm"),
    pytest.mark.skipif(ON_POSTGRES, reason="runs its own SQLite server; once per CI run is enough"),
]


def npm(*arguments: str, timeout: int = 600) -> str:
    done = subprocess.run([NPM, *arguments], cwd=EXAMPLE, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"npm {' '.join(arguments)}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.mark.slow
def test_the_typescript_client_pages_both_ways_with_trusted_documents_only(tmp_path):
    npm("install", "--no-audit", "--no-fund")
    npm("run", "codegen")  # types from the schema as it is now: a contract change fails the next step
    npm("run", "typecheck")
    manifest = EXAMPLE / "src" / "gql" / "persisted-documents.json"
    settings = {"CASEBOOK_TRUSTED_DOCUMENTS": "only"}
    with serving(tmp_path, **settings) as base:
        env = {**os.environ, "CASEBOOK_ENV": "development", "JWT_SECRET": "x" * 40, "PYTHONPATH": str(ROOT),
               "DATABASE_URL": str(tmp_path / "db.sqlite3"), "MAIL_URL": f"file://{tmp_path / 'mail'}", **settings}
        added = subprocess.run([sys.executable, "-m", "api.cli", "documents", "add", str(manifest)], cwd=tmp_path,
                               env=env, capture_output=True, text=True, timeout=120)
        assert added.returncode == 0, added.stderr
        assert f"registered {len(json.loads(manifest.read_text()))} document(s)" in added.stdout
        output = npm("start", "--silent", "--", f"{base}/graphql", "ts-example@example.org", timeout=120)
    outcome = json.loads(output.strip().splitlines()[-1])
    names = ["Ada", "Bo", "Cy", "Di", "Ed"]
    assert outcome["forwards"] == names and outcome["backwards"] == names
    assert outcome["totalCount"] == 5
    assert outcome["rateLimit"].startswith('"cost";r=')
