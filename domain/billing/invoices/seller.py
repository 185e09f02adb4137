"""The seller every invoice names (B6), from settings. Configured once per process at
start (`configure_seller`, called where the catalog is loaded); until then the
settings' defaults stand in, as in tests and development."""
from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from infra.settings import Settings, SettingsError
from domain.billing.invoices.countries import BadVatNumber, check_vat_number, is_country

EXAMPLE_VAT_NUMBER = Settings.model_fields["invoice_seller_vat_number"].default


@dataclass(frozen=True)
class Seller:
    name: str
    address_lines: tuple[str, ...]
    postal_code: str
    city: str
    country: str
    email: str
    vat_number: str
    registration: str
    time_zone: str

    def party(self) -> dict:
        """The seller as an invoice stores it (the shape of a billing profile)."""
        return {"legal_name": self.name, "address_lines": list(self.address_lines),
                "postal_code": self.postal_code, "city": self.city, "country": self.country,
                "email": self.email, "vat_number": self.vat_number, "registration": self.registration or None}


def seller_from_settings(settings: Settings) -> Seller:
    """The seller, or SettingsError naming the INVOICE_SELLER_* setting that is wrong."""
    country = settings.invoice_seller_country
    if not is_country(country):
        raise SettingsError(f"INVOICE_SELLER_COUNTRY must be an ISO 3166 country code such as NL, not {country!r}")
    try:
        vat_number = check_vat_number(country, settings.invoice_seller_vat_number)
    except BadVatNumber as error:
        raise SettingsError(f"INVOICE_SELLER_VAT_NUMBER: {error}") from None
    if settings.is_production and vat_number == EXAMPLE_VAT_NUMBER:
        raise SettingsError("INVOICE_SELLER_VAT_NUMBER must be the seller's own VAT number in production, "
                            "not the example")
    try:
        ZoneInfo(settings.invoice_seller_time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError("INVOICE_SELLER_TIME_ZONE must be an IANA time zone such as Europe/Amsterdam") from None
    if not (settings.invoice_seller_name.strip() and settings.invoice_seller_address
            and settings.invoice_seller_city.strip() and "@" in settings.invoice_seller_email):
        raise SettingsError("INVOICE_SELLER_NAME, INVOICE_SELLER_ADDRESS, INVOICE_SELLER_CITY and "
                            "INVOICE_SELLER_EMAIL must be set: every invoice names the seller")
    return Seller(settings.invoice_seller_name.strip(), settings.invoice_seller_address,
                  settings.invoice_seller_postal_code.strip(), settings.invoice_seller_city.strip(), country,
                  settings.invoice_seller_email.strip(), vat_number, settings.invoice_seller_registration.strip(),
                  settings.invoice_seller_time_zone)


_seller: Seller | None = None


def configure_seller(settings: Settings) -> Seller:
    global _seller
    _seller = seller_from_settings(settings)
    return _seller


def current_seller() -> Seller:
    return _seller if _seller is not None else seller_from_settings(Settings())
