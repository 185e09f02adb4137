"""The PDF of one dossier (D8): the same content as the JSON export, for a person — the
client or their family — to read: the practice's name, when it was made and
"page n of N" on every page, times in the practice's time zone, every word, date and
number in the practice's language (L1; domain.exports.labels, domain.core.locale_format).

fpdf2 renders it: pure Python from PyPI (with Pillow and fontTools wheels), no system
packages, maintained, page breaks and header/footer hooks built in, and it embeds a
subset of a TrueType font, so names such as "Zoë Brontë", "Łukasz" or "Şahin" print as
written. The font: domain/core/pdf_fonts.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from domain.core.pdf_fonts import BOLD, FAMILY, REGULAR, printable
from domain.core.locale_format import format_day, format_moment, format_number
from domain.core.translations import translations
from domain.exports.labels import ENTRY_KINDS, FIELDS, SHARE_ACCESS, SHARE_STATUS

@dataclass
class DossierContent:
    """One dossier as the JSON document shapes it (domain.exports.documents), whole."""

    profile: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)      # each with "versions"
    measurements: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] | None = None
    access_log: list[dict[str, Any]] | None = None


class _Document(FPDF):
    def __init__(self, practice: str, generated: str, page_label: str, title: str) -> None:
        super().__init__(format="A4")
        self.practice, self.generated, self.page_label = practice, generated, page_label
        self.add_font(FAMILY, "", str(REGULAR))
        self.add_font(FAMILY, "B", str(BOLD))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.set_title(title)
        self.set_creator("Casebook")

    def header(self) -> None:
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, printable(self.practice), new_x=XPos.LMARGIN, new_y=YPos.TOP)
        self.cell(0, 5, printable(self.generated), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.page_label % {"page": self.page_no(), "pages": "{nb}"}, align="C")


def render(content: DossierContent, *, practice: str, time_zone: str, generated_at: datetime,
           export_ref: str, locale: str = "EN") -> bytes:
    """The PDF file's bytes (CPU work: run it in a thread)."""
    catalog = translations(locale)
    _ = catalog.gettext

    def moment(value: str | None) -> str:
        return format_moment(value, locale, time_zone) or "—"

    title = _("Client file")
    pdf = _Document(practice, _("Generated %(when)s") % {"when": format_moment(generated_at, locale, time_zone,
                                                                                  with_zone=True)},
                    _("Page %(page)s of %(pages)s"), title)
    pdf.add_page()
    profile = content.profile
    width = pdf.epw

    def heading(text: str, size: int = 13) -> None:
        pdf.ln(3)
        pdf.set_font(FAMILY, "B", size)
        pdf.multi_cell(width, 7, printable(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 10)

    def line(label: str, value: str | None) -> None:
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(45, 6, printable(label))
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(width - 45, 6, printable(value or "—"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def text(value: str, size: int = 10, height: float = 5) -> None:
        pdf.set_font(FAMILY, "", size)
        pdf.multi_cell(width, height, printable(value), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def counted(label: str, items: list) -> str:
        return f"{_(label)} ({format_number(len(items), locale)})"

    heading(_("Client file: %(name)s") % {"name": profile["clientName"]}, 16)
    text(_("Practice: %(practice)s. This is a copy of everything the practice's file holds about this client, "
           "made on request (GDPR access). Times are in %(zone)s.") % {"practice": practice, "zone": time_zone},
         9, 4.5)
    heading(_("Profile"))
    line(_(FIELDS["clientName"]), profile["clientName"])
    line(_(FIELDS["reference"]), profile["reference"])
    line(_(FIELDS["dateOfBirth"]), format_day(profile["dateOfBirth"], locale))
    for item in profile["freeFields"]:
        line(item["name"], item["value"])
    line(_(FIELDS["archived"]), moment(profile["archivedAt"]) if profile["archived"] else _("no"))
    line(_(FIELDS["createdAt"]), moment(profile["createdAt"]))

    heading(counted(FIELDS["entries"], content.entries))
    if not content.entries:
        text(_("No entries."))
    for entry in content.entries:
        versions = entry["versions"]
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 11)
        kind = _(ENTRY_KINDS.get(entry["kind"], entry["kind"]))
        title_line = _("%(kind)s, written %(when)s") % {"kind": kind, "when": moment(entry["createdAt"])}
        if len(versions) > 1:
            title_line += " — " + catalog.ngettext("%(n)s version", "%(n)s versions", len(versions)) % {
                "n": format_number(len(versions), locale)}
        pdf.multi_cell(width, 6, printable(title_line), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for item in versions:
            pdf.set_font(FAMILY, "", 8)
            pdf.set_text_color(90, 90, 90)
            pdf.multi_cell(width, 4.5, printable(_("Version %(version)s, %(when)s, by %(author)s") % {
                "version": item["version"], "when": moment(item["writtenAt"]), "author": item["author"]["email"]}),
                new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
            text(item["body"])
            pdf.ln(1)

    heading(counted(FIELDS["measurements"], content.measurements))
    if not content.measurements:
        text(_("No measurements."))
    for item in sorted(content.measurements, key=lambda m: (m["measuredAt"], m["id"])):
        text(_("%(when)s   %(metric)s: %(value)s %(unit)s   (recorded by %(author)s)") % {
            "when": moment(item["measuredAt"]), "metric": item["metric"],
            "value": format_number(item["value"], locale), "unit": item["unit"], "author": item["author"]["email"]})

    if content.shares is not None:
        heading(counted(FIELDS["shares"], content.shares))
        if not content.shares:
            text(_("None."))
        for item in content.shares:
            values = {"email": item["email"], "access": _(SHARE_ACCESS.get(item["access"], item["access"])),
                      "status": _(SHARE_STATUS.get(item["status"], item["status"])),
                      "since": moment(item["createdAt"]), "until": moment(item["revokedAt"])}
            if item["revokedAt"]:
                text(_("%(email)s: %(access)s, %(status)s, from %(since)s until %(until)s") % values)
            else:
                text(_("%(email)s: %(access)s, %(status)s, since %(since)s") % values)

    if content.access_log is not None:
        heading(counted(FIELDS["accessLog"], content.access_log))
        if not content.access_log:
            text(_("Nobody yet."))
        for item in content.access_log:
            text(f"{moment(item['readAt'])}   {item['email'] or item['userId']}", 9, 4.5)

    pdf.ln(4)
    text(_("Export %(reference)s.") % {"reference": export_ref}, 8, 4)
    return bytes(pdf.output())
