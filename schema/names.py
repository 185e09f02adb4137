"""The schema's name converter: strawberry's, with the names of arguments and fields
remembered. Strawberry converts every argument's Python name to its GraphQL name on
every call of a resolver (`convert_arguments`), and every input field's for every input
object; the conversion is a pure function of the name, so each is made once."""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from strawberry.schema.name_converter import NameConverter
from strawberry.utils.str_converters import to_camel_case

_camel_case = lru_cache(maxsize=None)(to_camel_case)


class RememberingNameConverter(NameConverter):
    """`get_graphql_name` as strawberry's: the given GraphQL name, else the Python name
    in camel case (when the config asks for it), without its calls each time."""

    def get_graphql_name(self, obj: Any) -> str:
        name = obj.graphql_name
        if name is not None:
            return name
        assert obj.python_name
        return _camel_case(obj.python_name) if self.auto_camel_case else obj.python_name

    from_argument = get_graphql_name
    from_field = get_graphql_name
