"""`Dossier.viewerCan` and `Account.viewerCan` (API.md "Who may", SPEC T6): each field is
one rule of auth/policy.py, asked with the same facts the operation is guarded with, so
a client never shows a button the API then refuses, nor hides one it would allow."""
from __future__ import annotations

from typing import Any

import strawberry

from auth import policy
from domain.billing.terms import AsOf, terms_as_of
from domain.dossiers.access import DossierAccess


@strawberry.type(description="What the viewer may do with this dossier now, as the API will answer it: each "
                             "field is true exactly when the matching operation would be carried out.")
class DossierCapabilities:
    read: bool = strawberry.field(description="Read its profile, entries and measurements.")
    write: bool = strawberry.field(description="Change its profile, add or revise entries, record measurements "
                                               "(false while it is archived or the subscription has ended).")
    manage: bool = strawberry.field(description="Assign teammates to it and read who read it.")
    share: bool = strawberry.field(description="Give shares of it to people outside the practice.")
    export: bool = strawberry.field(description="Export it (exportDossier).")
    archive: bool = strawberry.field(description="Archive it (archiveDossier); false when it is archived already.")
    unarchive: bool = strawberry.field(description="Bring it back (unarchiveDossier); true only while it is "
                                                   "archived.")


@strawberry.type(description="What the viewer may do in this account, as the API will answer it.")
class AccountCapabilities:
    manage_team: bool = strawberry.field(description="Invite, remove and change teammates; machine credentials.")
    manage_billing: bool = strawberry.field(description="Quotes and changes of the subscription; the ledger.")
    read_billing: bool = strawberry.field(description="Read the subscription and usage.")
    manage_webhooks: bool = strawberry.field(description="Create and change webhook endpoints.")
    export_account: bool = strawberry.field(description="Export every dossier of the account (exportAccount).")
    read_audit_log: bool = strawberry.field(description="Read the audit log.")


async def dossier_capabilities(context: Any, access: DossierAccess | None, account_id: int) -> DossierCapabilities:
    if access is None:  # not visible: the object would not have been answered at all (D4)
        return DossierCapabilities(**{name: False for name in policy.DOSSIER_CAPABILITIES})
    facts = access.facts(read_only=await _read_only(context, account_id))
    return DossierCapabilities(**policy.capabilities(context.principal, policy.DOSSIER_CAPABILITIES, facts))


async def _read_only(context: Any, account_id: int) -> bool:
    """S9: the subscription's cancellation has taken effect (what writes refuse with)."""
    terms = await context.loader(terms_as_of).load(AsOf(account_id, context.now, context.catalog))
    return bool(getattr(terms, "ended", False))


async def account_capabilities(context: Any, account_id: int) -> AccountCapabilities:
    facts = policy.Facts(account_id, read_only=await _read_only(context, account_id))
    return AccountCapabilities(**policy.capabilities(context.principal, policy.ACCOUNT_CAPABILITIES, facts))
