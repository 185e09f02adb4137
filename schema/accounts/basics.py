"""What every view of an account shows: shared by `Account` and the operators' view."""
from __future__ import annotations

from enum import Enum

import strawberry

from domain.accounts.models import Account as AccountRow
from schema.relay import to_global_id


@strawberry.enum(description="A language Casebook writes in: mail, exports and invoices of an account are in its "
                             "language, with dates, amounts and numbers written as that language writes them.")
class Locale(Enum):
    NL = strawberry.enum_value("NL", description="Dutch (€ 1.234,56; 15 mei 2026).")
    DE = strawberry.enum_value("DE", description="German (1.234,56 €; 15. Mai 2026).")
    EN = strawberry.enum_value("EN", description="English (€1,234.56; May 15, 2026).")


@strawberry.type(description="An account's id, name, time zone, currency and language.")
class AccountBasics:
    id: strawberry.ID = strawberry.field(description="The account's global id.")
    name: str = strawberry.field(description="The organisation's name.")
    time_zone: str = strawberry.field(description="Its IANA time zone, e.g. \"Europe/Amsterdam\": months, "
                                                  "periods and quote expiry follow it.")
    currency: str = strawberry.field(description="The ISO 4217 currency of its prices, e.g. \"EUR\".")
    locale: Locale = strawberry.field(
        description="The language of everything its people and the people it invites read outside the API: mail, "
                    "exports and invoices. API error messages stay English.")
    require_two_factor: bool = strawberry.field(
        description="Every teammate must sign in with two factors to act in this account.")
    pk: strawberry.Private[int]
    row: strawberry.Private[AccountRow]

    @classmethod
    def from_model(cls, row: AccountRow):  # noqa: ANN206 - the calling class
        return cls(id=strawberry.ID(to_global_id("Account", row.id)), name=row.name, time_zone=row.time_zone,
                   currency=row.currency, locale=Locale(row.locale), require_two_factor=row.require_two_factor,
                   pk=row.id, row=row)
