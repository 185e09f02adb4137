"""One ceiling per recipient address across every kind of mail (issue 28): the floods
the probe reproduced — shareDossier/revokeShare in a loop, requestEmailChange from
several free accounts — reach one mailbox at most `PER_HOUR` times an hour, held exactly
under concurrency; a login's own security notices still reach it."""
from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from infra.clock import utc_now
from infra.db import transaction
from domain.outbox import ceiling
from domain.outbox.mail import queue_mail
from domain.outbox.models import OutboxMessage
from tests.api.shares.test_shares import REVOKE, owner_with_dossier, share
from tests.support.flows import PASSWORD, sign_up
from tests.support.identity import CHANGE_PASSWORD, REQUEST_EMAIL_CHANGE, mails_to


def _next_hour(minute: int, second: int = 0, hours: int = 1) -> datetime:
    """A moment `hours` after this hour began: its window ends after the test does, so
    the rate limiter's pruning of ended windows (auth/rate_limit.py) never takes it."""
    return (utc_now() + timedelta(hours=hours)).replace(minute=minute, second=second, microsecond=0)


@pytest.fixture(autouse=True)
def security_time_inside_one_hour(monkeypatch):
    """The ceiling counts in fixed hours of real time. A test that ran across the turn of
    an hour (CI's PostgreSQL pass did, at 19:00) counted in two windows and let twelve
    mails through; here every count falls in one hour."""
    moment = _next_hour(30)
    monkeypatch.setattr(ceiling, "utc_now", lambda: moment)


async def test_sharing_and_revoking_in_a_loop_mails_one_address_at_most_the_ceiling(api, settings):
    practice = await owner_with_dossier(api, "looping.practice@example.org")
    for _ in range(ceiling.PER_HOUR + 5):
        given = await share(api, practice, "flooded@example.net")
        assert given["userErrors"] == []  # the share itself is not refused
        revoked = await api.data(REVOKE, {"input": {"shareId": given["share"]["id"]}}, token=practice["token"])
        assert revoked["revokeShare"]["userErrors"] == []
    assert len(mails_to(settings, "flooded@example.net")) == ceiling.PER_HOUR


async def test_every_kind_of_mail_counts_toward_one_ceiling(api, settings):
    """Email-change confirmations from three free accounts and share invitations from a
    practice, all to one mailbox: together at most the ceiling."""
    requesters = [await sign_up(api, f"free{n}@example.org") for n in range(3)]
    practice = await owner_with_dossier(api, "mixed.practice@example.org")
    for _ in range(3):
        for requester in requesters:
            asked = await api.data(REQUEST_EMAIL_CHANGE, {"e": "target@example.net", "p": PASSWORD},
                                   token=requester["accessToken"])
            assert asked["requestEmailChange"]["userErrors"] == []
        given = await share(api, practice, "target@example.net")
        await api.data(REVOKE, {"input": {"shareId": given["share"]["id"]}}, token=practice["token"])
    kinds = {m["Subject"] for m in mails_to(settings, "target@example.net")}
    assert len(mails_to(settings, "target@example.net")) == ceiling.PER_HOUR
    assert kinds == {"Confirm your new email address for Casebook", "A dossier was shared with you on Casebook"}


async def test_a_login_s_own_security_notices_are_never_held_back(api, settings):
    me = await sign_up(api, "watched@example.org")
    practice = await owner_with_dossier(api, "noisy.practice@example.org")
    for _ in range(ceiling.PER_HOUR + 2):  # someone fills the ceiling first
        given = await share(api, practice, "watched@example.org")
        await api.data(REVOKE, {"input": {"shareId": given["share"]["id"]}}, token=practice["token"])
    changed = await api.data(CHANGE_PASSWORD, {"c": PASSWORD, "n": "another pass 4242"}, token=me["accessToken"])
    assert changed["changePassword"]["userErrors"] == []
    assert any(m["Subject"] == "Your Casebook password was changed" for m in mails_to(settings, "watched@example.org"))


async def test_the_ceiling_holds_exactly_under_concurrent_writers(db):
    """Each mail counts in its own transaction, all at once (truly parallel on
    PostgreSQL's pool): exactly the ceiling is queued."""
    async def one() -> bool:
        async with transaction():
            return await queue_mail("raced@example.net", "Hello", "Body") is not None

    queued = await asyncio.gather(*(one() for _ in range(ceiling.PER_HOUR + 8)))
    assert sum(queued) == ceiling.PER_HOUR
    assert await OutboxMessage.filter(kind="mail").count() == ceiling.PER_HOUR


async def test_a_rolled_back_write_counts_nothing(db):
    class Undo(Exception):
        pass

    for _ in range(ceiling.PER_HOUR):
        try:
            async with transaction():
                await queue_mail("undone@example.net", "Hello", "Body")
                raise Undo()
        except Undo:
            pass
    async with transaction():
        assert await queue_mail("undone@example.net", "Hello", "Body") is not None


async def test_the_turn_of_the_hour_starts_a_fresh_count(db, monkeypatch):
    """Windows are fixed hours: a full ceiling at hh:59:59 leaves room again at the next
    hour's 00:00."""
    moment = _next_hour(59, 59)
    monkeypatch.setattr(ceiling, "utc_now", lambda: moment)
    for _ in range(ceiling.PER_HOUR):
        async with transaction():
            assert await queue_mail("hourly@example.net", "Hello", "Body") is not None
    async with transaction():
        assert await queue_mail("hourly@example.net", "Hello", "Body") is None
    moment = _next_hour(0, hours=2)
    async with transaction():
        assert await queue_mail("hourly@example.net", "Hello", "Body") is not None
