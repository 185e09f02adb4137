"""README's "Who may do what", rendered from the table of auth/policy.py, so the two
cannot drift (tests/unit/auth/test_policy_readme.py). `python -m auth.policy_readme` prints it."""
from __future__ import annotations

from auth.policy import TABLE, Kind, Relation, Rule

START = "<!-- who-may-do-what: start (python -m auth.policy_readme) -->"
END = "<!-- who-may-do-what: end -->"
_COLUMNS = (Kind.OWNER, Kind.ADMIN, Kind.MEMBER, Kind.GUEST, Kind.MACHINE, Kind.OPERATOR)
_RELATIONS = {Relation.ACCOUNT: "its account's owners, admins, machines", Relation.ASSIGNED: "assigned members",
              Relation.CONTRIBUTOR: "contributor shares", Relation.VIEWER: "viewer shares"}


def _cell(rule: Rule, kind: Kind) -> str:
    if kind not in rule.kinds:
        return "–"
    if kind is Kind.MACHINE and rule.scope is not None:
        return f"with `{rule.scope.value}`"
    return "yes"


def _conditions(rule: Rule) -> str:
    said = []
    if rule.relations is not None:
        said.append("only " + ", ".join(_RELATIONS[r] for r in Relation if r in rule.relations))
    elif rule.own_account:
        said.append("in the account acted in" + (" (operators: any)" if Kind.OPERATOR in rule.kinds else ""))
    if rule.archived is False:
        said.append("not while archived")
    elif rule.archived is True:
        said.append("only while archived")
    if rule.writes:
        said.append("not after cancellation")
    if rule.before_two_factor:
        said.append("also before two-factor enrolment")
    if rule.outside_production:
        said.append("never in production")
    if rule.note:
        said.append(rule.note)
    return "; ".join(said)


def markdown() -> str:
    head = "| resource | action | " + " | ".join(kind.value for kind in _COLUMNS) + " | conditions |"
    rule_line = "|---|---|" + "---|" * len(_COLUMNS) + "---|"
    rows = [f"| {r.resource} | {r.action} | " + " | ".join(_cell(r, kind) for kind in _COLUMNS)
            + f" | {_conditions(r)} |" for r in TABLE]
    return "\n".join([START, head, rule_line, *rows, END])


if __name__ == "__main__":
    print(markdown())
