"""Erasing a dossier (SPEC D6) ends its shares the way revoking them would: the guests'
free-access count (G2) drops, and their pending invitations stop working."""
from datetime import datetime, timezone

import pytest

from domain.accounts.models import Invitation
from domain.billing.catalog import load_catalog
from domain.core.errors import ErrorCode, LimitReached
from domain.dossiers import service
from domain.shares.models import GuestQuota, Share
from domain.shares.service import share_dossier
from tests.support.dossiers import owner_actor

CATALOG = load_catalog()
NOW = datetime(2026, 4, 10, 8, 0, tzinfo=timezone.utc)


async def test_d6_erasing_a_shared_dossier_frees_the_guest_slot(db, settings):
    owner = await owner_actor()
    dossiers = [await service.create_dossier(owner, client_name=f"C{i}", now=NOW, catalog=CATALOG) for i in range(4)]
    for dossier in dossiers[:3]:
        await share_dossier(owner, dossier.id, "family@example.org", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    with pytest.raises(LimitReached) as refused:
        await share_dossier(owner, dossiers[3].id, "family@example.org", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert refused.value.code is ErrorCode.GUEST_DOSSIER_LIMIT_REACHED

    await service.delete_dossier(owner, dossiers[0].id, now=NOW)

    assert (await GuestQuota.get(email="family@example.org")).held == 2
    assert await Share.filter(dossier_id=dossiers[0].id).count() == 0
    assert await Invitation.filter(kind="share", revoked_at__isnull=True).count() == 2
    await share_dossier(owner, dossiers[3].id, "family@example.org", "VIEWER", now=NOW, catalog=CATALOG, settings=settings)
    assert (await GuestQuota.get(email="family@example.org")).held == 3
