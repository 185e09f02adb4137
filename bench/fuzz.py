"""Bounded GraphQL fuzzing with schemathesis against the real server, so what a hostile client can send is tried, not imagined.

`python -m bench.fuzz [--examples 8] [--workers 2] [--variables]`: a fresh PostgreSQL database,
`casebook migrate`, `casebook serve` in production mode (introspection off, so the
schema comes from `python -m schema.export`: exactly what the server serves), one
signed-up owner whose token every fuzzed
request carries, then `schemathesis run schema.graphql --url …/graphql`. With
`--variables`, every argument goes as a variable instead of inline, and one request in
three carries a value of the wrong type (bench/fuzz_hooks.py).

Passes when schemathesis finds no 5xx and no masked internal error (the check
`casebook_no_server_error` in bench/fuzz_hooks.py: the API masks internal errors into a
200 response with code INTERNAL_SERVER_ERROR, so a crash would not show as a 5xx) AND
the server logged no error.
schemathesis comes from SCHEMATHESIS (a path), else PATH, else this Python's bin/."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import httpx

from bench.servers import ROOT, api_command, create_database, drop_database, free_port, migrate, running, server_env

SIGN_UP = """mutation($input: SignUpInput!) { signUp(input: $input) { accessToken userErrors { code } } }"""
CREATE = """mutation($name: String!) { createDossier(input: {clientName: $name}) { dossier { id } } }"""


def find_schemathesis() -> str | None:
    candidates = [os.environ.get("SCHEMATHESIS"), shutil.which("schemathesis"),
                  str(Path(sys.executable).parent / "schemathesis")]
    return next((c for c in candidates if c and Path(c).is_file()), None)


def unexpected_errors(log_path: Path) -> list[dict]:
    """Errors the server logged (JSON lines at level ERROR or worse)."""
    found = []
    for line in log_path.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            if "Traceback" in line:
                found.append({"msg": line})
            continue
        if record.get("level") in ("ERROR", "CRITICAL"):
            found.append(record)
    return found


async def _owner_token(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        body = (await client.post("/graphql", json={"query": SIGN_UP, "variables": {"input": {
            "email": f"fuzz-{uuid.uuid4().hex[:8]}@example.org", "password": "fuzz password 2026",
            "name": "Fuzz Owner", "accountName": "Fuzz Practice"}}})).json()
        token = body["data"]["signUp"]["accessToken"]
        for n in range(3):  # something for the fuzzer's ids to miss or hit
            await client.post("/graphql", json={"query": CREATE, "variables": {"name": f"Fuzz {n}"}},
                              headers={"authorization": f"Bearer {token}"})
        return token


async def fuzz(*, examples: int, workers: int, seed: int, schemathesis: str,
               variables: bool = False) -> tuple[int, list[dict], str]:
    """(schemathesis exit code, unexpected server errors, schemathesis output)."""
    database = await create_database("casebook_fuzz")
    log_path = Path(tempfile.gettempdir()) / f"casebook-fuzz-{uuid.uuid4().hex[:6]}.log"
    try:
        env = server_env(database, LOG_LEVEL="INFO")
        migrate(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, workers), env, base, log_path=str(log_path)):
            token = await _owner_token(base)
            schema_file = log_path.with_suffix(".graphql")
            schema_file.write_text(subprocess.run([sys.executable, "-m", "schema.export"], env=env, cwd=ROOT,
                                                  check=True, capture_output=True, text=True).stdout)
            command = [schemathesis, "run", str(schema_file), "--url", f"{base}/graphql",
                       "--checks", "casebook_no_server_error", "--max-examples", str(examples), "--seed", str(seed),
                       "--header", f"Authorization: Bearer {token}", "--no-color", "--workers", "2",
                       "--request-timeout", "30", "--suppress-health-check", "all"]
            hooks_env = {**os.environ, "SCHEMATHESIS_HOOKS": "bench.fuzz_hooks",
                         "CASEBOOK_FUZZ_VARIABLES": "1" if variables else "0",
                         "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
            completed = await asyncio.to_thread(subprocess.run, command, capture_output=True, text=True,
                                                cwd=ROOT, env=hooks_env)
        errors = unexpected_errors(log_path)
        return completed.returncode, errors, completed.stdout + completed.stderr
    finally:
        await drop_database(database)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=8, help="per operation (about 50 operations)")
    parser.add_argument("--workers", type=int, default=2, help="server workers")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--variables", action="store_true",
                        help="send arguments as variables, one in three requests with a wrong value")
    args = parser.parse_args(argv)
    schemathesis = find_schemathesis()
    if schemathesis is None:
        print("schemathesis is not installed (pip install schemathesis, or set SCHEMATHESIS=path)", file=sys.stderr)
        return 2
    code, errors, output = asyncio.run(fuzz(examples=args.examples, workers=args.workers, seed=args.seed,
                                            schemathesis=schemathesis, variables=args.variables))
    print(output[-6000:])
    for error in errors[:20]:
        print("server error:", json.dumps(error)[:2000])
    print(f"schemathesis exit code {code}; unexpected server errors: {len(errors)}")
    return 0 if code == 0 and not errors else 1


if __name__ == "__main__":
    sys.exit(main())
