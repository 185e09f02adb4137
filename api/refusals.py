"""A mutation refused by a limit, answered the way its payload can carry it: the root
field answers its payload with `userErrors: [RATE_LIMITED]`, its other fields null (or
false, or empty), so a client handles it where it handles every other refusal (API.md:
RATE_LIMITED "also as a userError where a payload can carry it"). Two cases: the cost
budget refused the whole mutation before it ran (`refused_mutation`), or a sign-in door
(auth/rate_limit.py) refused one root field (`door_refusals_in_payloads`). Where the
document does not select `userErrors`, or asks for something a refusal cannot answer (a
non-null field, a directive), the top-level error stays."""
from __future__ import annotations

from typing import Any, Iterator

from graphql import (
    FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLBoolean, GraphQLList, GraphQLNonNull,
    GraphQLObjectType, GraphQLSchema, InlineFragmentNode, OperationDefinitionNode, OperationType, SelectionSetNode,
)
from strawberry.extensions import SchemaExtension

from api.http import exchange_var

RATE_LIMITED = "RATE_LIMITED"


class _CannotAnswer(Exception):
    pass


def _fields(parent: GraphQLObjectType, selection_set: SelectionSetNode | None,
            fragments: dict[str, FragmentDefinitionNode]) -> list[FieldNode]:
    found: list[FieldNode] = []
    for selection in (selection_set.selections if selection_set else ()):
        if selection.directives:
            raise _CannotAnswer()
        if isinstance(selection, FieldNode):
            found.append(selection)
            continue
        if isinstance(selection, FragmentSpreadNode):
            fragment = fragments.get(selection.name.value)
            if fragment is None:
                raise _CannotAnswer()
            condition, inner = fragment.type_condition.name.value, fragment.selection_set
        elif isinstance(selection, InlineFragmentNode):
            condition = selection.type_condition.name.value if selection.type_condition else parent.name
            inner = selection.selection_set
        else:
            raise _CannotAnswer()
        if condition == parent.name:
            found += _fields(parent, inner, fragments)
    return found


def _object(parent: GraphQLObjectType, selection_set: SelectionSetNode | None,
            fragments: dict[str, FragmentDefinitionNode], values: dict[str, Any]) -> dict[str, Any]:
    answer: dict[str, Any] = {}
    for node in _fields(parent, selection_set, fragments):
        name, key = node.name.value, (node.alias or node.name).value
        if name == "__typename":
            answer[key] = parent.name
        elif name in values:
            answer[key] = values[name](node)
        else:
            field = parent.fields.get(name)
            if field is None:
                raise _CannotAnswer()
            kind = field.type
            if not isinstance(kind, GraphQLNonNull):
                answer[key] = None
            elif kind.of_type is GraphQLBoolean:
                answer[key] = False
            elif isinstance(kind.of_type, GraphQLList):
                answer[key] = []
            else:
                raise _CannotAnswer()
    return answer


def _payload_builder(schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode]) -> Any:
    root, user_error = schema.mutation_type, schema.get_type("UserError")

    def build(node: FieldNode, message: str) -> dict[str, Any]:
        if root is None or not isinstance(user_error, GraphQLObjectType) or node.name.value not in root.fields:
            raise _CannotAnswer()
        kind = root.fields[node.name.value].type
        while isinstance(kind, (GraphQLNonNull, GraphQLList)):
            kind = kind.of_type
        if not isinstance(kind, GraphQLObjectType) or "userErrors" not in kind.fields:
            raise _CannotAnswer()
        if not any(field.name.value == "userErrors" for field in _fields(kind, node.selection_set, fragments)):
            raise _CannotAnswer()  # a client that does not ask for userErrors would never see it

        def error(inner: FieldNode) -> list[dict[str, Any]]:
            return [_object(user_error, inner.selection_set, fragments, {
                "code": lambda _: RATE_LIMITED, "message": lambda _: message, "field": lambda _: None})]

        return _object(kind, node.selection_set, fragments, {"userErrors": error})

    return build


def _operation(document: Any, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                  and (operation_name is None or (d.name and d.name.value == operation_name))]
    return operations[0] if len(operations) == 1 else None


def door_refusals_in_payloads(schema: GraphQLSchema, document: Any, operation_name: str | None,
                              result: Any) -> int | None:
    """Moves the top-level RATE_LIMITED of a door (auth/rate_limit.py) that refused a
    mutation into that mutation's payload, where its selection allows; returns the
    longest `retryAfterSeconds` moved, or None when nothing was."""
    operation = _operation(document, operation_name)
    data, errors = getattr(result, "data", None), getattr(result, "errors", None)
    if operation is None or operation.operation is not OperationType.MUTATION or not errors:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    build = _payload_builder(schema, fragments)
    try:
        nodes = {(node.alias or node.name).value: node
                 for node in _fields(schema.mutation_type, operation.selection_set, fragments)}
    except _CannotAnswer:
        return None
    rebuilt = data is None
    if rebuilt:
        # A non-null payload's error nulled the whole answer: rebuilt only when every root
        # field was refused by a door (nothing else's answer was lost).
        refused = {(e.path or [None])[0] for e in errors if (e.extensions or {}).get("code") == RATE_LIMITED
                   and len(e.path or []) == 1}
        if len(refused) != len(errors) or set(nodes) - {"__typename"} != refused:
            return None
        data = {key: "Mutation" for key, node in nodes.items() if node.name.value == "__typename"}
        for key in refused:
            data[key] = None
        result.data = data
    moved: int | None = None
    for error in list(errors):
        extensions = error.extensions or {}
        path = error.path or []
        if extensions.get("code") != RATE_LIMITED or len(path) != 1 or data.get(path[0]) is not None \
                or path[0] not in nodes:
            continue
        try:
            data[path[0]] = build(nodes[path[0]], error.message)
        except _CannotAnswer:
            continue
        errors.remove(error)
        moved = max(moved or 0, int(extensions.get("retryAfterSeconds") or 1))
    if rebuilt and any((e.extensions or {}).get("code") == RATE_LIMITED for e in errors):
        result.data = None  # a payload could not carry it: the answer stays as it was
        return None
    if not errors:
        result.errors = None
    return moved


def refused_mutation(schema: GraphQLSchema, document: Any, operation_name: str | None,
                     message: str) -> dict[str, Any] | None:
    """The `data` of a mutation refused by a limit before it ran, or None when it is no
    mutation or its selection cannot be answered that way."""
    operation = _operation(document, operation_name)
    root = schema.mutation_type
    if operation is None or operation.operation is not OperationType.MUTATION or root is None:
        return None
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    build = _payload_builder(schema, fragments)
    try:
        return _object(root, operation.selection_set, fragments,
                       {name: (lambda node: build(node, message)) for name in root.fields})
    except _CannotAnswer:
        return None


class DoorRefusalsInPayloads(SchemaExtension):
    """After a mutation ran: a door's RATE_LIMITED goes into the payload's userErrors
    (`door_refusals_in_payloads`), and the response says when to retry (Retry-After)."""

    def on_execute(self) -> Iterator[None]:
        yield
        ctx = self.execution_context
        if ctx.graphql_document is None or ctx.result is None:
            return
        answer_door_refusals_in_payloads(ctx.schema._schema, ctx.graphql_document, ctx.operation_name, ctx.result)


def answer_door_refusals_in_payloads(schema: GraphQLSchema, document: Any, operation_name: str | None,
                                     result: Any) -> None:
    """`door_refusals_in_payloads`, and the response's Retry-After when one was moved
    (also for api/prepared.py)."""
    retry_after = door_refusals_in_payloads(schema, document, operation_name, result)
    if retry_after is not None:
        exchange = exchange_var.get()
        if exchange is not None:
            exchange.headers["Retry-After"] = str(retry_after)
