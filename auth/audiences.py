"""Who may see objects of a kind, whatever path of the schema reached them (T4, P3, and
README's "account data only for the account the token acts in"). Types declare their
audience where they are declared (schema/rules.py); the execution context asks here for
every object it completes.

* CONTENT — dossier content (D1, D5): principals holding `dossiers:read`; never an
  operator (P3). Which dossiers one may see is decided when they are loaded (D2, D4).
* TEAM — people and the account's records of them: teammates, users as such, roles,
  invitations, credentials, the audit and access logs. Never a machine credential (T4);
  an object of an account only for a person acting in that account.
* BILLING — prices, subscriptions, usage, quotes, the ledger. Never a machine credential
  (T4); operators always (P3: billing is their work); an object of an account only for a
  person acting in that account. Catalog prices (no account) are public.
"""
from __future__ import annotations

from enum import Enum
from typing import Any

from auth import policy


class Audience(Enum):
    # By identity, as members compare: a C slot instead of Enum's Python `__hash__`, for
    # the per-request answers of `schema.rules.sees`, keyed by audience for every object shown.
    __hash__ = object.__hash__

    CONTENT = "content"
    TEAM = "team"
    BILLING = "billing"


def may_see(principal: Any, audience: Audience, account_id: int | None, *, own: bool = False) -> bool:
    """Whether `principal` may see an object of `audience` belonging to `account_id`
    (None: an object of no account, such as a catalog price or a person). `own`: the
    object is the viewer's own person — in `me`, or in the payload that just signed
    them in (before the request has a principal). Each audience is a rule of the policy,
    asked with the principal's kind and scopes; which dossiers, shares and exports are
    visible is decided when they are loaded, by the same policy."""
    kind = policy.kind_of(principal)
    if principal is None:
        return own or (audience is Audience.BILLING and account_id is None)
    if own and kind is not policy.Kind.MACHINE:
        return True
    if audience is Audience.CONTENT:
        return policy.admits(principal, "dossier", "read")
    if account_id is None:
        return kind is not policy.Kind.MACHINE
    resource = "team" if audience is Audience.TEAM else "billing"
    return policy.admits(principal, resource, "read") and (
        kind is policy.Kind.OPERATOR or principal.actor.account_id == account_id)
