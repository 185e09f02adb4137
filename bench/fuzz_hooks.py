"""schemathesis hooks for `python -m bench.fuzz` (loaded via SCHEMATHESIS_HOOKS).

* strategies for the custom scalars schemathesis does not know (Decimal);
* with CASEBOOK_FUZZ_VARIABLES=1, arguments sent as variables, some of them of the
  wrong type (schemathesis and hypothesis-graphql only write arguments inline);
* `casebook_no_server_error`: the check that replaces schemathesis' `not_a_server_error`,
  which counts every GraphQL error with a `path` as a server error — here FORBIDDEN,
  NOT_FOUND, INVALID_INPUT… are expected answers to random input. A failure is a 5xx, a
  masked internal error (INTERNAL_SERVER_ERROR), or a resolver error without a code
  (every deliberate error carries one; api/extensions.py masks the rest)."""
from __future__ import annotations

import dataclasses
import os
import random
import zlib
from typing import Any

import schemathesis
from graphql import (
    ArgumentNode, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLSchema, NameNode, OperationDefinitionNode, TypeInfo, TypeInfoVisitor,
    VariableDefinitionNode, VariableNode, Visitor, parse, parse_type, print_ast,
    value_from_ast_untyped, visit,
)
from hypothesis import strategies as st
from schemathesis.graphql import nodes

schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(st.decimals(allow_nan=False, allow_infinity=False, places=2, min_value=-10**9, max_value=10**9)
              .map(str), st.text(max_size=12)).map(nodes.String))


@schemathesis.check
def casebook_no_server_error(ctx, response, case):  # noqa: ANN001, ANN201 - schemathesis' signature
    if response.status_code >= 500:
        raise AssertionError(f"HTTP {response.status_code}: {response.text[:300]}")
    if response.status_code != 200:
        return None  # 400/413/415: refused before execution, by design
    body = response.json()
    for error in body.get("errors") or []:
        code = (error.get("extensions") or {}).get("code")
        if code == "INTERNAL_SERVER_ERROR":
            raise AssertionError(f"masked internal error at {error.get('path')} "
                                 f"(requestId {(body.get('extensions') or {}).get('requestId')})")
        if "path" in error and not code:
            raise AssertionError(f"resolver error without an expected code: {error}")
    return None


# --- variables (an inline-only fuzz never exercises variable coercion) ----

# The kinds of wrong value a client sends for a variable, by the type it declares.
WRONG_VALUES: dict[str, list[Any]] = {
    "Int": ["5", 2**40, 1.5, True], "Float": ["1.5", [1]], "String": [5, {"a": 1}, ["x"]],
    "Boolean": ["true", 0], "ID": [{"id": 1}, 1.5],
    "Date": ["2026-02-30", "yesterday", 20260101], "DateTime": ["garbage", "2026-01-01T25:00:00Z", 0],
    "Decimal": ["abc", "1e999999", "NaN", [1]],
}


def lift_arguments(query: str, schema: GraphQLSchema, rng: random.Random | None = None) -> tuple[str, dict] | None:
    """The same operation with every literal argument sent as a variable of the
    argument's type (and, given `rng`, one of them wrong for its type one time in three);
    None when there is nothing to lift."""
    document = parse(query)
    type_info = TypeInfo(schema)
    definitions: list[VariableDefinitionNode] = []
    values: dict[str, Any] = {}
    leaves: list[tuple[tuple, str]] = []  # (path into `values`, scalar type name)

    class Lift(Visitor):
        def enter_argument(self, node: ArgumentNode, *_args: Any) -> Any:
            argument = type_info.get_argument()
            if argument is None or _has_variable(node.value):
                return None
            name = f"v{len(values)}"
            values[name] = value_from_ast_untyped(node.value)
            definitions.append(VariableDefinitionNode(variable=VariableNode(name=NameNode(value=name)),
                                                      type=parse_type(str(argument.type))))
            leaves.extend(((name, *path), scalar) for path, scalar in _scalar_leaves(values[name], argument.type))
            return ArgumentNode(name=node.name, value=VariableNode(name=NameNode(value=name)))

    lifted = visit(document, TypeInfoVisitor(type_info, Lift()))
    if not values:
        return None
    operations = [d for d in lifted.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return None
    operation = operations[0]
    with_variables = dataclasses.replace(
        operation, variable_definitions=tuple(operation.variable_definitions or ()) + tuple(definitions))
    lifted = dataclasses.replace(lifted, definitions=tuple(
        with_variables if definition is operation else definition for definition in lifted.definitions))
    if rng is not None and leaves and rng.random() < 1 / 3:
        path, scalar = rng.choice(leaves)
        holder: Any = values
        for step in path[:-1]:
            holder = holder[step]
        holder[path[-1]] = rng.choice(WRONG_VALUES[scalar])
    return print_ast(lifted), values


def _scalar_leaves(value: Any, type_: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """Where in `value` a scalar of a type in WRONG_VALUES sits: inside input objects and lists."""
    if value is None:
        return []
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        if not isinstance(value, list):
            return []
        return [leaf for i, item in enumerate(value) for leaf in _scalar_leaves(item, type_.of_type, (*path, i))]
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, dict):
            return []
        return [leaf for key, item in value.items() if key in type_.fields
                for leaf in _scalar_leaves(item, type_.fields[key].type, (*path, key))]
    return [(path, type_.name)] if getattr(type_, "name", None) in WRONG_VALUES else []


def _has_variable(value: Any) -> bool:
    found = []

    class Find(Visitor):
        def enter_variable(self, *_args: Any) -> None:
            found.append(True)

    visit(value, Find())
    return bool(found)


@schemathesis.hook
def before_call(ctx, case, kwargs):  # noqa: ANN001, ANN201 - schemathesis' signature
    """With CASEBOOK_FUZZ_VARIABLES=1, send the arguments as variables (python -m bench.fuzz
    --variables); the choice of a wrong value depends on the query only, so a run repeats."""
    if os.environ.get("CASEBOOK_FUZZ_VARIABLES") != "1" or not isinstance(case.body, str):
        return
    schema = case.operation.schema.client_schema
    lifted = lift_arguments(case.body, schema, random.Random(zlib.crc32(case.body.encode())))
    if lifted is not None:
        kwargs["json"] = {"query": lifted[0], "variables": lifted[1]}
