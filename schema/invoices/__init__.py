"""Invoices and billing profiles in the API (API.md "Invoices")."""
