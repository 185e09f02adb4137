"""Dossier tables (issue 3)."""
