"""Tables of people and organisations: users, accounts, memberships (seats), invitations."""
from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class User(Model):
    """A person, known by one email address (SPEC §1). Not tied to an account."""

    id = fields.BigIntField(primary_key=True)
    email = fields.CharField(max_length=254, unique=True)
    name = fields.CharField(max_length=200)
    # Null for a person who was invited but has not set a password yet.
    password_hash = fields.CharField(max_length=255, null=True)
    # Bumped to revoke every token of this user at once (API.md Tokens, `ver`).
    token_version = fields.IntField(default=1)
    is_operator = fields.BooleanField(default=False)
    created_at = fields.DatetimeField()

    class Meta:
        table = "user"


class Account(Model):
    """An organisation (tenant): owns dossiers, teammates and one subscription."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    time_zone = fields.CharField(max_length=64, default="Europe/Amsterdam")
    currency = fields.CharField(max_length=3, default="EUR")
    created_at = fields.DatetimeField()

    class Meta:
        table = "account"


class Membership(Model):
    """A teammate: one user in one account with a role. Each membership is one paid seat."""

    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="memberships", on_delete=fields.CASCADE)
    user = fields.ForeignKeyField("models.User", related_name="memberships", on_delete=fields.CASCADE)
    role = fields.CharField(max_length=16)
    created_at = fields.DatetimeField()

    class Meta:
        table = "membership"
        unique_together = (("account_id", "user_id"),)


class Invitation(Model):
    """An emailed token: to become a teammate (`kind=teammate`) or to take up a share
    (`kind=share`). Only a hash of the token is stored."""

    id = fields.BigIntField(primary_key=True)
    account = fields.ForeignKeyField("models.Account", related_name="invitations", on_delete=fields.CASCADE)
    kind = fields.CharField(max_length=16)
    email = fields.CharField(max_length=254)
    role = fields.CharField(max_length=16, null=True)
    share_id = fields.BigIntField(null=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    invited_by = fields.ForeignKeyField("models.User", related_name="invitations_sent", null=True, on_delete=fields.SET_NULL)
    expires_at = fields.DatetimeField()
    accepted_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "invitation"
