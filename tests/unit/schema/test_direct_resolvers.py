"""Direct resolvers (schema/direct.py) stand only where strawberry's handling of a call is
plain, and call the resolver straight only when the permission would let the request
through without a question; everything else keeps strawberry's resolver. (That both
answer alike, refusals included, is the differential test's: every API test's query
runs on the compiled schema and on the stock one.)"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Optional

import strawberry

from auth.permissions import requires, waved_through
from auth.scopes import Scope
from schema.direct import plain_resolver
from schema.rules import strawberry_field
from schema.schema import build_schema


def _root_resolvers(schema) -> dict[str, str]:
    return {name: field.resolve.__qualname__.split(".")[0] for name, field in schema._schema.query_type.fields.items()}


def test_plain_root_queries_resolve_directly_and_the_stock_schema_keeps_strawberrys():
    served = _root_resolvers(build_schema())
    assert served["dossiers"] == served["dossier"] == served["node"] == "direct_resolver"
    assert served["catalog"] != "direct_resolver"  # public: not a scope permission
    assert "direct_resolver" not in _root_resolvers(build_schema(compiled=False)).values()


@strawberry.input
class Filter:
    name: str


@strawberry.type
class Sample:
    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    def by_scalar(self, first: Optional[int] = None) -> int:
        return 1

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    def by_input(self, where: Filter) -> int:
        return 1

    @strawberry.field
    def with_root(self, root: strawberry.Parent[int]) -> int:  # noqa: ARG002
        return 1

    @strawberry.field(extensions=requires(Scope.DOSSIERS_READ))
    def by_maybe(self, name: strawberry.Maybe[str]) -> int:  # strawberry passes Some(value)
        return 1


def test_what_strawberry_must_handle_is_not_plain():
    fields = {field.python_name: field for field in Sample.__strawberry_definition__.fields}
    plain = plain_resolver(fields["by_scalar"])
    assert plain is not None and plain.scopes == (Scope.DOSSIERS_READ,) and plain.guarded
    assert plain_resolver(fields["by_input"]) is None
    assert plain_resolver(fields["with_root"]) is None
    assert plain_resolver(fields["by_maybe"]) is None
    mutation = build_schema()._schema.mutation_type.fields["addEntry"]
    assert plain_resolver(strawberry_field(mutation)) is None  # an input object, and the two-factor gate


def _principal(*scopes: Scope, pending: bool = False) -> SimpleNamespace:
    return SimpleNamespace(actor=SimpleNamespace(), scopes=frozenset(scopes), two_factor_required=pending)


def test_only_a_request_the_permission_lets_through_is_waved_through():
    read = (Scope.DOSSIERS_READ,)
    assert waved_through(_principal(Scope.DOSSIERS_READ), read)
    assert waved_through(_principal(), ())
    assert not waved_through(None, ())  # signed out: the permission says UNAUTHENTICATED
    assert not waved_through(_principal(Scope.SHARES_MANAGE), read)  # FORBIDDEN
    assert not waved_through(_principal(Scope.DOSSIERS_READ, pending=True), read)  # I5: TWO_FACTOR_REQUIRED
