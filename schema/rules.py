"""Rules declared where a type is declared, applied by the execution context
(schema/executor.py) to every object it completes — through `node`, payloads, nested
fields, any path:

* `audience` — who may see objects of this type at all (auth/audiences.py: T4, P3,
  account data only for the acting account). An object its principal may not see is a
  top-level FORBIDDEN error at its path.
* `reads` — the attributes naming the dossier (and its account) an object's content
  belongs to; when a selection of the object includes a field declared with
  `metadata=CONTENT`, the read is recorded in the access log (P2), once per dossier and
  request, in one insert before the response leaves.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, TypeVar

from auth.audiences import Audience, may_see

T = TypeVar("T")
_CONTENT_KEY = "casebook.content"
# `strawberry.field(metadata=CONTENT)`: a field that shows dossier content (P2).
CONTENT = {_CONTENT_KEY: True}


@dataclass(frozen=True)
class TypeRules:
    audience: Audience | None = None
    # (dossier id attribute, account id attribute) of a content read.
    reads: tuple[str, str] | None = None


def rules(*, audience: Audience | None = None, reads: tuple[str, str] | None = None) -> Callable[[T], T]:
    def declare(cls: T) -> T:
        cls.__casebook_rules__ = TypeRules(audience, reads)  # type: ignore[attr-defined]
        return cls

    return declare


_BACKREF = "strawberry-definition"
_by_type: dict[Any, TypeRules | None] = {}


def sees(context: Any, audience: Audience, obj: Any) -> bool:
    """The one audience check of every path — the standard and the compiled completion,
    generated code, `node` — asked of the policy through auth/audiences.py. Whether a
    request sees dossier content at all is the same for all its objects, so the
    context remembers a yes (`sees_content`). The policy's answer depends only on the
    principal, the audience, the object's account and whether it is the viewer's own
    person: a request remembers each answer it got (`audience_answers`), for the
    principal it was given to, so twenty teammates of one account ask once."""
    if audience is Audience.CONTENT and getattr(context, "sees_content", False):
        return True
    principal = getattr(context, "principal", None)
    account_id, own = getattr(obj, "account_id", None), getattr(obj, "viewer_own", False)
    answers = getattr(context, "audience_answers", None)
    if answers is None:
        return may_see(principal, audience, account_id, own=own)
    key = (audience, account_id, own)
    known = answers.get(key)
    if known is not None and known[0] is principal:
        return known[1]
    answer = may_see(principal, audience, account_id, own=own)
    answers[key] = (principal, answer)
    return answer


def rules_of(graphql_type: Any) -> TypeRules | None:
    """The rules of a GraphQL object type (cached: the schema does not change)."""
    try:
        return _by_type[graphql_type]
    except KeyError:
        definition = (graphql_type.extensions or {}).get(_BACKREF)
        origin = getattr(definition, "origin", None)
        found = getattr(origin, "__casebook_rules__", None)
        _by_type[graphql_type] = found
        return found


def is_content(field_def: Any) -> bool:
    definition = (field_def.extensions or {}).get(_BACKREF)
    return bool(getattr(definition, "metadata", None) and definition.metadata.get(_CONTENT_KEY))


def strawberry_field(field_def: Any) -> Any:
    return (field_def.extensions or {}).get(_BACKREF)


# A resolver's batch form: `@batched(load_all)` on a resolver method lets the compiled
# completion call `load_all(objects, info, **arguments)` once for a whole list of objects
# (returning one value per object) instead of the resolver once per object. The resolver
# itself stays the reference: both must give the same values.
BATCH_ATTRIBUTE = "__casebook_batch__"
# And its form completing from records, for a list or connection whose selection that
# covers (schema/record_completion.py): `from_records(objects, selection, info,
# **arguments)` gives each object's value already completed, as a `ListRead` (read with
# the object's other lists in one statement) or an awaitable.
RECORDS_ATTRIBUTE = "__casebook_from_records__"


def batched(load_all: Callable[..., Any], from_records: Callable[..., Any] | None = None) -> Callable[[T], T]:
    def declare(resolver: T) -> T:
        setattr(resolver, BATCH_ATTRIBUTE, load_all)
        if from_records is not None:
            setattr(resolver, RECORDS_ATTRIBUTE, from_records)
        return resolver

    return declare
