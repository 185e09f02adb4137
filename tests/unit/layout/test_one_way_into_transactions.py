"""Transactions begin through `infra.db.transaction` alone: it gives a request's read
connection back before taking its own (infra/db.py `request_reads`), so no request holds
one connection while it waits for another. tortoise's own ways in — `in_transaction`,
`atomic`, and `get_or_create` / `update_or_create`, which open one inside — would hold
it and wait: with every pool connection held so, requests would wait for ever."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
PACKAGES = ("api", "auth", "domain", "schema", "infra", "adapters")
TORTOISE_WAYS_IN = re.compile(
    r"\bin_transaction\b|\batomic\(|@atomic\b|\.get_or_create\(|\.update_or_create\(|tortoise\.transactions")


def test_transactions_begin_only_through_infra_db():
    found = []
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            if path == ROOT / "infra" / "db.py":
                continue
            for number, line in enumerate(path.read_text().splitlines(), 1):
                if TORTOISE_WAYS_IN.search(line.split("#")[0]):
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, "use infra.db.transaction():\n" + "\n".join(found)
