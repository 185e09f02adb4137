"""README's "Who may do what" is the policy's table rendered (T6): a change of one
without the other fails here. Re-render with `python -m auth.policy_readme`."""
from pathlib import Path

from auth.policy_readme import END, START, markdown

ROOT = Path(__file__).resolve().parents[3]


def test_t6_readme_shows_the_table_the_code_decides_with():
    readme = (ROOT / "README.md").read_text()
    assert START in readme and END in readme, "README lacks the rendered table"
    shown = readme[readme.index(START):readme.index(END) + len(END)]
    assert shown == markdown()


def test_every_rule_is_a_row():
    from auth.policy import TABLE

    assert markdown().count("\n| ") == len(TABLE) + 1  # the header, then one row per rule
