"""Billing profiles (B1): who an account's invoices are addressed to. Sign-up starts one
from what it knows — the account's name, the owner's address, the country given or the
time zone's — and `missing` says what the owners still have to add."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from domain.accounts.models import Account, Membership, User
from domain.audit.service import AuditAction, record
from domain.core.actor import Actor
from infra.db import transaction
from domain.core.errors import InvalidInput
from domain.core.validation import MAX_NAME, clean_name, normalize_email
from auth import policy
from domain.accounts import locale
from domain.billing.invoices.countries import BadVatNumber, check_vat_number, country_of_time_zone
from domain.billing.invoices.models import BillingProfile

MAX_ADDRESS_LINES = 3
MAX_ADDRESS_LINE = 100
MAX_POSTAL_CODE = 20
MAX_CITY = 100
# Where nothing tells the country (a time zone such as UTC): the seller's home market.
FALLBACK_COUNTRY = "NL"
UNSET = object()


@dataclass(frozen=True)
class ProfileChange:
    """What updateBillingProfile was given; UNSET leaves a field as it is."""
    legal_name: object = UNSET
    address_lines: object = UNSET
    postal_code: object = UNSET
    city: object = UNSET
    country: object = UNSET
    email: object = UNSET
    vat_number: object = UNSET


def missing(party: dict) -> list[str]:
    """The fields an invoice should carry that a party (`party(profile)`, or a party as
    an invoice stored it) lacks, in the API's names."""
    return [name for name, key in (("addressLines", "address_lines"), ("postalCode", "postal_code"),
                                   ("city", "city")) if not party.get(key)]


def check_country(raw: str | None, *, field: str = "country") -> str:
    """A profile always has a country: the one list of codes (domain.accounts.locale)."""
    return locale.check_country(raw or "", field=field)


def _started(account: Account, owner_email: str, country: str | None, now: datetime) -> BillingProfile:
    return BillingProfile(
        account_id=account.id, legal_name=account.name, address_lines=[], postal_code=None, city=None,
        country=country or country_of_time_zone(account.time_zone) or FALLBACK_COUNTRY,
        email=owner_email, vat_number=None, updated_at=now)


async def start_profile(account: Account, owner_email: str, *, country: str | None, now: datetime) -> BillingProfile:
    """The profile sign-up can fill in; the address waits for the owners (see `missing`)."""
    profile = _started(account, owner_email, country, now)
    await profile.save()
    return profile


async def default_profile(account_id: int, *, now: datetime) -> BillingProfile:
    """What sign-up would have started for an account from before invoices (not saved)."""
    account = await Account.get(id=account_id)
    owner = await Membership.filter(account_id=account_id, role="OWNER").order_by("id").first()
    email = (await User.get(id=owner.user_id)).email if owner else ""
    return _started(account, email, None, now)


async def profile_of(account_id: int, *, now: datetime, for_update: bool = False) -> BillingProfile:
    """The account's profile; an account from before invoices gets the sign-up defaults
    at its first need (inside the caller's transaction). `for_update` locks the row, so
    two changes at once apply one after the other instead of one undoing the other."""
    query = BillingProfile.filter(account_id=account_id)
    profile = await (query.select_for_update() if for_update else query).first()
    if profile is None:
        profile = await default_profile(account_id, now=now)
        await profile.save()
    return profile


def _lines(raw: object) -> list[str]:
    if not isinstance(raw, (list, tuple)) or len(raw) > MAX_ADDRESS_LINES:
        raise InvalidInput(f"Give at most {MAX_ADDRESS_LINES} address lines (an empty list clears the address).",
                           field=("addressLines",))
    return [clean_name(line, field="addressLines", max_length=MAX_ADDRESS_LINE)
            for line in raw if isinstance(line, str) and line.strip()]


def _optional(raw: object, field: str, max_length: int) -> str | None:
    """One line of readable text, or None for nothing."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    return clean_name(raw, field=field, max_length=max_length)


def apply_change(profile: BillingProfile, change: ProfileChange) -> None:
    """Check and apply `change` to the row in memory; InvalidInput names the field."""
    if change.legal_name is not UNSET:
        profile.legal_name = clean_name(change.legal_name, field="legalName", max_length=MAX_NAME)
    if change.address_lines is not UNSET:
        profile.address_lines = _lines(change.address_lines or [])
    if change.postal_code is not UNSET:
        profile.postal_code = _optional(change.postal_code, "postalCode", MAX_POSTAL_CODE)
    if change.city is not UNSET:
        profile.city = _optional(change.city, "city", MAX_CITY)
    if change.country is not UNSET:
        profile.country = check_country(change.country)
    if change.email is not UNSET:
        profile.email = normalize_email(change.email or "", field="email")
    vat_number = profile.vat_number if change.vat_number is UNSET else change.vat_number
    if isinstance(vat_number, str) and vat_number.strip():
        try:
            profile.vat_number = check_vat_number(profile.country, vat_number)
        except BadVatNumber as error:
            raise InvalidInput(str(error), field=("vatNumber",)) from None
    else:
        profile.vat_number = None


async def update_billing_profile(actor: Actor, change: ProfileChange, *, now: datetime) -> BillingProfile:
    """Owners and admins. Invoices already issued keep the profile they were issued to."""
    account_id = policy.acting_account(actor, "billing profile", "manage")
    async with transaction():
        profile = await profile_of(account_id, now=now, for_update=True)
        before = _snapshot(profile)
        apply_change(profile, change)
        profile.updated_at = now
        await profile.save()
        after = _snapshot(profile)
        await record(AuditAction.ACCOUNT_UPDATED, now=now, account_id=account_id, actor_user_id=actor.user_id,
                     subject=f"billing_profile:{profile.id}",
                     detail={"changed": sorted(key for key in after if after[key] != before[key])})
        return profile


def _snapshot(profile: BillingProfile) -> dict:
    return {"legal_name": profile.legal_name, "address_lines": list(profile.address_lines or []),
            "postal_code": profile.postal_code, "city": profile.city, "country": profile.country,
            "email": profile.email, "vat_number": profile.vat_number}


def party(profile: BillingProfile) -> dict:
    """The buyer as an invoice stores it: the profile as it is at issue (B1)."""
    return _snapshot(profile)
