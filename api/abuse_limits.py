"""GraphQL abuse limits (OWASP GraphQL cheat sheet; SPEC O3), checked before anything
executes, each in time linear in the document's size.

| limit | value | refused with |
|---|---|---|
| tokens per document | `MAX_TOKENS` = 2000 | syntax error (parsing stops) |
| nesting in the text | 200 (graphql-core's parser) | syntax error |
| depth of the selection | `MAX_DEPTH` = 10 (introspection fields not counted) | QUERY_TOO_COMPLEX |
| depth counting introspection | `MAX_INTROSPECTION_DEPTH` = 20 | QUERY_TOO_COMPLEX |
| aliases per operation | `MAX_ALIASES` = 15 | QUERY_TOO_COMPLEX |
| directives per operation | `MAX_DIRECTIVES` = 10 | QUERY_TOO_COMPLEX |
| fragment spreads per operation | `MAX_FRAGMENT_SPREADS` = 100 | QUERY_TOO_COMPLEX |
| selections per document | `MAX_SELECTIONS` = 2000 | QUERY_TOO_COMPLEX |
| same-name field pairs | `MAX_SAME_NAME_PAIRS` = 2000 | QUERY_TOO_COMPLEX |
| query cost | `QUERY_COST_LIMIT` (setting, default 5000; api/cost.py) | QUERY_TOO_COMPLEX |
| cost budget that refills | `COST_BUDGET_*` (settings; api/budget.py) | RATE_LIMITED + retryAfter |
| execution time | `EXECUTION_TIMEOUT_SECONDS` (setting, default 5; api/deadline.py) | DEADLINE_EXCEEDED |
| items per page | `first` defaults to 20, at most 100 (schema/relay.page_size) | INVALID_INPUT |
| body size | `MAX_REQUEST_BYTES` (setting) | HTTP 413 |
| introspection | off in production | validation error |

Aliases, directives, spreads and selections count a fragment's content once for every
path that spreads it, as execution would meet it (api/analysis.py computes that
without walking the paths). Documents over a limit are refused before graphql-core's
own validation runs, so no validation rule ever sees them; within the limits every
rule is cheap: graphql-core's OverlappingFieldsCanBeMerged, quadratic in fields that
share a response name, is bounded by `MAX_SAME_NAME_PAIRS`.
"""
from __future__ import annotations

from collections import OrderedDict

from typing import Any, AsyncIterator, Callable, Iterator

from graphql import GraphQLError, OperationDefinitionNode
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from api.analysis import Figures, analyse, same_name_pairs
from api.budget import Allowance, Spent, allowance_for, budget_key, cost_extension, header_fields, spend
from api.cost import QueryTooComplex, query_cost
from api.extensions import CasebookMaskErrors
from api.http import exchange_var
from api.refusals import refused_mutation
from infra.settings import Settings

MAX_TOKENS = 2000
MAX_DEPTH = 10
MAX_INTROSPECTION_DEPTH = 20  # graphql-core's own introspection query needs 14
MAX_ALIASES = 15
MAX_DIRECTIVES = 10
MAX_FRAGMENT_SPREADS = 100
MAX_SELECTIONS = 2000  # the introspection query: ~420 over its definitions
MAX_SAME_NAME_PAIRS = 2000


class LimitExceeded(GraphQLError):
    def __init__(self, message: str, limit: str, maximum: int, found: int,
                 node: OperationDefinitionNode | None = None) -> None:
        super().__init__(message, node, extensions={
            "code": "QUERY_TOO_COMPLEX", "limit": {"name": limit, "max": maximum, "found": min(found, 10**12)}})


def _name(operation: OperationDefinitionNode | None) -> str:
    return f"'{operation.name.value}'" if operation is not None and operation.name else "The operation"


def _figure_errors(figures: Figures, operation: OperationDefinitionNode | None,
                   what: str) -> list[GraphQLError]:
    errors: list[GraphQLError] = []
    name = _name(operation) if operation is not None else what
    if figures.depth > MAX_DEPTH:
        errors.append(LimitExceeded(f"{name} exceeds maximum operation depth of {MAX_DEPTH}.",
                                    "depth", MAX_DEPTH, figures.depth, operation))
    if figures.introspection_depth > MAX_INTROSPECTION_DEPTH:
        errors.append(LimitExceeded(
            f"{name} exceeds maximum operation depth of {MAX_INTROSPECTION_DEPTH}, introspection included.",
            "introspectionDepth", MAX_INTROSPECTION_DEPTH, figures.introspection_depth, operation))
    if figures.aliases > MAX_ALIASES:
        errors.append(LimitExceeded(
            f"{name} uses more than {MAX_ALIASES} aliases (each spread of a fragment counts its aliases again).",
            "aliases", MAX_ALIASES, figures.aliases, operation))
    if figures.directives > MAX_DIRECTIVES:
        errors.append(LimitExceeded(
            f"{name} uses more than {MAX_DIRECTIVES} directives (each spread of a fragment counts its "
            "directives again).", "directives", MAX_DIRECTIVES, figures.directives, operation))
    if figures.spreads > MAX_FRAGMENT_SPREADS:
        errors.append(LimitExceeded(
            f"{name} expands fragments more than {MAX_FRAGMENT_SPREADS} times (counting spreads inside "
            "spread fragments).", "fragmentSpreads", MAX_FRAGMENT_SPREADS, figures.spreads, operation))
    return errors


def document_errors(document: Any) -> list[GraphQLError]:
    """Why `document` is refused before validation, or nothing. Linear in its size."""
    figures = analyse(document)
    errors: list[GraphQLError] = []
    for operation, operation_figures in figures.operations.items():
        errors += _figure_errors(operation_figures, operation, "")
    if not errors:  # an unused fragment is validated too (and then refused as unused)
        for name, fragment_figures in figures.fragments.items():
            errors += _figure_errors(fragment_figures, None, f"Fragment '{name}'")
            if errors:
                break
    if figures.selections > MAX_SELECTIONS:
        errors.append(LimitExceeded(
            f"The document expands to more than {MAX_SELECTIONS} selections (each spread of a fragment "
            "counts its selections again).", "selections", MAX_SELECTIONS, figures.selections))
    if errors:
        return errors
    # Bounded now: the selections are capped, and so is their nesting.
    pairs = same_name_pairs(document)
    if pairs > MAX_SAME_NAME_PAIRS:
        errors.append(LimitExceeded(
            "The document repeats fields of one name in one selection set too often (fragments merged): "
            "ask for each field once per selection set.", "sameNamePairs", MAX_SAME_NAME_PAIRS, pairs))
    return errors


_CHECKED: "OrderedDict[int, tuple[Any, list[GraphQLError]]]" = OrderedDict()
_CHECKED_MAX = 512


def checked_document_errors(document: Any) -> list[GraphQLError]:
    """`document_errors`, once per document: the parser cache hands the same document
    object to every request with the same text, so its figures are remembered (the
    entry holds the document, so its id cannot be reused while remembered)."""
    found = _CHECKED.get(id(document))
    if found is not None and found[0] is document:
        _CHECKED.move_to_end(id(document))
        return found[1]
    errors = document_errors(document)
    _CHECKED[id(document)] = (document, errors)
    if len(_CHECKED) > _CHECKED_MAX:
        _CHECKED.popitem(last=False)
    return errors


_VALIDATED: "OrderedDict[int, tuple[Any, Any, tuple, list[GraphQLError]]]" = OrderedDict()


def validated_errors(schema: Any, document: Any, rules: tuple) -> list[GraphQLError]:
    """graphql-core's validation of `document`, once per document object, schema and rules
    (as `checked_document_errors`): strawberry's ValidationCache keys its cache by the
    document itself, which hashes the whole syntax tree on every request."""
    found = _VALIDATED.get(id(document))
    if found is not None and found[0] is document and found[1] is schema and found[2] == rules:
        _VALIDATED.move_to_end(id(document))
        return found[3]
    errors = validate_document(schema, document, rules)
    _VALIDATED[id(document)] = (document, schema, rules, errors)
    if len(_VALIDATED) > _CHECKED_MAX:
        _VALIDATED.popitem(last=False)
    return errors


class DocumentLimits(SchemaExtension):
    """Caps tokens at parsing; checks the document's figures before validation, and runs
    (cached) validation only on documents within them."""

    def __init__(self, rules: tuple) -> None:
        self.rules = rules

    def on_operation(self) -> Iterator[None]:
        # graphql-core counts comments too under `max_tokens`, and stops while skipping them.
        self.execution_context.parse_options["max_tokens"] = MAX_TOKENS
        yield

    def on_validate(self) -> Iterator[None]:
        ctx = self.execution_context
        errors = checked_document_errors(ctx.graphql_document)
        if not errors:
            ctx.validation_rules = ctx.validation_rules + self.rules
            errors = validated_errors(ctx.schema._schema, ctx.graphql_document, ctx.validation_rules)
        ctx.pre_execution_errors = errors
        yield


def validation_rules(settings: Settings) -> tuple[type, ...]:
    return (NoSchemaIntrospectionCustomRule,) if settings.is_production else ()


_PRICED: "OrderedDict[tuple, tuple[Any, int]]" = OrderedDict()


def _priced(schema: Any, document: Any, operation_name: str | None, variables: dict[str, Any] | None) -> int:
    """`query_cost`, remembered per document, operation and variables when the variables
    are plain values (the price depends on the document and on `first` values only)."""
    plain = not variables or all(value is None or isinstance(value, (str, int, float, bool))
                                 for value in variables.values())
    if not plain:
        return query_cost(schema, document, operation_name, variables)
    key = (id(document), operation_name, tuple(sorted((variables or {}).items())))
    found = _PRICED.get(key)
    if found is not None and found[0] is document:
        return found[1]
    cost = query_cost(schema, document, operation_name, variables)
    _PRICED[key] = (document, cost)
    if len(_PRICED) > _CHECKED_MAX:
        _PRICED.popitem(last=False)
    return cost


class QueryCostLimiter(SchemaExtension):
    """Prices the operation about to run; over the per-request limit, or beyond what the
    caller's budget holds now (api/budget.py), it does not run. Every executed response
    reports `extensions.cost = {requested, limit, budget}` and the RateLimit header fields."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.requested: int | None = None
        self.allowance: Allowance | None = None
        self.spent: Spent | None = None

    async def on_execute(self) -> AsyncIterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.result is None:
            # A result set before execution makes strawberry skip executing.
            ctx.result = await self.admit(ctx.schema._schema, ctx.graphql_document, ctx.operation_name,
                                          ctx.variables, ctx.context)
        yield

    async def admit(self, schema: Any, document: Any, operation_name: str | None, variables: dict[str, Any] | None,
                    context: Any) -> GraphQLExecutionResult | None:
        """Price the operation and spend it from the caller's budget: the answer instead
        of running it when it is refused, else None (also for api/prepared.py)."""
        self.requested = _priced(schema, document, operation_name, variables)
        if self.requested > self.limit:
            return GraphQLExecutionResult(data=None, errors=[QueryTooComplex(self.requested, self.limit)])
        try:
            return await self._spend(schema, document, operation_name, context)
        except Exception as error:  # noqa: BLE001 - answered like any error of the operation
            # The budget's counter failed (its database down, say). Raised from here it would
            # leave the extensions before masking runs, and strawberry would show its text
            # to the client uncoded and unlogged: masked here instead, by the same code
            # (logged with its traceback; an outage answers SERVICE_UNAVAILABLE, retryable).
            coerced = GraphQLError(str(error), original_error=error)
            return GraphQLExecutionResult(data=None, errors=CasebookMaskErrors()._process_errors([coerced]))

    async def _spend(self, schema: Any, document: Any, operation_name: str | None,
                     context: Any) -> GraphQLExecutionResult | None:
        settings, now = getattr(context, "settings", None), getattr(context, "security_now", None)
        if settings is None or now is None:
            return None  # not an HTTP request of ours (nothing to key a budget by)
        request, principal = getattr(context, "request", None), getattr(context, "principal", None)
        client = request.client.host if request is not None and getattr(request, "client", None) else "unknown"
        self.allowance = allowance_for(settings, principal)
        self.spent = await spend(settings, budget_key(principal, client), self.allowance, self.requested, now)
        if self.spent is None:
            return None
        exchange = exchange_var.get()
        if exchange is not None:
            exchange.headers.update(header_fields(self.allowance, self.spent))
        if self.spent.admitted:
            return None
        message = (f"This request costs {self.requested} points; the budget holds {self.spent.remaining} now and "
                   f"restores {self.allowance.restore_per_second} per second: retry in {self.spent.retry_after} "
                   "seconds.")
        data = refused_mutation(schema, document, operation_name, message)
        if data is not None:
            return GraphQLExecutionResult(data=data)
        return GraphQLExecutionResult(data=None, errors=[GraphQLError(message, extensions={
            "code": "RATE_LIMITED", "retryAfter": self.spent.retry_after,
            "cost": cost_extension(self.requested, self.limit, self.allowance, self.spent)})])

    def get_results(self) -> dict[str, Any]:
        if self.requested is None:
            return {}
        return {"cost": cost_extension(self.requested, self.limit, self.allowance, self.spent)}


def abuse_limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (one instance per request: strawberry shares instances
    between concurrent requests). Includes the validation cache: the app lists no other."""
    rules = validation_rules(settings)
    cost_limit = settings.query_cost_limit
    return [
        lambda: DocumentLimits(rules),
        lambda: QueryCostLimiter(cost_limit),
    ]
