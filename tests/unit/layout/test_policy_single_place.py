"""T6: every decision of who may do what is taken by auth/policy.py. This fails when code
elsewhere compares roles or scopes itself — `actor.is_owner`, `role == Role.ADMIN`,
`Scope.X in principal.scopes` and the like — instead of asking the policy
(`policy.may`, `policy.ensure`, `policy.acting_account`, `requires(...)`)."""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
LAYERS = ("api", "auth", "domain", "infra", "schema", "adapters")
# The policy itself and the scopes it derives.
OWNERS = {"auth/policy.py", "auth/scopes.py"}
# Comparisons that decide no access, each with its reason.
NOT_ACCESS = {
    # An account always keeps an owner (SPEC §1): an invariant of the team, whoever acts.
    ("domain/team/teammates.py", "current is Role.OWNER"),
    ("domain/team/teammates.py", "membership.role == Role.OWNER.value"),
}
ROLE_PROPERTIES = {"is_owner", "manages_account"}


def _names_role_or_scope(node: ast.AST) -> bool:
    for part in ast.walk(node):
        if isinstance(part, ast.Attribute) and part.attr in ("role", "scopes"):
            return True
        if isinstance(part, ast.Attribute) and isinstance(part.value, ast.Name) and part.value.id in ("Role", "Scope"):
            return True
    return False


def _offences(path: Path) -> list[str]:
    source = path.read_text()
    relative = str(path.relative_to(ROOT))
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in ROLE_PROPERTIES:
            found.append(ast.get_source_segment(source, node))
        elif isinstance(node, ast.Compare) and any(map(_names_role_or_scope, [node.left, *node.comparators])):
            found.append(ast.get_source_segment(source, node))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "has" \
                and any(map(_names_role_or_scope, node.args)):
            found.append(ast.get_source_segment(source, node))
    return [f"{relative}: {text}" for text in found if (relative, text) not in NOT_ACCESS]


def test_t6_no_code_outside_the_policy_compares_roles_or_scopes():
    offences = [offence for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))
                if str(path.relative_to(ROOT)) not in OWNERS for offence in _offences(path)]
    assert offences == [], "ask auth/policy.py instead:\n" + "\n".join(offences)


def test_the_check_sees_what_it_is_for():
    """The check itself: each of these is a decision it must find."""
    samples = ["if actor.is_owner: pass", "ok = membership.role == Role.ADMIN",
               "ok = Scope.AUDIT_READ in principal.scopes", "ok = principal.has(Scope.BILLING_MANAGE)",
               "ok = actor.role in (Role.OWNER, Role.ADMIN)"]
    tmp = ROOT / "tests" / "unit" / "_policy_sample.py"
    try:
        for sample in samples:
            tmp.write_text(sample + "\n")
            assert _offences(tmp), sample
    finally:
        tmp.unlink(missing_ok=True)
