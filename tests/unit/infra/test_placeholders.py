"""`infra.db.placeholders`: the one builder of numbered parameter lists."""
from __future__ import annotations

from hypothesis import given, strategies as st

from infra.db import placeholders


def test_placeholders_number_from_the_first():
    assert placeholders(1, 3) == "$1, $2, $3"
    assert placeholders(6, 2) == "$6, $7"
    assert placeholders(4, 0) == ""


@given(st.integers(1, 500), st.integers(0, 300))
def test_placeholders_are_count_consecutive_parameters(first, count):
    marks = placeholders(first, count).split(", ") if count else []
    assert marks == [f"${n}" for n in range(first, first + count)]
