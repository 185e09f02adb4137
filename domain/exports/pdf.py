"""The PDF of one dossier (D8): the same content as the JSON export, for a person — the
client or their family — to read: the practice's name, when it was made and
"page n of N" on every page, times in the practice's time zone.

fpdf2 renders it: pure Python from PyPI (with Pillow and fontTools wheels), no system
packages, maintained, page breaks and header/footer hooks built in, and it embeds a
subset of a TrueType font, so names such as "Zoë Brontë", "Łukasz" or "Şahin" print as
written. The font is DejaVu Sans (domain/exports/fonts, its licence beside it): Latin,
Greek and Cyrillic. A character it has no glyph for prints as "?" — the JSON export
holds the exact text.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from fontTools.ttLib import TTFont
from fpdf import FPDF
from fpdf.enums import XPos, YPos

FONTS = Path(__file__).parent / "fonts"
REGULAR, BOLD = FONTS / "DejaVuSans.ttf", FONTS / "DejaVuSans-Bold.ttf"
FAMILY = "DejaVu"


@dataclass
class DossierContent:
    """One dossier as the JSON document shapes it (domain.exports.documents), whole."""

    profile: dict[str, Any]
    entries: list[dict[str, Any]] = field(default_factory=list)      # each with "versions"
    measurements: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] | None = None
    access_log: list[dict[str, Any]] | None = None


@lru_cache(maxsize=1)
def _glyphs() -> frozenset[int]:
    font = TTFont(str(REGULAR), lazy=True)
    try:
        return frozenset(font.getBestCmap())
    finally:
        font.close()


def printable(text: str | None) -> str:
    """Text the font can draw: tabs as spaces, other control and unknown characters as "?"."""
    if not text:
        return ""
    glyphs = _glyphs()
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", "    ")
    return "".join(ch if ch == "\n" or (ord(ch) >= 32 and ord(ch) in glyphs) else "?" for ch in text)


class _Document(FPDF):
    def __init__(self, practice: str, generated: str, export_ref: str) -> None:
        super().__init__(format="A4")
        self.practice, self.generated, self.export_ref = practice, generated, export_ref
        self.add_font(FAMILY, "", str(REGULAR))
        self.add_font(FAMILY, "B", str(BOLD))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.set_title("Client file")
        self.set_creator("Casebook")

    def header(self) -> None:
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, printable(self.practice), new_x=XPos.LMARGIN, new_y=YPos.TOP)
        self.cell(0, 5, printable(f"Generated {self.generated}"), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.ln(4)
        self.set_text_color(0, 0, 0)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def _local(value: str | None, zone: ZoneInfo) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M (%z)")


def render(content: DossierContent, *, practice: str, time_zone: str, generated_at: datetime,
           export_ref: str) -> bytes:
    """The PDF file's bytes (CPU work: run it in a thread)."""
    zone = ZoneInfo(time_zone)
    pdf = _Document(practice, generated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z"), export_ref)
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

    heading(f"Client file: {profile['clientName']}", 16)
    text(f"Practice: {practice}. This is a copy of everything the practice's file holds about this "
         f"client, made on request (GDPR access). Times are in {time_zone}.", 9, 4.5)
    heading("Profile")
    line("Name", profile["clientName"])
    line("Reference", profile["reference"])
    line("Date of birth", profile["dateOfBirth"])
    for item in profile["freeFields"]:
        line(item["name"], item["value"])
    line("Archived", _local(profile["archivedAt"], zone) if profile["archived"] else "no")
    line("File opened", _local(profile["createdAt"], zone))

    heading(f"Entries ({len(content.entries)})")
    if not content.entries:
        text("No entries.")
    for entry in content.entries:
        versions = entry["versions"]
        pdf.ln(2)
        pdf.set_font(FAMILY, "B", 11)
        label = entry["kind"].replace("_", " ").capitalize()
        pdf.multi_cell(width, 6, printable(f"{label}, written {_local(entry['createdAt'], zone)}"
                                           + (f" — {len(versions)} versions" if len(versions) > 1 else "")),
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        for item in versions:
            pdf.set_font(FAMILY, "", 8)
            pdf.set_text_color(90, 90, 90)
            pdf.multi_cell(width, 4.5, printable(f"Version {item['version']}, {_local(item['writtenAt'], zone)}, "
                                                 f"by {item['author']['email']}"),
                           new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            pdf.set_text_color(0, 0, 0)
            text(item["body"])
            pdf.ln(1)

    heading(f"Measurements ({len(content.measurements)})")
    if not content.measurements:
        text("No measurements.")
    for item in sorted(content.measurements, key=lambda m: (m["measuredAt"], m["id"])):
        text(f"{_local(item['measuredAt'], zone)}   {item['metric']}: {item['value']} {item['unit']}"
             f"   (recorded by {item['author']['email']})")

    if content.shares is not None:
        heading(f"Access given to people outside the practice ({len(content.shares)})")
        if not content.shares:
            text("None.")
        for item in content.shares:
            until = f", until {_local(item['revokedAt'], zone)}" if item["revokedAt"] else ""
            text(f"{item['email']}: {item['access'].lower()}, {item['status'].lower()}, "
                 f"since {_local(item['createdAt'], zone)}{until}")

    if content.access_log is not None:
        heading(f"Who read this file ({len(content.access_log)})")
        if not content.access_log:
            text("Nobody yet.")
        for item in content.access_log:
            text(f"{_local(item['readAt'], zone)}   {item['email'] or item['userId']}", 9, 4.5)

    pdf.ln(4)
    text(f"Export {export_ref}.", 8, 4)
    return bytes(pdf.output())
