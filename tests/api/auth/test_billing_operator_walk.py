"""P3: an operator can reach no dossier content, by any field of the schema.

The walk introspects the served schema and calls every root query and mutation as an
operator, with every known id (dossier, entry, measurement, share, account, teammate,
user, quote) wherever an ID goes, selecting every field it can reach a few levels deep
(interfaces through inline fragments). The content is written with a marker; the marker
must appear in no response. A share to the operator's own address is there too: an
operator session must not open shared dossiers either."""
from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from graphql import (
    GraphQLEnumType, Lexer, Source, TokenKind, parse, GraphQLInputObjectType, GraphQLInterfaceType, GraphQLList, GraphQLNonNull,
    GraphQLObjectType, GraphQLUnionType, get_named_type, is_leaf_type,
)

from api.cost import query_cost
from domain.accounts.models import User
from domain.dossiers.models import ActiveDossier, ActiveMonth, Dossier, Entry, EntryRevision, Measurement
from domain.shares.models import Share
from schema.relay import parse_global_id, to_global_id
from schema.schema import build_schema
from tests.support.billing import operator_token, quote_ok
from tests.support.flows import sign_up

SECRET = "zz-secret-content-zz"
NOW = "2026-05-10T12:00:00+02:00"
DEPTH = 6
ID_VARIABLE = "$id"
SCALARS = {"ID": None, "String": '"x"', "Int": "1", "Float": "1.5", "Boolean": "false",
           "Date": '"2026-05-10"', "DateTime": '"2026-05-10T10:00:00+00:00"', "Decimal": '"1.00"'}


async def _content(account_id: int, owner_id: int, operator_id: int, operator_email: str) -> dict[str, str]:
    moment = datetime.fromisoformat(NOW)
    dossier = await Dossier.create(account_id=account_id, client_name=f"{SECRET} name", reference=f"{SECRET} ref",
                                   date_of_birth=date(1980, 1, 2), free_fields=[{"name": "note", "value": SECRET}],
                                   created_at=moment, updated_at=moment)
    entry = await Entry.create(account_id=account_id, dossier=dossier, kind="NOTE", current_version=1, created_at=moment)
    await EntryRevision.create(account_id=account_id, entry=entry, version=1, body=f"{SECRET} body",
                               author_user_id=owner_id, author_email=f"{SECRET}@example.org", written_at=moment)
    measurement = await Measurement.create(
        account_id=account_id, dossier=dossier, metric=f"{SECRET} metric", value=Decimal("71.5"), unit=SECRET,
        measured_at=moment, author_user_id=owner_id, author_email=f"{SECRET}@example.org", created_at=moment)
    shares = [await Share.create(account_id=account_id, dossier=dossier, email=email, user_id=user_id,
                                 access="VIEWER", status="ACTIVE", created_by_user_id=owner_id, created_at=moment)
              for email, user_id in ((operator_email, operator_id), ("guest@example.org", None))]
    await ActiveMonth.create(account_id=account_id, month="2026-05", count=1)
    await ActiveDossier.create(account_id=account_id, month="2026-05", dossier_id=dossier.id, first_written_at=moment)
    return {"Dossier": to_global_id("Dossier", dossier.id), "Entry": to_global_id("Entry", entry.id),
            "Measurement": to_global_id("Measurement", measurement.id),
            **{f"Share{i}": to_global_id("Share", share.id) for i, share in enumerate(shares)}}


@dataclass
class Sel:
    """A selection: `head` is "field(args)" or "... on Type"; leaves have no children."""

    head: str
    children: list["Sel"] | None = None

    def render(self) -> str:
        if self.children is None:
            return self.head
        return f"{self.head} {{ __typename {' '.join(child.render() for child in self.children)} }}"

    def halves(self) -> list["Sel"]:
        """Smaller selections that together cover this one."""
        leaves = [c for c in self.children or () if c.children is None]
        branches = [c for c in self.children or () if c.children is not None]
        if len(branches) == 1 and not leaves:
            return [Sel(self.head, [piece]) for piece in branches[0].halves()]
        return ([Sel(self.head, leaves)] if leaves else []) + [Sel(self.head, [branch]) for branch in branches]


class Walker:
    """Builds, for each root field, documents that select everything reachable, split
    so each fits the server's abuse limits (cost, tokens): a refused query would be a
    blind spot."""

    def __init__(self, schema, cost_limit: int) -> None:  # noqa: ANN001
        self.schema = schema
        self.cost_limit = cost_limit
        self.refused: list[str] = []
        self.built: list[tuple[str, str, str]] | None = None

    def literal(self, type_, the_id: str) -> str | None:  # noqa: ANN001
        if isinstance(type_, GraphQLNonNull):
            return self.literal(type_.of_type, the_id)
        if isinstance(type_, GraphQLList):
            inner = self.literal(type_.of_type, the_id)
            return None if inner is None else f"[{inner}]"
        if isinstance(type_, GraphQLEnumType):
            return next(iter(type_.values))
        if isinstance(type_, GraphQLInputObjectType):
            parts = []
            for name, field in type_.fields.items():
                if isinstance(field.type, GraphQLNonNull) or get_named_type(field.type).name == "ID":
                    value = self.literal(field.type, the_id)
                    if value is None:
                        return None
                    parts.append(f"{name}: {value}")
            return "{" + ", ".join(parts) + "}"
        if type_.name == "ID":
            return the_id
        return SCALARS.get(type_.name, '"x"')

    def arguments(self, args: dict, the_id: str) -> str | None:
        parts = []
        for name, arg in args.items():
            if name == "first":
                parts.append("first: 1")
            elif isinstance(arg.type, GraphQLNonNull) or get_named_type(arg.type).name == "ID":
                value = self.literal(arg.type, the_id)
                if value is None:
                    return None
                parts.append(f"{name}: {value}")
        return f"({', '.join(parts)})" if parts else ""

    def selection(self, head: str, type_, depth: int, path: frozenset, the_id: str) -> Sel | None:  # noqa: ANN001
        named = get_named_type(type_)
        if is_leaf_type(named):
            return Sel(head)
        if depth == 0 or named.name in path:
            return None
        if isinstance(named, (GraphQLInterfaceType, GraphQLUnionType)):
            return Sel(head, [Sel(f"... on {possible.name}", self.fields(possible, depth, path, the_id))
                              for possible in self.schema.get_possible_types(named)])
        return Sel(head, self.fields(named, depth, path, the_id))

    def fields(self, obj: GraphQLObjectType, depth: int, path: frozenset, the_id: str) -> list[Sel]:
        found = []
        for name, field in obj.fields.items():
            args = self.arguments(field.args, the_id)
            if args is None:
                continue
            sub = self.selection(f"{name}{args}", field.type, depth - 1, path | {obj.name}, the_id)
            if sub is not None:
                found.append(sub)
        return found

    def fits(self, document: str) -> bool:
        tokens = sum(1 for _ in _tokens(document))
        return tokens <= 1500 and query_cost(self.schema, parse(document), None, None) <= self.cost_limit

    def documents(self, keyword: str, sel: Sel):  # noqa: ANN201
        document = f"{keyword} {{ {sel.render()} }}"
        if self.fits(document):
            yield document
            return
        pieces = sel.halves() if sel.children else []
        if not pieces or pieces == [sel]:
            # A chain of lists too costly even alone: the server refuses it for anyone.
            self.refused.append(document)
            return
        for piece in pieces:
            yield from self.documents(keyword, piece)

    def operations(self, ids: list[str], *, mutations: bool = True):  # noqa: ANN201
        """(root field, document, variables): every id goes in as the variable `$id`, so
        one document serves every id (and the server's parse and validation caches)."""
        for keyword, name, document in self.all_documents():
            if keyword == "mutation" and not mutations:
                continue
            if ID_VARIABLE not in document:
                yield name, document, {}
                continue
            for the_id in ids:
                yield name, document, {"id": the_id}

    def all_documents(self) -> list[tuple[str, str, str]]:
        """(keyword, root field, document) for every root field. Built once: the splitting
        parses, counts and prices each candidate, seconds for the whole schema, and the
        walks go through these documents more than once."""
        if self.built is not None:
            return self.built
        found = []
        for keyword, root in (("query", self.schema.query_type), ("mutation", self.schema.mutation_type)):
            for name, field in root.fields.items():
                args = self.arguments(field.args, ID_VARIABLE) or ""
                sel = self.selection(f"{name}{args}", field.type, DEPTH, frozenset({root.name}), ID_VARIABLE)
                for document in self.documents(keyword, sel):
                    if ID_VARIABLE in document:
                        document = document.replace(f"{keyword} {{", f"{keyword}($id: ID!) {{", 1)
                    found.append((keyword, name, document))
        self.built = found
        return found


@functools.cache
def walker(cost_limit: int) -> Walker:
    """The walker of the served schema, shared by the walks of this run."""
    return Walker(build_schema()._schema, cost_limit)


def _without_billing_emails(value):  # noqa: ANN001, ANN202
    """`body` with the `email` of every billing profile (an object with `legalName`) left out."""
    if isinstance(value, list):
        return [_without_billing_emails(item) for item in value]
    if isinstance(value, dict):
        billing = "legalName" in value
        return {key: _without_billing_emails(item) for key, item in value.items() if not (billing and key == "email")}
    return value


def _tokens(document: str):  # noqa: ANN202
    lexer = Lexer(Source(document))
    while lexer.advance().kind is not TokenKind.EOF:
        yield lexer.token


@pytest.mark.slow
async def test_p3_no_field_of_the_schema_gives_an_operator_dossier_content(api, settings):
    owner = await sign_up(api, "owner-walk@example.org", now="2026-04-15T10:00:00+02:00")
    account_gid = owner["viewer"]["account"]["id"]
    operator_email = "operator-walk@casebook.example"
    operator = await operator_token(api, operator_email)
    operator_user = await User.get(email=operator_email)
    owner_user = await User.get(email="owner-walk@example.org")
    ids = await _content(parse_global_id(account_gid)[1], owner_user.id, operator_user.id, operator_email)
    quote = await quote_ok(api, owner["accessToken"], NOW, seats=2)
    ids.update({"Account": account_gid, "User": owner["viewer"]["user"]["id"], "Quote": quote["id"],
                "Teammate": to_global_id("Teammate", 1), "OperatorUser": to_global_id("User", operator_user.id)})

    # The owner does see the content: the marker is findable, so its absence below means something.
    seen = await api("query($id: ID!) { node(id: $id) { ... on Entry { body } } }", {"id": ids["Entry"]},
                     token=owner["accessToken"])
    assert SECRET in json.dumps(seen), seen

    walk = walker(settings.query_cost_limit)
    api.deliver = False  # nothing here is about mail; delivering after each of the walk's requests doubles its time
    # The same walk of the queries as the owner does reach the content: the walk is not blind.
    reached = set()
    for name, document, variables in walk.operations(list(ids.values()), mutations=False):
        body = await api(document, variables, token=owner["accessToken"], now=NOW)
        assert "QUERY_TOO_COMPLEX" not in json.dumps(body), (document, body)
        if SECRET in json.dumps(body):
            reached.add(name)
    assert {"dossier", "dossiers", "node"} <= reached, reached

    api.differential = False  # the owner's walk above compared the executors on these documents
    walked: set[str] = set()
    for name, document, variables in walk.operations(list(ids.values())):
        walked.add(name)
        body = await api(document, variables, token=operator, now=NOW)
        text = json.dumps(body)
        assert "QUERY_TOO_COMPLEX" not in text and "Syntax Error" not in text, (name, document, body)
        assert SECRET not in text, (name, document, body)
        # The billing email of a billing profile is billing data (B1: sign-up starts it from the
        # owner's address); the owner's login appears nowhere else.
        assert "owner-walk@example.org" not in json.dumps(_without_billing_emails(body)), (name, body)
    roots = set(walk.schema.query_type.fields) | set(walk.schema.mutation_type.fields)
    assert walked == roots
    # Nothing the operator sent changed any content.
    assert await Dossier.all().count() == 1 and await Entry.all().count() == 1
    assert (await Dossier.first()).client_name == f"{SECRET} name"
