"""Invoices (SPEC B1–B6): billing profiles, an invoice for every charge, gapless numbers,
VAT by the buyer's place, credit notes and the PDF a bookkeeper files."""
