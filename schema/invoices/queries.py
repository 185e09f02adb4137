"""The Invoice node: `node(id:)` answers owners and admins of its account and operators,
and null to everyone else, like a missing invoice (D4)."""
from __future__ import annotations

from typing import Optional

from domain.billing.invoices.queries import readable_invoice
from schema.context import Info
from schema.invoices.types import Invoice
from schema.nodes import register_node


async def _invoice_node(info: Info, pk: int) -> Optional[Invoice]:
    row = await readable_invoice(info.context.principal, pk)
    return Invoice.from_model(row) if row is not None else None


register_node("Invoice", _invoice_node)
