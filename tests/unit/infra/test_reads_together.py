"""`infra.db._together`: several reads as one statement (a page's lists, issue 27). What
the statement answers is tested on PostgreSQL (tests/api/dossiers/test_lists_from_records.py);
here, how it is written."""
from __future__ import annotations

import pytest

from infra.db import _together

ENTRIES = ("SELECT id, body FROM entry WHERE dossier_id IN ($1, $2) AND id < $3 ORDER BY id", 3,
           (("id", "bigint"), ("body", "text")))
SHARES = ("SELECT id, email FROM share WHERE dossier_id IN ($1) ORDER BY id", 1,
          (("id", "bigint"), ("email", "text")))


def test_each_part_s_parameters_follow_the_parts_before_it():
    sql = _together((ENTRIES, SHARES, ENTRIES))
    first, second, third = sql.split(" UNION ALL ")
    assert "IN ($1, $2) AND id < $3" in first
    assert "IN ($4)" in second and "$1" not in second
    assert "IN ($5, $6) AND id < $7" in third


def test_a_part_s_rows_carry_its_number_and_the_other_parts_columns_as_typed_nulls():
    sql = _together((ENTRIES, SHARES))
    first, second = sql.split(" UNION ALL ")
    assert first.startswith("SELECT 0 AS part, row_number() OVER () AS place, p.id, p.body, NULL::text AS email")
    assert second.startswith("SELECT 1 AS part, row_number() OVER () AS place, p.id, NULL::text AS body, p.email")
    assert sql.endswith(" ORDER BY part, place")  # each part's own order, part after part


def test_a_column_named_alike_with_another_type_is_refused():
    other = ("SELECT id, body FROM revision ORDER BY id", 0, (("id", "bigint"), ("body", "bytea")))
    with pytest.raises(ValueError, match="body"):
        _together((ENTRIES, other))
