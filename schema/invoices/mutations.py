"""updateBillingProfile (owners and admins), and the operators' issueCreditNote and
markInvoicePaid (B1, B5). Thin: parse, call one domain service, map."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Annotated, Optional

import strawberry

from auth.permissions import requires
from auth.scopes import Scope
from domain.accounts import queries as account_queries
from domain.billing.invoices import corrections, profiles
from schema.accounts.identity import AccountPayload
from schema.accounts.types import Account
from schema.context import Info
from schema.errors import UserError, mutate
from schema.invoices.types import Invoice
from schema.relay import from_global_id


@strawberry.input(description="The billing details to change; fields left out stay as they are.")
class UpdateBillingProfileInput:
    legal_name: Optional[str] = strawberry.field(default=strawberry.UNSET, description="The registered name, at "
                                                                                       "most 200 characters.")
    address_lines: Optional[list[str]] = strawberry.field(default=strawberry.UNSET, description="Street and number, "
                                                                                               "and up to 2 more "
                                                                                               "lines; 100 "
                                                                                               "characters each.")
    postal_code: Optional[str] = strawberry.field(default=strawberry.UNSET, description="The postal code; null "
                                                                                        "clears it.")
    city: Optional[str] = strawberry.field(default=strawberry.UNSET, description="The city; null clears it.")
    country: Optional[str] = strawberry.field(default=strawberry.UNSET, description="An ISO 3166 two-letter code "
                                                                                    "(\"NL\", \"DE\"). The VAT "
                                                                                    "number must be one of this "
                                                                                    "country's.")
    email: Optional[str] = strawberry.field(default=strawberry.UNSET, description="Where invoices are sent.")
    vat_number: Optional[str] = strawberry.field(default=strawberry.UNSET, description="The VAT number, with or "
                                                                                       "without its country prefix; "
                                                                                       "checked for the country's "
                                                                                       "format and check digits. "
                                                                                       "Null clears it.")


@strawberry.input(description="Which invoice was paid, and when.")
class MarkInvoicePaidInput:
    invoice_id: strawberry.ID = strawberry.field(description="The invoice's global id.")
    paid_on: date = strawberry.field(description="The day the payment arrived: not before the issue date, not "
                                                 "after today.")


@strawberry.input(description="A correction of an invoice.")
class IssueCreditNoteInput:
    invoice_id: strawberry.ID = strawberry.field(description="The global id of the invoice to correct.")
    reason: str = strawberry.field(description="Why, at most 500 characters; printed on the credit note.")
    amount: Optional[Decimal] = strawberry.field(default=None, description="The net amount to credit, in whole "
                                                                           "cents; everything not credited yet "
                                                                           "when left out.")


@strawberry.type(description="An invoice after an operator's action, or why not.")
class InvoicePayload:
    invoice: Optional[Invoice] = strawberry.field(default=None, description="The credit note issued, or the "
                                                                            "invoice marked paid.")
    user_errors: list[UserError] = strawberry.field(default_factory=list, description="Empty on success.")


def _given(value: object) -> object:
    return profiles.UNSET if value is strawberry.UNSET else value


def _at_account_clock(ctx) -> bool:  # noqa: ANN001 - the request's context
    """An operator who sent no X-Casebook-Now acts at the account's own test clock (O4)."""
    return ctx.settings.honours_test_clock and not ctx.test_clock_sent


@strawberry.type
class InvoiceMutation:
    @strawberry.mutation(extensions=requires(), description=(
        "Change the account's billing details, which invoices issued from now on are addressed to; invoices "
        "already issued keep the details they were issued with. Owners and admins. Audited. userErrors: "
        "INVALID_INPUT (a field's format, a country that is no ISO 3166 code, a VAT number that is not one of the "
        "country's)."))
    async def update_billing_profile(self, info: Info, input: Annotated[UpdateBillingProfileInput, strawberry.argument(
            description="The details to change.")]) -> AccountPayload:
        ctx = info.context
        change = profiles.ProfileChange(
            legal_name=_given(input.legal_name), address_lines=_given(input.address_lines),
            postal_code=_given(input.postal_code), city=_given(input.city), country=_given(input.country),
            email=_given(input.email), vat_number=_given(input.vat_number))

        async def call():
            profile = await profiles.update_billing_profile(ctx.actor, change, now=ctx.now)
            return await account_queries.accounts_by_id([profile.account_id])

        return await mutate(info, AccountPayload, call, lambda rows: {"account": Account.from_model(rows[0])})

    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE), description=(
        "Correct an invoice with a credit note: numbered in the same sequence, referring to the invoice, with "
        "negative amounts, taxed as the invoice was. Operators (billing:operate). Audited in the account's log. "
        "userErrors: NOT_FOUND (invoiceId), INVALID_INPUT (reason, an amount above what is left to credit, an "
        "invoice credited in full)."))
    async def issue_credit_note(self, info: Info, input: Annotated[IssueCreditNoteInput, strawberry.argument(
            description="The invoice, why, and how much.")]) -> InvoicePayload:
        ctx = info.context

        async def call():
            invoice_id = from_global_id(input.invoice_id, "Invoice", field="invoiceId")
            return await corrections.issue_credit_note(ctx.actor, invoice_id, input.reason, input.amount, now=ctx.now,
                                                   at_account_clock=_at_account_clock(ctx))

        return await mutate(info, InvoicePayload, call, lambda row: {"invoice": Invoice.from_model(row)})

    @strawberry.mutation(extensions=requires(Scope.BILLING_OPERATE), description=(
        "Record that an invoice was paid (or a credit note refunded); once per invoice. The invoice itself never "
        "changes. Operators (billing:operate). Audited. userErrors: NOT_FOUND (invoiceId), INVALID_INPUT "
        "(paidOn), ALREADY_EXISTS (marked paid before)."))
    async def mark_invoice_paid(self, info: Info, input: Annotated[MarkInvoicePaidInput, strawberry.argument(
            description="The invoice and the day it was paid.")]) -> InvoicePayload:
        ctx = info.context

        async def call():
            invoice_id = from_global_id(input.invoice_id, "Invoice", field="invoiceId")
            return await corrections.mark_invoice_paid(ctx.actor, invoice_id, input.paid_on, now=ctx.now,
                                                   at_account_clock=_at_account_clock(ctx))

        return await mutate(info, InvoicePayload, call, lambda row: {"invoice": Invoice.from_model(row)})
