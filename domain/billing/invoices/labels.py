"""The words on an invoice in its three languages (L1), in one place: at the merge with
the language work they move into the gettext catalogs as they are (the English text is
the msgid's meaning). The statements cite the EU VAT directive, which both the Dutch
(art. 35a Wet OB) and the German (§14a UStG) rules point to."""
from __future__ import annotations

LOCALES = ("en", "nl", "de")
# Babel's locale for each: dates and amounts as that language writes them.
BABEL_LOCALE = {"en": "en_GB", "nl": "nl_NL", "de": "de_DE"}

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "invoice": "Invoice",
        "credit_note": "Credit note",
        "number": "Invoice number",
        "issued_on": "Invoice date",
        "service_period": "Date or period of service",
        "seller": "Seller",
        "buyer": "Bill to",
        "vat_number": "VAT number",
        "email": "Email",
        "description": "Description",
        "period": "Period",
        "quantity": "Qty",
        "net": "Net",
        "rate": "VAT rate",
        "vat": "VAT",
        "net_total": "Total excluding VAT",
        "vat_total": "VAT total",
        "gross_total": "Total including VAT",
        "vat_at": "VAT {rate} on {net}",
        "corrects": "Corrects invoice {number} of {date}.",
        "reason": "Reason",
        "reverse_charge": "Reverse charge: the VAT is to be accounted for by the recipient (Article 196, "
                          "Directive 2006/112/EC).",
        "outside_eu": "No VAT: the service is supplied outside the EU (Article 44, Directive 2006/112/EC).",
        "page": "Page {page} of {pages}",
    },
    "nl": {
        "invoice": "Factuur",
        "credit_note": "Creditnota",
        "number": "Factuurnummer",
        "issued_on": "Factuurdatum",
        "service_period": "Datum of periode van de dienst",
        "seller": "Leverancier",
        "buyer": "Afnemer",
        "vat_number": "Btw-nummer",
        "email": "E-mail",
        "description": "Omschrijving",
        "period": "Periode",
        "quantity": "Aantal",
        "net": "Netto",
        "rate": "Btw-tarief",
        "vat": "Btw",
        "net_total": "Totaal exclusief btw",
        "vat_total": "Totaal btw",
        "gross_total": "Totaal inclusief btw",
        "vat_at": "Btw {rate} over {net}",
        "corrects": "Correctie op factuur {number} van {date}.",
        "reason": "Reden",
        "reverse_charge": "Btw verlegd: de afnemer draagt de btw af (artikel 196 Btw-richtlijn 2006/112/EG).",
        "outside_eu": "Geen btw: de dienst wordt buiten de EU verricht (artikel 44 Btw-richtlijn 2006/112/EG).",
        "page": "Pagina {page} van {pages}",
    },
    "de": {
        "invoice": "Rechnung",
        "credit_note": "Rechnungskorrektur",
        "number": "Rechnungsnummer",
        "issued_on": "Rechnungsdatum",
        "service_period": "Leistungsdatum oder -zeitraum",
        "seller": "Leistender Unternehmer",
        "buyer": "Leistungsempfänger",
        "vat_number": "USt-IdNr.",
        "email": "E-Mail",
        "description": "Beschreibung",
        "period": "Zeitraum",
        "quantity": "Menge",
        "net": "Netto",
        "rate": "Steuersatz",
        "vat": "USt",
        "net_total": "Nettobetrag",
        "vat_total": "Umsatzsteuer",
        "gross_total": "Gesamtbetrag",
        "vat_at": "USt {rate} auf {net}",
        "corrects": "Korrektur der Rechnung {number} vom {date}.",
        "reason": "Grund",
        "reverse_charge": "Steuerschuldnerschaft des Leistungsempfängers (Reverse Charge, Artikel 196 "
                          "MwSt-Systemrichtlinie 2006/112/EG).",
        "outside_eu": "Keine Umsatzsteuer: Leistungsort außerhalb der EU (Artikel 44 MwSt-Systemrichtlinie "
                      "2006/112/EG).",
        "page": "Seite {page} von {pages}",
    },
}


def language_of(locale: str | None, country: str | None = None) -> str:
    """'en', 'nl' or 'de' from an account's locale ("NL", "nl", "de_DE"…); without one,
    the language of the buyer's country, else English."""
    if locale:
        code = str(getattr(locale, "value", locale)).lower()[:2]
        if code in LOCALES:
            return code
    return {"NL": "nl", "DE": "de", "AT": "de", "CH": "de", "LI": "de"}.get(country or "", "en")
