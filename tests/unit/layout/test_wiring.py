"""The hooks accounts and dossiers announce through, and the adapter that looks up webhook
hosts, are wired at the top (api/wiring.py): forgetting to wire fails loudly instead of
silently leaving shares behind."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest

from api.wiring import wire
from domain.accounts import person_hooks
from domain.dossiers import erasure_hooks
from domain.shares.invitations import SHARE, take_up_shares
from domain.shares.service import ending_with_dossier
from domain.webhooks import targets

NOW = datetime(2026, 4, 1, tzinfo=timezone.utc)


async def test_announcing_before_wiring_fails_loudly(monkeypatch):
    monkeypatch.setattr(person_hooks, "_listeners", person_hooks._Listeners())
    monkeypatch.setattr(erasure_hooks, "_listeners", [])
    monkeypatch.setattr(erasure_hooks, "_wired", False)
    with pytest.raises(RuntimeError, match="wire"):
        await person_hooks.address_proven(SimpleNamespace(id=1, email="a@example.org"), NOW)
    with pytest.raises(RuntimeError, match="wire"):
        await person_hooks.paid_status_may_have_changed(1, NOW)
    with pytest.raises(RuntimeError, match="wire"):
        erasure_hooks.listeners()


async def test_wiring_registers_the_shares_area_once_however_often_it_runs(monkeypatch):
    monkeypatch.setattr(person_hooks, "_listeners", person_hooks._Listeners())
    monkeypatch.setattr(erasure_hooks, "_listeners", [])
    wire()
    wire()
    assert person_hooks._listeners.address_proven == [take_up_shares]
    assert set(person_hooks._listeners.invitation_kinds) == {SHARE}
    assert erasure_hooks.listeners() == [ending_with_dossier]
    with pytest.raises(RuntimeError, match="kind 'unknown'"):
        await person_hooks.take_up_invitation(SimpleNamespace(kind="unknown"), SimpleNamespace(), NOW)


async def test_webhook_hosts_are_looked_up_through_what_the_top_wires(monkeypatch):
    monkeypatch.setattr(targets, "_resolver", targets._unwired)
    with pytest.raises(RuntimeError, match="wire"):
        await targets.pin("https://hooks.example.org/in", production=True)
    asked = []

    async def table(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.216.34"]

    wire(resolver=table)
    try:
        pinned = await targets.pin("https://hooks.example.org/in", production=True)
    finally:
        wire()
    assert asked == [("hooks.example.org", 443)] and pinned.url.host == "93.184.216.34"
