"""Migration 0010's data step folds the name and reference of the dossiers that existed
before it, exactly as the domain does for new ones (D7)."""
import importlib
from datetime import datetime, timezone

from infra.db import transaction
from domain.dossiers.finding import search_text
from domain.dossiers.models import Dossier
from tests.support.dossiers import owner_actor

NOW = datetime(2026, 4, 1, tzinfo=timezone.utc)


async def test_the_backfill_folds_every_existing_dossier_in_chunks(db):
    actor = await owner_actor()
    names = [(f"Zoë Brontë {n}", f"RÉF-{n}" if n % 2 else None) for n in range(1005)]
    await Dossier.bulk_create([Dossier(account_id=actor.account_id, client_name=name, reference=ref, search_text="",
                                       share_count=0, created_at=NOW, updated_at=NOW) for name, ref in names])
    step = importlib.import_module("migrations.0010_finding_and_exports")

    async with transaction() as conn:
        await step.run(conn)

    rows = await Dossier.all().order_by("id").values_list("client_name", "reference", "search_text")
    assert [row[2] for row in rows] == [search_text(name, ref) for name, ref in names]
    assert rows[1][2] == "zoe bronte 1\nref-1"
