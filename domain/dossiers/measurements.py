"""Measurements: a metric, an exact decimal value, a unit, when it was measured, and who
recorded it (D1). Recording one is a content write (A1)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

from domain.billing.catalog import Catalog
from domain.billing.terms import quotes_lift
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import InvalidInput
from domain.core.validation import clean_text
from domain.dossiers.access import writable_dossier
from domain import events
from domain.dossiers.activity import activate, writing_account
from domain.dossiers.models import Measurement

MAX_METRIC = 100
MAX_UNIT = 32
MAX_DECIMALS = 6
# Matches the column (18 digits, 6 of them decimals): nothing a scale or lab reports
# comes near it, so a bigger number is a typo or an attack.
VALUE_DIGITS = 12  # below 10^12
# Devices in other time zones and slightly fast clocks: up to a day ahead is accepted.
FUTURE_TOLERANCE = timedelta(days=1)
EARLIEST_MEASUREMENT = datetime(1900, 1, 1, tzinfo=timezone.utc)


def check_value(raw: Decimal | str | int) -> Decimal:
    """A finite decimal below 10^12 in size with at most 6 decimals; never a float."""
    if isinstance(raw, float) or isinstance(raw, bool):
        raise InvalidInput("The value must be a decimal number such as \"72.5\".", field=("value",))
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw).strip())
    except InvalidOperation:
        raise InvalidInput("The value must be a decimal number such as \"72.5\".", field=("value",)) from None
    if not value.is_finite():
        raise InvalidInput("The value must be a finite number.", field=("value",))
    # Sized by its digits, without arithmetic: abs() of "1e999999999" overflows the decimal
    # context, and normalising "1E-999999999" rounds it to a silent 0.
    _, digits, exponent = value.as_tuple()
    significant = "".join(map(str, digits)).rstrip("0")
    if significant:
        if exponent + len(digits) - 1 >= VALUE_DIGITS:
            raise InvalidInput("The value is too large.", field=("value",))
        if exponent + len(digits) - len(significant) < -MAX_DECIMALS:
            raise InvalidInput(f"Use at most {MAX_DECIMALS} decimals.", field=("value",))
    value = value.normalize()
    # normalize() writes 100 as 1E+2; bring it back to plain digits (and -0 to 0).
    return Decimal(format(value, "f")) + 0


def check_measured_at(measured_at: datetime, now: datetime) -> datetime:
    if measured_at.tzinfo is None or measured_at.utcoffset() is None:
        raise InvalidInput("Give the time measured with its UTC offset.", field=("measuredAt",))
    if measured_at > now + FUTURE_TOLERANCE:
        raise InvalidInput("The time measured is in the future.", field=("measuredAt",))
    if measured_at < EARLIEST_MEASUREMENT:
        raise InvalidInput("The time measured is too long ago.", field=("measuredAt",))
    return measured_at.astimezone(timezone.utc)


@quotes_lift
async def record_measurement(actor: Actor, dossier_id: int, *, metric: str, value: Decimal | str,
                             unit: str, measured_at: datetime, now: datetime,
                             catalog: Catalog) -> Measurement:
    checked_metric = clean_text(metric, field="metric", max_length=MAX_METRIC)
    checked_value = check_value(value)
    checked_unit = clean_text(unit, field="unit", max_length=MAX_UNIT)
    when = check_measured_at(measured_at, now)
    async with transaction() as conn:
        dossier = await writable_dossier(actor, dossier_id)
        writing = await writing_account(dossier.account_id, now=now, catalog=catalog)
        measurement = await Measurement.create(
            account_id=dossier.account_id, dossier_id=dossier.id, metric=checked_metric,
            value=checked_value, unit=checked_unit, measured_at=when,
            author_user_id=actor.user_id, author_email=actor.email, created_at=now)
        await activate(conn, writing, dossier.id, now=now, catalog=catalog)
        await events.announce(events.MEASUREMENT_RECORDED, account_id=dossier.account_id, now=now,
                              dossierId=("Dossier", dossier.id), measurementId=("Measurement", measurement.id))
        return measurement
