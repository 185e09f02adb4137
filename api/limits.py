"""GraphQL abuse limits (OWASP GraphQL cheat sheet), checked before anything executes.

| limit | value | refused with |
|---|---|---|
| depth of the selection | `MAX_DEPTH` = 10 (introspection not counted) | validation error |
| aliases per document | `MAX_ALIASES` = 15 | validation error |
| tokens per document | `MAX_TOKENS` = 2000 | syntax error |
| directives per document | `MAX_DIRECTIVES` = 10 | validation error |
| query cost | `QUERY_COST_LIMIT` (setting, default 5000; see api/cost.py) | QUERY_TOO_COMPLEX |
| items per page | `first` defaults to 20, at most 100 (schema/relay.page_size) | INVALID_INPUT |
| body size | `MAX_REQUEST_BYTES` (setting) | HTTP 413 |
| batched requests (JSON array bodies) | off | HTTP 400 |
| introspection | off in production | validation error |
| field suggestions ("did you mean") | always off (schema config) | — |

The validation rules are classes made once per app, so strawberry's validation cache
(keyed by the rule classes) keeps working; extensions are created per request.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator

from graphql import DirectiveNode, GraphQLError, ValidationRule
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.language.visitor import BREAK
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules, MaxAliasesLimiter, MaxTokensLimiter, QueryDepthLimiter, SchemaExtension,
)

from api.cost import QueryTooComplex, query_cost
from domain.core.settings import Settings

MAX_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
MAX_DIRECTIVES = 10


class MaxDirectivesRule(ValidationRule):
    """Directive overloading (`@a @a @a …` thousands of times) makes the server build one
    error per directive; graphql-core has no built-in cap, so count them."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self.count = 0

    def enter_directive(self, node: DirectiveNode, *_args: Any) -> Any:
        self.count += 1
        if self.count > MAX_DIRECTIVES:
            self.report_error(GraphQLError(
                f"The document uses more than {MAX_DIRECTIVES} directives.", node))
            return BREAK
        return None


def validation_rules(settings: Settings) -> tuple[type[ValidationRule], ...]:
    rules = [
        QueryDepthLimiter(max_depth=MAX_DEPTH).validation_rules[0],
        MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules[0],
        MaxDirectivesRule,
    ]
    if settings.is_production:
        rules.append(NoSchemaIntrospectionCustomRule)
    return tuple(rules)


class QueryCostLimiter(SchemaExtension):
    """Prices the operation about to run; over the budget, it does not run. Every
    executed response reports `extensions.cost = {requested, limit}`."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.requested: int | None = None

    def on_execute(self) -> Iterator[None]:
        ctx = self.execution_context
        if ctx.graphql_document is not None and ctx.result is None:
            self.requested = query_cost(ctx.schema._schema, ctx.graphql_document,
                                        ctx.operation_name, ctx.variables)
            if self.requested > self.limit:
                # A result set before execution makes strawberry skip executing.
                ctx.result = GraphQLExecutionResult(
                    data=None, errors=[QueryTooComplex(self.requested, self.limit)])
        yield

    def get_results(self) -> dict[str, Any]:
        if self.requested is None:
            return {}
        return {"cost": {"requested": self.requested, "limit": self.limit}}


def abuse_limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """Extension factories (one instance per request: strawberry shares instances
    between concurrent requests)."""
    rules = list(validation_rules(settings))
    cost_limit = settings.query_cost_limit
    return [
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: AddValidationRules(rules),
        lambda: QueryCostLimiter(cost_limit),
    ]
