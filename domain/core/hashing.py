"""A frozen dataclass's hash, worked out once per object. Values that key per-request
caches and batch loaders (the actor, a page's slice) are hashed many times a request,
and a dataclass's generated `__hash__` is a Python call that hashes every field again
(a Python enum's hash is one more Python call each)."""
from __future__ import annotations

from dataclasses import fields
from typing import Any

_KEPT = "_fields_hash"


def fields_hash(self: Any) -> int:
    """Use as `__hash__ = fields_hash` in a frozen dataclass: equal objects (equal fields)
    hash alike, as with the generated hash, and the object is never changed afterwards."""
    try:
        return self.__dict__[_KEPT]
    except KeyError:
        value = hash(tuple(getattr(self, field.name) for field in fields(self)))
        object.__setattr__(self, _KEPT, value)
        return value
