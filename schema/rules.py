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

from auth.audiences import Audience

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
