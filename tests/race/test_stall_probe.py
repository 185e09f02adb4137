"""The stall probe (SPEC O3) against the real server with 2 workers on
PostgreSQL: fragment fan-outs of 7, 8 and 12 levels over POST and GET without a token,
alone and in bursts, while /healthz is polled. `python -m bench.probe` holds them to
50 ms; here the bound is looser, for a CI machine running other work."""
from __future__ import annotations

import asyncio

import pytest

from bench.probe import run

# Alone (Makefile): holds answers to a time bound.
pytestmark = [pytest.mark.postgres_only, pytest.mark.serial]


def test_fan_outs_are_refused_at_once_while_healthz_keeps_answering():
    report = asyncio.run(run(workers=2, rounds=2))
    assert all(report.refused.values()), report.lines()
    assert report.worst() < 0.5, report.lines()
    assert report.healthz and report.healthz_failures == 0, report.lines()
    assert max(report.healthz) < 0.5, report.lines()
