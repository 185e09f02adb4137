"""The contract's scalars (API.md Types) described for clients. They are strawberry's
own Date, DateTime and Decimal — the same names, parsing and serialising — given
descriptions in the product's words."""
from __future__ import annotations

import dataclasses
import datetime
import decimal

from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition, DecimalDefinition

SCALARS = {
    datetime.datetime: dataclasses.replace(
        DateTimeDefinition,
        description="A moment in ISO 8601 with its UTC offset, e.g. \"2026-05-10T09:30:00+02:00\". Inputs must "
                    "give the offset; the service answers in UTC (+00:00)."),
    datetime.date: dataclasses.replace(
        DateDefinition,
        description="A calendar date in ISO 8601, \"YYYY-MM-DD\". Days of periods, renewals and months are days "
                    "in the account's time zone."),
    decimal.Decimal: dataclasses.replace(
        DecimalDefinition,
        description="An exact decimal number written as a string, e.g. \"2.50\"; never a binary float. Money "
                    "has two decimals."),
}
