"""Billing enums of the contract, shared by sign-up and subscription changes."""
from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum(description="How long a subscription's period lasts; longer terms get a larger discount. "
                             "A change of term takes effect at the renewal.")
class Term(Enum):
    MONTHLY = strawberry.enum_value("MONTHLY", description="1 month.")
    QUARTERLY = strawberry.enum_value("QUARTERLY", description="3 months.")
    HALF_YEARLY = strawberry.enum_value("HALF_YEARLY", description="6 months.")
    YEARLY = strawberry.enum_value("YEARLY", description="12 months.")


@strawberry.enum(description="How many different clients an account may work on in a calendar month. Tiers "
                             "rank by their cap, not by their price.")
class ActiveClientTier(Enum):
    UP_TO_10 = strawberry.enum_value("UP_TO_10", description="At most 10 active clients a month.")
    UP_TO_25 = strawberry.enum_value("UP_TO_25", description="At most 25 active clients a month.")
    UP_TO_75 = strawberry.enum_value("UP_TO_75", description="At most 75 active clients a month.")
    UNLIMITED = strawberry.enum_value("UNLIMITED", description="No cap.")
