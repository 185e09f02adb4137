"""Share tables (issue 4)."""
