"""The PDF of an invoice or credit note (B6) in the account's language (L1): what art.
35a Wet OB and §14 UStG ask — number, issue date, seller and buyer with addresses and
VAT numbers, the date or period of the service, a description per line, net per rate,
rate, VAT, gross, and the reverse-charge or outside-EU statement where it applies.

fpdf2 and the DejaVu fonts of the exports (domain/exports/pdf.py); Babel writes dates
and amounts as each language does ("10 mei 2026", "10. Mai 2026", "€ 2,50")."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal
from fpdf import FPDF
from fpdf.enums import XPos, YPos

from domain.core.pdf_fonts import BOLD, FAMILY, REGULAR, printable
from domain.billing.invoices.labels import BABEL_LOCALE, LABELS, language_of
from domain.billing.invoices.vat import OUTSIDE_EU


@dataclass(frozen=True)
class InvoiceDocument:
    """Everything printed, read from the invoice as issued."""
    number: str
    credit_note: bool
    issued_on: date
    currency: str
    seller: dict[str, Any]
    buyer: dict[str, Any]
    service_start: date
    service_end: date  # exclusive
    lines: list[dict[str, Any]]  # description, period_start, period_end, quantity, net, vat_rate
    breakdown: list[dict[str, str]]  # rate, net, vat
    net_total: Decimal
    vat_total: Decimal
    gross_total: Decimal
    vat_scheme: str
    reverse_charge: bool
    corrects: tuple[str, date] | None = None
    reason: str | None = None


class _Format:
    def __init__(self, language: str, currency: str) -> None:
        self.words = LABELS[language]
        self.locale = BABEL_LOCALE[language]
        self.currency = currency

    def day(self, value: date) -> str:
        return format_date(value, format="long", locale=self.locale)

    def span(self, start: date | None, end: date | None) -> str:
        """A half-open [start, end) as the days it covers, last day included."""
        if start is None:
            return ""
        last = end - timedelta(days=1) if end and end > start else start
        return self.day(start) if last == start else f"{self.day(start)} – {self.day(last)}"

    def money(self, amount: Decimal | str) -> str:
        return format_currency(Decimal(amount), self.currency, locale=self.locale)

    def rate(self, rate: Decimal | str) -> str:
        return f"{format_decimal(Decimal(rate).normalize(), locale=self.locale)} %"


class _Page(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text
        self.add_font(FAMILY, "", str(REGULAR))
        self.add_font(FAMILY, "B", str(BOLD))
        self.set_auto_page_break(auto=True, margin=18)
        self.set_margins(18, 18, 18)
        self.set_creator("Casebook")

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FAMILY, "", 8)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, self.footer_text.format(page=self.page_no(), pages="{nb}"), align="C")


def _party_lines(party: dict[str, Any], words: dict[str, str], locale: str) -> list[str]:
    place = " ".join(part for part in (party.get("postal_code"), party.get("city")) if part)
    country = Locale.parse(locale).territories.get(party["country"], party["country"])
    lines = [party["legal_name"], *party.get("address_lines", []), place, country]
    if party.get("vat_number"):
        lines.append(f"{words['vat_number']}: {party['vat_number']}")
    if party.get("registration"):
        lines.append(party["registration"])
    lines.append(f"{words['email']}: {party['email']}")
    return [line for line in lines if line]


def render_invoice(document: InvoiceDocument, locale: str | None) -> bytes:
    """The PDF's bytes (CPU work: run it in a thread)."""
    language = language_of(locale, document.buyer.get("country"))
    fmt = _Format(language, document.currency)
    words = fmt.words
    title = words["credit_note" if document.credit_note else "invoice"]
    pdf = _Page(words["page"])
    pdf.set_title(f"{title} {document.number}")
    pdf.add_page()
    width = pdf.epw

    pdf.set_font(FAMILY, "B", 18)
    pdf.cell(width, 10, printable(f"{title} {document.number}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    _pair(pdf, words["number"], document.number)
    _pair(pdf, words["issued_on"], fmt.day(document.issued_on))
    _pair(pdf, words["service_period"], fmt.span(document.service_start, document.service_end))
    if document.corrects:
        number, issued = document.corrects
        pdf.set_font(FAMILY, "", 10)
        pdf.multi_cell(width, 6, printable(words["corrects"].format(number=number, date=fmt.day(issued))), align="L",
                       new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if document.reason:
        _pair(pdf, words["reason"], document.reason)

    pdf.ln(4)
    top = bottom = pdf.get_y()
    half = width / 2 - 4
    for column, (label, party) in enumerate(((words["seller"], document.seller), (words["buyer"], document.buyer))):
        pdf.set_xy(pdf.l_margin + column * (half + 8), top)
        pdf.set_font(FAMILY, "B", 10)
        pdf.cell(half, 6, printable(label), new_x=XPos.LEFT, new_y=YPos.NEXT)
        pdf.set_font(FAMILY, "", 10)
        for text in _party_lines(party, words, fmt.locale):
            pdf.multi_cell(half, 5, printable(text), align="L", new_x=XPos.LEFT, new_y=YPos.NEXT)
        bottom = max(bottom, pdf.get_y())
    pdf.set_xy(pdf.l_margin, bottom + 6)

    columns = [(words["description"], 0.36, "L"), (words["period"], 0.28, "L"), (words["quantity"], 0.08, "R"),
               (words["rate"], 0.13, "R"), (words["net"], 0.15, "R")]
    pdf.set_font(FAMILY, "B", 9)
    for label, share, align in columns:
        pdf.cell(width * share, 7, printable(label), border="B", align=align)
    pdf.ln(7)
    pdf.set_font(FAMILY, "", 9)
    for line in document.lines:
        values = [line["description"], fmt.span(line["period_start"], line["period_end"]), str(line["quantity"]),
                  fmt.rate(line["vat_rate"]), fmt.money(line["net"])]
        y = pdf.get_y()
        bottom_of_row = _tallest(pdf, values, columns, width, y)
        if bottom_of_row > pdf.page_break_trigger:
            pdf.add_page()
            y = pdf.get_y()
            bottom_of_row = _tallest(pdf, values, columns, width, y)
        x = pdf.l_margin
        for (_, share, align), value in zip(columns, values):
            pdf.set_xy(x, y)
            pdf.multi_cell(width * share, 5, printable(value), align=align)
            x += width * share
        pdf.set_xy(pdf.l_margin, bottom_of_row)

    pdf.ln(3)
    if pdf.get_y() + (len(document.breakdown) + 3) * 6 + 16 > pdf.page_break_trigger:
        pdf.add_page()  # the totals and the statement stay together on one page
    for amount in document.breakdown:
        _total(pdf, width, words["vat_at"].format(rate=fmt.rate(amount["rate"]), net=fmt.money(amount["net"])),
               fmt.money(amount["vat"]))
    _total(pdf, width, words["net_total"], fmt.money(document.net_total))
    _total(pdf, width, words["vat_total"], fmt.money(document.vat_total))
    _total(pdf, width, words["gross_total"], fmt.money(document.gross_total), bold=True)

    statement = words["reverse_charge"] if document.reverse_charge else (
        words["outside_eu"] if document.vat_scheme == OUTSIDE_EU else None)
    if statement:
        pdf.ln(4)
        pdf.set_font(FAMILY, "B", 10)
        pdf.multi_cell(width, 5, printable(statement), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    return bytes(pdf.output())


def _tallest(pdf: FPDF, values: list[str], columns: list, width: float, y: float) -> float:
    """The bottom of a table row: the tallest of its wrapped cells."""
    tallest = 0
    for (_, share, _), value in zip(columns, values):
        lines = pdf.multi_cell(width * share, 5, printable(value), dry_run=True, output="LINES")
        tallest = max(tallest, len(lines))
    return y + tallest * 5 + 1


LABEL_WIDTH = 68


def _pair(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FAMILY, "B", 10)
    pdf.cell(LABEL_WIDTH, 6, printable(label))
    pdf.set_font(FAMILY, "", 10)
    pdf.multi_cell(pdf.epw - LABEL_WIDTH, 6, printable(value), align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _total(pdf: FPDF, width: float, label: str, value: str, *, bold: bool = False) -> None:
    pdf.set_font(FAMILY, "B" if bold else "", 10)
    pdf.cell(width * 0.75, 6, printable(label), align="R")
    pdf.cell(width * 0.25, 6, printable(value), align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
