"""The query-cost budget: what one GraphQL request may ask of the database, computed
from the document before anything runs (OWASP GraphQL: query cost analysis).

How a request is priced (documented for client developers in README):

* every object a field returns costs 1 plus what is selected inside it; scalars cost 0;
* a connection (a field with a `first` argument) costs 1 plus `first` (or `last`) times
  what is selected inside it — 20 when omitted, at most 100 (larger values are refused
  when run); its `edges` and `nodes` lists are not multiplied again, and its
  `totalCount` costs 1 (one counting statement);
* a plain list of objects (e.g. `Dossier.shares`) costs an estimated size
  (`LIST_ESTIMATES`, else `DEFAULT_LIST_ESTIMATE`) times one object;
* each mutation root field costs `MUTATION_COST` plus its payload selection;
* on an interface or union, inline fragments cost the most expensive type condition;
* introspection (`__schema`, `__type`, `__typename`) is free (off in production).

So `dossiers(first: 50) { edges { node { entries(first: 5) { edges { node { author
{ email } } } } shares { email } assignees { id } } } }` costs
1 + 50 × (1 + 1 + (1 + 5 × 3) + 10 + 5) = 1651 (edge, node, entries, shares, assignees). Over the limit (`QUERY_COST_LIMIT`, default 5000), the request
is refused before execution with the top-level error code QUERY_TOO_COMPLEX; every
executed response reports `extensions.cost = {requested, limit}`, and `budget` when the
caller's refilling budget (api/budget.py) was spent from.
"""
from __future__ import annotations

from typing import Any

from graphql import (
    FieldNode, FragmentDefinitionNode, FragmentSpreadNode, GraphQLError, GraphQLField,
    GraphQLInterfaceType, GraphQLList, GraphQLNamedType, GraphQLNonNull, GraphQLObjectType,
    GraphQLSchema, GraphQLUnionType, InlineFragmentNode, IntValueNode, OperationDefinitionNode,
    OperationType, SelectionSetNode, VariableNode,
)

DEFAULT_FIRST = 20
MAX_FIRST = 100
DEFAULT_LIST_ESTIMATE = 10
MUTATION_COST = 10
COUNT_COST = 1  # a connection's totalCount: one counting statement
# Plain lists whose typical size differs from the default (type.field -> rows).
LIST_ESTIMATES = {
    "Account.teammates": 20,
    "Account.ledger": 20,
    "OperatorAccount.ledger": 20,
    "Dossier.measurements": 20,
    "Dossier.shares": 10,
    "Dossier.assignees": 5,
    "Entry.revisions": 5,
    "Viewer.memberships": 5,
    "ActiveClientUsage.activeDossiers": 25,
}


class QueryTooComplex(GraphQLError):
    def __init__(self, requested: int, limit: int) -> None:
        super().__init__(
            f"This query would cost {requested} points; the limit is {limit}. Ask for fewer "
            "items per page (`first`) or fewer nested lists.",
            extensions={"code": "QUERY_TOO_COMPLEX", "cost": {"requested": requested, "limit": limit}},
        )


def _unwrap(graphql_type: Any) -> tuple[Any, bool]:
    """The named type behind NonNull/List wrappers, and whether a list was among them."""
    is_list = False
    while isinstance(graphql_type, (GraphQLNonNull, GraphQLList)):
        is_list = is_list or isinstance(graphql_type, GraphQLList)
        graphql_type = graphql_type.of_type
    return graphql_type, is_list


class _Pricer:
    """Prices selections; a fragment is priced once per type it is spread on, and that
    price reused wherever it is spread again (SPEC O3: linear in the document, however
    often fragments spread fragments)."""

    def __init__(self, schema: GraphQLSchema, fragments: dict[str, FragmentDefinitionNode],
                 variables: dict[str, Any]) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.priced: dict[tuple[str, str], int] = {}
        self.pricing: set[tuple[str, str]] = set()

    def first_of(self, node: FieldNode) -> int:
        for argument in node.arguments or ():
            if argument.name.value not in ("first", "last"):
                continue
            value: Any = None
            if isinstance(argument.value, VariableNode):
                value = self.variables.get(argument.value.name.value)
            elif isinstance(argument.value, IntValueNode):
                value = int(argument.value.value)
            if isinstance(value, int) and not isinstance(value, bool):
                return max(1, min(value, MAX_FIRST))
        return DEFAULT_FIRST

    def selection_cost(self, parent: GraphQLNamedType, selection_set: SelectionSetNode | None) -> int:
        """Fields on `parent` itself add up; type-conditioned fragments count their most
        expensive type."""
        if selection_set is None:
            return 0
        common = 0
        by_condition: dict[str, int] = {}
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                common += self.field_cost(parent, selection)
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = self.fragments.get(selection.name.value)
                if fragment is None:
                    continue
                condition = fragment.type_condition.name.value
                cost = self.fragment_cost(fragment, self.schema.get_type(condition) or parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition.name.value if selection.type_condition else parent.name
                cost = self.selection_cost(self.schema.get_type(condition) or parent, selection.selection_set)
            else:
                continue
            if condition == parent.name:
                common += cost
            else:
                by_condition[condition] = by_condition.get(condition, 0) + cost
        return common + max(by_condition.values(), default=0)

    def fragment_cost(self, fragment: FragmentDefinitionNode, target: GraphQLNamedType) -> int:
        key = (fragment.name.value, target.name)
        if key in self.priced:
            return self.priced[key]
        if key in self.pricing:  # a cycle (validation refuses those): adds nothing
            return 0
        self.pricing.add(key)
        cost = self.priced[key] = self.selection_cost(target, fragment.selection_set)
        self.pricing.discard(key)
        return cost

    def field_cost(self, parent: GraphQLNamedType, node: FieldNode) -> int:
        name = node.name.value
        if name.startswith("__"):
            return 0
        if not isinstance(parent, (GraphQLObjectType, GraphQLInterfaceType)):
            return 0
        field: GraphQLField | None = parent.fields.get(name)
        if field is None:
            return 0
        named, is_list = _unwrap(field.type)
        if name == "totalCount" and parent.name.endswith("Connection"):
            return COUNT_COST
        if not isinstance(named, (GraphQLObjectType, GraphQLInterfaceType, GraphQLUnionType)):
            return 0
        inner = self.selection_cost(named, node.selection_set)
        if "first" in field.args:  # a connection: one object, then `first` items inside
            counted = COUNT_COST if any(isinstance(selection, FieldNode) and selection.name.value == "totalCount"
                                        for selection in (node.selection_set.selections if node.selection_set
                                                          else ())) else 0
            return 1 + counted + self.first_of(node) * (inner - counted)
        if is_list and not (name in ("edges", "nodes") and parent.name.endswith("Connection")):
            return LIST_ESTIMATES.get(f"{parent.name}.{name}", DEFAULT_LIST_ESTIMATE) * (1 + inner)
        return 1 + inner


def query_cost(schema: GraphQLSchema, document: Any, operation_name: str | None,
               variables: dict[str, Any] | None) -> int:
    """The cost of the operation that would run (see the module docstring)."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments[definition.name.value] = definition
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    chosen = [op for op in operations if operation_name is None or (op.name and op.name.value == operation_name)]
    if not chosen:
        return 0
    operation = chosen[0]
    pricer = _Pricer(schema, fragments, variables or {})
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    if operation.operation is OperationType.MUTATION:
        total = 0
        for selection in operation.selection_set.selections:
            if isinstance(selection, FieldNode) and not selection.name.value.startswith("__"):
                total += MUTATION_COST + pricer.selection_cost(
                    _unwrap(root.fields[selection.name.value].type)[0], selection.selection_set)
            elif not isinstance(selection, FieldNode):
                total += pricer.selection_cost(root, SelectionSetNode(selections=(selection,)))
        return total
    return pricer.selection_cost(root, operation.selection_set)
