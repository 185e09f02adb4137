"""Billing enums of the contract, shared by sign-up and subscription changes."""
from __future__ import annotations

from enum import Enum

import strawberry


@strawberry.enum
class Term(Enum):
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    HALF_YEARLY = "HALF_YEARLY"
    YEARLY = "YEARLY"


@strawberry.enum
class ActiveClientTier(Enum):
    UP_TO_10 = "UP_TO_10"
    UP_TO_25 = "UP_TO_25"
    UP_TO_75 = "UP_TO_75"
    UNLIMITED = "UNLIMITED"
