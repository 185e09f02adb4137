"""A share racing an erasure or an archiving (D4, D6, G1): the outcome
is decided on the dossier row read under its lock, not on the row read before it. A
dossier erased meanwhile is NOT_FOUND — never DOSSIER_SHARE_LIMIT_REACHED — and one
archived meanwhile is DOSSIER_ARCHIVED; either way nothing is written."""
import asyncio

import pytest

from bench.servers import connect
from domain.accounts.models import Invitation
from domain.core.errors import DomainError, ErrorCode
from domain.dossiers.models import Dossier
from domain.shares import service
from domain.shares.models import GuestQuota, Share
from tests.support.billing import CATALOG
from tests.support.shares import NOW, account_with_owner, dossier


def _changing_after_the_read(monkeypatch, change) -> None:  # noqa: ANN001
    """What another transaction commits between the share's read of the dossier and its
    lock on the row (on SQLite, where transactions do not interleave, it is done inside
    the share's own transaction at that point)."""
    read = service.dossier_for_shares

    async def read_then_change(actor, dossier_id, **kwargs):  # noqa: ANN001, ANN202
        found = await read(actor, dossier_id, **kwargs)
        await change(found.id)
        return found

    monkeypatch.setattr(service, "dossier_for_shares", read_then_change)


async def _share(owner, row, settings):  # noqa: ANN001, ANN202
    with pytest.raises(DomainError) as refused:
        await service.share_dossier(owner, row.id, "gran@example.net", "VIEWER", now=NOW, catalog=CATALOG,
                                    settings=settings)
    return refused.value


async def _nothing_written() -> None:
    assert await Share.all().count() == 0
    assert await Invitation.filter(kind="share").count() == 0
    assert await GuestQuota.filter(held__gt=0).count() == 0


async def test_d4_a_dossier_erased_after_it_was_read_is_not_found(db, settings, monkeypatch):
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    _changing_after_the_read(monkeypatch, lambda pk: Dossier.filter(id=pk).delete())

    refused = await _share(owner, row, settings)
    assert (refused.code, refused.field) == (ErrorCode.NOT_FOUND, ("dossierId",))
    await _nothing_written()


async def test_d6_a_dossier_archived_after_it_was_read_is_not_shared(db, settings, monkeypatch):
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    _changing_after_the_read(monkeypatch, lambda pk: Dossier.filter(id=pk).update(archived_at=NOW))

    refused = await _share(owner, row, settings)
    assert refused.code is ErrorCode.DOSSIER_ARCHIVED
    await _nothing_written()
    assert (await Dossier.get(id=row.id)).share_count == 0


@pytest.mark.postgres_only
async def test_d4_a_share_waiting_on_an_erasure_answers_not_found(db, settings, database_url):
    """A real race on PostgreSQL: the erasure holds the dossier row when the share comes;
    the share reads the dossier (still there for it), waits on the row, and when the
    erasure commits it finds the row gone."""
    owner = await account_with_owner()
    row = await dossier(owner.account_id)
    erasure = await connect(database_url)
    try:
        async with erasure.transaction():
            await erasure.execute("SELECT id FROM dossier WHERE id = $1 FOR UPDATE", row.id)
            await erasure.execute("DELETE FROM dossier WHERE id = $1", row.id)
            share = asyncio.create_task(_share(owner, row, settings))
            for _ in range(500):  # until the share waits on the row lock
                if share.done() or await erasure.fetchval("SELECT count(*) FROM pg_locks WHERE NOT granted"):
                    break
                await asyncio.sleep(0.01)
            assert not share.done()
        refused = await share
    finally:
        await erasure.close()
    assert (refused.code, refused.field) == (ErrorCode.NOT_FOUND, ("dossierId",))
    await _nothing_written()
