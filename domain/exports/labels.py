"""The words of exports a person reads, in the account's language (L1): the PDF's
headings and labels, and the `labels` block of every JSON document, so a program that
shows an export to a person uses the same words as the PDF. Keys stay English: they are
the format; only what a person reads is translated."""
from __future__ import annotations

from typing import Any

from domain.core.translations import N_, translations

FIELDS = {
    "clientName": N_("Name"),
    "reference": N_("Reference"),
    "dateOfBirth": N_("Date of birth"),
    "freeFields": N_("Other details"),
    "archived": N_("Archived"),
    "createdAt": N_("File opened"),
    "updatedAt": N_("Last changed"),
    "entries": N_("Entries"),
    "versions": N_("Versions"),
    "measurements": N_("Measurements"),
    "shares": N_("Access given to people outside the practice"),
    "accessLog": N_("Who read this file"),
    "author": N_("Written by"),
    "writtenAt": N_("Written"),
    "measuredAt": N_("Measured"),
    "recordedAt": N_("Recorded"),
    "metric": N_("Measurement"),
    "value": N_("Value"),
    "unit": N_("Unit"),
    "email": N_("Email address"),
    "access": N_("Access"),
    "status": N_("Status"),
    "readAt": N_("Read"),
}
ENTRY_KINDS = {"NOTE": N_("Note"), "REPORT": N_("Report"), "RECOMMENDATION": N_("Recommendation"),
               "MEAL_PLAN": N_("Meal plan")}
SHARE_ACCESS = {"VIEWER": N_("may read"), "CONTRIBUTOR": N_("may read and write")}
SHARE_STATUS = {"PENDING": N_("invited, not yet accepted"), "ACTIVE": N_("active"),
                "SUSPENDED": N_("suspended"), "REVOKED": N_("withdrawn")}


def _translated(table: dict[str, str], locale: str) -> dict[str, str]:
    catalog = translations(locale)
    return {key: catalog.gettext(text) for key, text in table.items()}


def dossier_labels(locale: str) -> dict[str, Any]:
    """The `labels` block of a dossier document."""
    return {"fields": _translated(FIELDS, locale), "entryKinds": _translated(ENTRY_KINDS, locale),
            "shareAccess": _translated(SHARE_ACCESS, locale), "shareStatus": _translated(SHARE_STATUS, locale)}
