"""The `dossiers` list's filters (D7) as the domain takes them. A bad search term is a
top-level INVALID_INPUT, like a bad cursor or page size: a query has no userErrors."""
from __future__ import annotations

from graphql import GraphQLError

from domain.core.errors import DomainError
from domain.dossiers.access import Finding
from domain.dossiers.finding import search_term


def finding_of(search: str | None, assigned_to_me: bool | None, active_this_month: bool | None,
               archived_only: bool | None) -> Finding:
    try:
        term = None if search is None else search_term(search)
    except DomainError as error:
        raise GraphQLError(error.message, extensions={"code": "INVALID_INPUT", "field": list(error.field)}) from None
    return Finding(search=term, assigned_to_me=assigned_to_me, active_this_month=active_this_month,
                   archived_only=bool(archived_only))
