"""Who may read an invoice, for every kind of principal (B6; T4, D4), and credit notes
racing for one invoice (B5) — on the services and the database."""
from __future__ import annotations

import asyncio
from decimal import Decimal

import pytest

from domain.core.actor import Actor, ActorKind, Role
from domain.core.errors import InvalidInput
from domain.billing.invoices.corrections import issue_credit_note
from domain.billing.invoices.models import Invoice
from domain.billing.invoices.queries import readable_invoice
from tests.support.billing import at, given_account

OPERATOR = Actor(999, "operator@casebook.example", ActorKind.OPERATOR)


async def test_b6_every_kind_of_principal_reads_only_what_it_may(db):
    account_id, owner = await given_account("2026-04-15T10:00:00+02:00")
    other_id, other_owner = await given_account("2026-04-15T10:00:00+02:00")
    invoice = await Invoice.get(account_id=account_id)
    readers = {
        "owner": owner,
        "admin": Actor(owner.user_id + 100, "admin@example.org", ActorKind.PAID, account_id, Role.ADMIN),
        "operator": OPERATOR,
        "member": Actor(owner.user_id + 101, "member@example.org", ActorKind.PAID, account_id, Role.MEMBER),
        "guest": Actor(owner.user_id + 102, "guest@example.org", ActorKind.GUEST),
        "machine": Actor(owner.user_id + 103, "partner@machines.invalid", ActorKind.PAID, account_id, Role.ADMIN,
                         machine=True),
        "other account's owner": other_owner,
        "other account's admin": Actor(other_owner.user_id + 100, "x@example.org", ActorKind.PAID, other_id,
                                       Role.ADMIN),
    }
    seen = {name: (await readable_invoice(actor, invoice.id)) is not None for name, actor in readers.items()}
    assert seen == {"owner": True, "admin": True, "operator": True, "member": False, "guest": False,
                    "machine": False, "other account's owner": False, "other account's admin": False}
    assert await readable_invoice(owner, invoice.id + 1000) is None  # missing reads like forbidden (D4)


@pytest.mark.postgres_only
async def test_b5_credit_notes_racing_for_one_invoice_never_credit_more_than_it(db):
    account_id, _ = await given_account("2026-04-15T10:00:00+02:00")
    invoice = await Invoice.get(account_id=account_id)
    now = at("2026-04-20T10:00:00+02:00")
    results = await asyncio.gather(*[issue_credit_note(OPERATOR, invoice.id, "Goodwill", "20.00", now=now)
                                     for _ in range(4)], return_exceptions=True)
    issued = [r for r in results if isinstance(r, Invoice)]
    assert len(issued) == 1 and all(isinstance(r, InvalidInput) for r in results if r not in issued)
    assert sum(note.net_total for note in await Invoice.filter(corrects_id=invoice.id)) == Decimal("-20.00")
    numbers = [row.sequence for row in await Invoice.all().order_by("sequence")]
    assert numbers == [1, 2]  # the refused ones took no number
