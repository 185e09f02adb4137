"""Invoice, its lines and VAT amounts, and billing profiles (API.md "Invoices"). An
invoice shows what was issued, never what the profile says today (B1, B5)."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any, Optional

import strawberry

from auth import policy

from auth.audiences import Audience
from domain.billing.invoices import queries
from domain.billing.invoices.models import Invoice as InvoiceRow
from domain.billing.invoices.models import InvoiceLine as InvoiceLineRow
from domain.billing.invoices.profiles import missing
from schema.billing.money import Money
from schema.context import Info
from schema.nodes import Node
from domain.core.paging import Slice
from schema.relay import Connection, encode_cursor, to_global_id
from schema.rules import rules

PDF_PATH = "/invoices/{id}.pdf"


@strawberry.enum(description="Whether a document bills or corrects an invoice.")
class InvoiceKind(Enum):
    INVOICE = strawberry.enum_value("INVOICE", description="An invoice of one charge.")
    CREDIT_NOTE = strawberry.enum_value("CREDIT_NOTE", description="A correction of an invoice, with negative "
                                                                   "amounts; `corrects` names the invoice.")


@strawberry.enum(description="Whether an invoice was paid, as an operator recorded it.")
class InvoiceStatus(Enum):
    OPEN = strawberry.enum_value("OPEN", description="Not recorded as paid (or, for a credit note, refunded).")
    PAID = strawberry.enum_value("PAID", description="An operator recorded the payment.")


@rules(audience=Audience.BILLING)
@strawberry.type(description="A party of an invoice: the account's billing details, or the seller's. On an "
                             "invoice, as they were the day it was issued.")
class BillingProfile:
    legal_name: str = strawberry.field(description="The registered name of the organisation.")
    address_lines: list[str] = strawberry.field(description="Street and number, and any further lines; up to 3.")
    postal_code: Optional[str] = strawberry.field(description="The postal code; null when not given.")
    city: Optional[str] = strawberry.field(description="The city; null when not given.")
    country: str = strawberry.field(description="The country, as an ISO 3166 two-letter code (\"NL\").")
    email: str = strawberry.field(description="Where invoices are sent.")
    vat_number: Optional[str] = strawberry.field(description="The VAT number with its country prefix "
                                                             "(\"DE123456788\"), checked for the country's format "
                                                             "and check digits; null when the party has none.")
    registration: Optional[str] = strawberry.field(default=None, description="The seller's trade register entry "
                                                                             "(\"KvK 12345678\"); null for buyers.")
    missing: list[str] = strawberry.field(default_factory=list, description="The fields an invoice should carry "
                                                                            "that are still empty (\"addressLines\", "
                                                                            "\"postalCode\", \"city\"); empty when "
                                                                            "complete.")
    account_id: strawberry.Private[Optional[int]] = None

    @classmethod
    def of(cls, party: dict[str, Any], account_id: Optional[int]) -> "BillingProfile":
        return cls(legal_name=party["legal_name"], address_lines=list(party.get("address_lines") or []),
                   postal_code=party.get("postal_code"), city=party.get("city"), country=party["country"],
                   email=party["email"], vat_number=party.get("vat_number"), registration=party.get("registration"),
                   missing=missing(party), account_id=account_id)

    @classmethod
    def from_model(cls, row: Any) -> "BillingProfile":
        from domain.billing.invoices.profiles import party

        return cls.of(party(row), row.account_id)


@rules(audience=Audience.BILLING)
@strawberry.type(description="One line of an invoice: a charge of the account's ledger, or a correction.")
class InvoiceLine:
    row: strawberry.Private[InvoiceLineRow]
    currency: strawberry.Private[str]
    account_id: strawberry.Private[int]

    @strawberry.field(description="What was supplied, e.g. \"Pro, 1 seat, up to 10 active clients, monthly: "
                                  "2026-04-15 to 2026-05-15\".")
    def description(self) -> str:
        return self.row.description

    @strawberry.field(description="The first day of the service this line bills.")
    def period_start(self) -> Optional[date]:
        return self.row.period_start

    @strawberry.field(description="The day after the last day of the service (exclusive, like renewsOn).")
    def period_end(self) -> Optional[date]:
        return self.row.period_end

    @strawberry.field(description="How many: the seats added, for a seat increase; 1 otherwise.")
    def quantity(self) -> Decimal:
        return Decimal(self.row.quantity)

    @strawberry.field(description="The net amount of the line, without VAT; negative on a credit note.")
    def net(self) -> Money:
        return Money.of(self.row.net, self.currency)

    @strawberry.field(description="The VAT rate applied, in percent (\"21\"); \"0\" under reverse charge and "
                                  "outside the EU.")
    def vat_rate(self) -> Decimal:
        return Decimal(self.row.vat_rate).normalize()


@rules(audience=Audience.BILLING)
@strawberry.type(description="The VAT of one rate: computed once on that rate's net total, half up.")
class VatAmount:
    rate: Decimal = strawberry.field(description="The rate in percent (\"19\").")
    net: Money = strawberry.field(description="The net total taxed at this rate.")
    vat: Money = strawberry.field(description="The VAT at this rate.")


@rules(audience=Audience.BILLING)
@strawberry.type(description="An invoice or credit note as issued: numbered without gaps per calendar year, never "
                             "changed afterwards. Owners and admins of the account, and operators.")
class Invoice(Node):
    row: strawberry.Private[InvoiceRow]
    account_id: strawberry.Private[int]

    @strawberry.field(description="The invoice's global id.")
    def id(self) -> strawberry.ID:
        return strawberry.ID(to_global_id("Invoice", self.row.id))

    @strawberry.field(description="The invoice number, e.g. \"CB-2026-000001\": consecutive per calendar year, "
                                  "shared by invoices and credit notes.")
    def number(self) -> str:
        return self.row.number

    @strawberry.field(description="Invoice or credit note.")
    def kind(self) -> InvoiceKind:
        return InvoiceKind(self.row.kind)

    @strawberry.field(description="The issue date, in the seller's calendar.")
    def issued_on(self) -> date:
        return self.row.issued_on

    @strawberry.field(description="The seller, as on the invoice.")
    def seller(self) -> BillingProfile:
        return BillingProfile.of(self.row.seller, self.account_id)

    @strawberry.field(description="The buyer: the account's billing profile as it was when the invoice was issued.")
    def buyer(self) -> BillingProfile:
        return BillingProfile.of(self.row.buyer, self.account_id)

    @strawberry.field(description="The lines, in order.")
    async def lines(self, info: Info) -> list[InvoiceLine]:
        rows = await info.context.loader(queries.lines_by_invoice).load(self.row.id)
        return [InvoiceLine(row=row, currency=self.row.currency, account_id=self.account_id) for row in rows]

    @strawberry.field(description="Net and VAT per rate.")
    def vat_breakdown(self) -> list[VatAmount]:
        return [VatAmount(rate=Decimal(amount["rate"]).normalize(), net=Money.of(Decimal(amount["net"]), self.row.currency),
                          vat=Money.of(Decimal(amount["vat"]), self.row.currency))
                for amount in self.row.vat_breakdown]

    @strawberry.field(description="The total without VAT.")
    def net_total(self) -> Money:
        return Money.of(self.row.net_total, self.row.currency)

    @strawberry.field(description="The VAT, the sum of the breakdown.")
    def vat_total(self) -> Money:
        return Money.of(self.row.vat_total, self.row.currency)

    @strawberry.field(description="What is due: netTotal + vatTotal, exactly.")
    def gross_total(self) -> Money:
        return Money.of(self.row.gross_total, self.row.currency)

    @strawberry.field(description="Whether the VAT is reverse-charged: an EU business in another member state "
                                  "with a VAT number accounts for it; the invoice says so.")
    def reverse_charge(self) -> bool:
        return self.row.reverse_charge

    @strawberry.field(description="For a credit note, the invoice it corrects; null for an invoice.")
    async def corrects(self, info: Info) -> Optional["Invoice"]:
        if self.row.corrects_id is None:
            return None
        row = await info.context.loader(queries.invoices_by_id).load(self.row.corrects_id)
        return Invoice.from_model(row) if row else None

    @strawberry.field(description="OPEN until an operator records the payment.")
    async def status(self, info: Info) -> InvoiceStatus:
        paid = await info.context.loader(queries.payments_by_invoice).load(self.row.id)
        return InvoiceStatus.PAID if paid else InvoiceStatus.OPEN

    @strawberry.field(description="Where to download the invoice as PDF, in the account's language: a path under "
                                  "this service that answers the bearer tokens that may read the invoice.")
    def pdf_url(self) -> str:
        return PDF_PATH.format(id=to_global_id("Invoice", self.row.id))

    @classmethod
    def from_model(cls, row: InvoiceRow) -> "Invoice":
        return cls(row=row, account_id=row.account_id)


async def invoices_of(info: Info, account_id: int, wanted: Slice) -> Connection[Invoice]:
    """Owners and admins acting in the account, and operators; never machine credentials."""
    policy.ensure(info.context.principal, "invoice", "read", policy.Facts(account_id))
    rows, more = await queries.invoices_page(account_id, wanted)
    return Connection.of([Invoice.from_model(row) for row in rows], [encode_cursor(row.id) for row in rows],
                         wanted, more, lambda: queries.invoice_count(account_id))


async def profile_of(info: Info, account_id: int) -> BillingProfile:
    policy.ensure(info.context.principal, "billing profile", "read", policy.Facts(account_id))
    row = await info.context.loader(queries.profiles_by_account).load(account_id)
    if row is None:  # an account from before invoices: its defaults, written at its first invoice
        from domain.billing.invoices.profiles import default_profile

        row = await default_profile(account_id, now=info.context.now)
    return BillingProfile.from_model(row)

