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
    # When a mailed token last proved this address (I1); null: not proven yet.
    email_verified_at = fields.DatetimeField(null=True)
    # Two-factor sign-in (I5): the TOTP secret, encrypted at rest (domain/identity/two_factor.py);
    # a pending one until the first code confirms it; the last time step used (RFC 6238
    # §5.2: a code is accepted once).
    totp_secret = fields.TextField(null=True)
    totp_pending_secret = fields.TextField(null=True)
    totp_enabled_at = fields.DatetimeField(null=True)
    totp_last_step = fields.BigIntField(null=True)

    class Meta:
        table = "user"

    @property
    def email_verified(self) -> bool:
        return self.email_verified_at is not None

    @property
    def two_factor_enabled(self) -> bool:
        return self.totp_enabled_at is not None


class Account(Model):
    """An organisation (tenant): owns dossiers, teammates and one subscription."""

    id = fields.BigIntField(primary_key=True)
    name = fields.CharField(max_length=200)
    time_zone = fields.CharField(max_length=64, default="Europe/Amsterdam")
    currency = fields.CharField(max_length=3, default="EUR")
    created_at = fields.DatetimeField()
    # I5: every teammate must sign in with two factors to act in this account.
    require_two_factor = fields.BooleanField(default=False)
    # L1: the language of everything its people read outside the API (NL, DE, EN).
    locale = fields.CharField(max_length=2, default="EN")
    # O4: the latest business time the account has been given outside production (its
    # test clock); null means the wall clock. Read and moved by domain.core.account_clock.
    test_clock = fields.DatetimeField(null=True)

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
