"""What every view of an account shows: shared by `Account` and the operators' view."""
from __future__ import annotations

import strawberry

from domain.accounts.models import Account as AccountRow
from schema.relay import to_global_id


@strawberry.type(description="An account's id, name, time zone and currency.")
class AccountBasics:
    id: strawberry.ID = strawberry.field(description="The account's global id.")
    name: str = strawberry.field(description="The organisation's name.")
    time_zone: str = strawberry.field(description="Its IANA time zone, e.g. \"Europe/Amsterdam\": months, "
                                                  "periods and quote expiry follow it.")
    currency: str = strawberry.field(description="The ISO 4217 currency of its prices, e.g. \"EUR\".")
    require_two_factor: bool = strawberry.field(
        description="Every teammate must sign in with two factors to act in this account.")
    pk: strawberry.Private[int]
    row: strawberry.Private[AccountRow]

    @classmethod
    def from_model(cls, row: AccountRow):  # noqa: ANN206 - the calling class
        return cls(id=strawberry.ID(to_global_id("Account", row.id)), name=row.name, time_zone=row.time_zone,
                   currency=row.currency, require_two_factor=row.require_two_factor, pk=row.id, row=row)
