"""`Money`: an exact amount with its currency (API.md). Amounts are Decimals rounded to
the cent, served as strings ("2.50")."""
from __future__ import annotations

from decimal import Decimal

import strawberry

from auth.audiences import Audience
from domain.billing.pricing import round_money
from schema.rules import rules


@rules(audience=Audience.BILLING)
@strawberry.type(description="An exact amount of money: never a float.")
class Money:
    amount: Decimal = strawberry.field(description="The amount, rounded to the cent, as a decimal string (\"2.50\").")
    currency: str = strawberry.field(description="Its ISO 4217 currency, e.g. \"EUR\".")

    @classmethod
    def of(cls, amount: Decimal, currency: str) -> "Money":
        return cls(amount=round_money(Decimal(amount)), currency=currency)
