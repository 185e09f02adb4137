"""Every root field goes through the one permission mechanism."""
from strawberry.permission import PermissionExtension

from schema.schema import Mutation, Query

# API.md Transport: the only operations that work without a token, plus the exchange of
# a partner system's client credentials for a token (T4), which is a sign-in too.
PUBLIC = {"signUp", "logIn", "refreshSession", "acceptInvitation", "catalog", "issueMachineToken",
          # I1–I2: a mailed token is the credential (a forgotten password has no session);
          # none of these signs anyone in without the password (and second factor).
          # confirmEmailChange needs the requester's own session since issue 28.
          "verifyEmail", "requestPasswordReset", "resetPassword"}


def _root_fields():
    for root in (Query, Mutation):
        for field in root.__strawberry_definition__.fields:
            yield field


def test_every_root_field_declares_its_permission():
    missing = [f.python_name for f in _root_fields()
               if not any(isinstance(e, PermissionExtension) for e in f.extensions)]
    assert missing == []


def test_only_the_documented_operations_are_public():
    from auth.permissions import Public

    public = {f.graphql_name or _camel(f.python_name) for f in _root_fields()
              if any(isinstance(p, Public) for e in f.extensions if isinstance(e, PermissionExtension)
                     for p in e.permissions)}
    assert public <= PUBLIC


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)
