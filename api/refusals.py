"""A mutation refused before it runs, answered the way its payload can carry it: every
selected root field answers its payload with `userErrors: [RATE_LIMITED]`, its other
fields null (or false, or empty), so a client handles it where it handles every other
refusal (API.md: RATE_LIMITED "also as a userError where a payload can carry it").
Nothing executes. Where the document asks for something a refusal cannot answer
(a non-null field, a directive), the caller answers a top-level error instead."""
from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLBoolean, GraphQLList, GraphQLNonNull,
    GraphQLObjectType, GraphQLSchema, InlineFragmentNode, OperationDefinitionNode, OperationType, SelectionSetNode,
)

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


def refused_mutation(schema: GraphQLSchema, document: Any, operation_name: str | None,
                     message: str) -> dict[str, Any] | None:
    """The `data` of a mutation refused by a limit, or None when it is no mutation or
    its selection cannot be answered that way."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)
                  and (operation_name is None or (d.name and d.name.value == operation_name))]
    if len(operations) != 1 or operations[0].operation is not OperationType.MUTATION:
        return None
    root = schema.mutation_type
    user_error = schema.get_type("UserError")
    if root is None or not isinstance(user_error, GraphQLObjectType):
        return None

    def error(node: FieldNode) -> list[dict[str, Any]]:
        return [_object(user_error, node.selection_set, fragments, {
            "code": lambda _: RATE_LIMITED, "message": lambda _: message, "field": lambda _: None})]

    def payload(node: FieldNode) -> dict[str, Any]:
        kind = root.fields[node.name.value].type
        while isinstance(kind, (GraphQLNonNull, GraphQLList)):
            kind = kind.of_type
        if not isinstance(kind, GraphQLObjectType) or "userErrors" not in kind.fields:
            raise _CannotAnswer()
        return _object(kind, node.selection_set, fragments, {"userErrors": error})

    try:
        values = {name: payload for name in root.fields}
        return _object(root, operations[0].selection_set, fragments, values)
    except _CannotAnswer:
        return None
