"""Known operations, run the short way (issue 27). A query or mutation whose document is
within the abuse limits and valid runs straight on graphql-core with the schema's
executor, and what the extensions and strawberry's view would do around it is done
here, by the same functions, in the same order:

1. the view: the JSON body read and checked (api/http.py), the context built;
2. the operation: priced and spent from the budget (`QueryCostLimiter.admit`), executed
   under the deadline (the schema's executor class), its errors passed to strawberry's
   `process_errors` (logged, field suggestions removed), a door's refusal of a mutation
   moved into its payload (`answer_door_refusals_in_payloads`), coded when nothing ran
   (`code_request_errors`), masked (`CasebookMaskErrors`), recorded for logs and
   metrics (`observe_operation`);
3. the response: `extensions` (cost, then the request id: the extensions' order), and
   the view's `process_result` and `create_response`.

strawberry's view and `Schema.execute` build an execution context, eight extension
objects and four stages of context managers for every request; on a cold CPU cache that
cost about 0.2 ms of the dossier page's 3.5 (bench/README.md, "ninth pass").

Everything else takes the usual way, which answers it as before: GET, a body that is
not a JSON object of the expected types, `extensions` (persisted queries), a server that
runs registered documents only (CASEBOOK_TRUSTED_DOCUMENTS=only), a document longer than
a persisted one may be (32 K characters), or that does not parse or breaks a limit or a
validation rule, a subscription or an operation that cannot be picked, and every request
when tracing is on (its extension adds spans). The choice is made before anything is
read or spent, so the usual way never repeats work this one began.
tests/api/http/test_prepared_operations.py compares the two ways, response for response."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, NamedTuple

from graphql import GraphQLError, OperationType, get_operation_ast, parse, specified_rules
from graphql.execution import ExecutionResult as GraphQLExecutionResult
from graphql.execution import MiddlewareManager, execute
from starlette.requests import Request
from starlette.responses import Response
from strawberry.execution.is_awaitable import optimized_is_awaitable
from strawberry.extensions import ParserCache
from strawberry.types.execution import ExecutionResult
from strawberry.utils.await_maybe import await_maybe

from api.abuse_limits import MAX_TOKENS, DocumentLimits, QueryCostLimiter, checked_document_errors, \
    validated_errors, validation_rules
from api.documents import MAX_DOCUMENT_BYTES
from api.extensions import CasebookMaskErrors, RequestErrorCodes, ResponseExtensions, code_request_errors, \
    response_extensions
from api.http import RequestRefused, parse_json_body, request_parameters
from api.observe import ObserveExtension, observe_operation
from api.refusals import DoorRefusalsInPayloads, answer_door_refusals_in_payloads
from infra.settings import Settings

_KNOWN_MAX = 512  # documents remembered, as the parser's and the validation's caches
# The extensions whose hooks `PreparedOperations.execute` does, in the schema's order
# (api.app.graphql_extensions). With any other list, every request takes the usual way.
MIRRORED = (DocumentLimits, QueryCostLimiter, ParserCache, ObserveExtension, CasebookMaskErrors, RequestErrorCodes,
            ResponseExtensions, DoorRefusalsInPayloads)


class Prepared(NamedTuple):
    """A query or mutation document that parsed, keeps within the limits and validated."""

    document: Any
    operation_name: str | None  # as strawberry names the operation it runs
    is_mutation: bool


class PreparedOperations:
    """The short way for one app's view (api/view.py)."""

    @classmethod
    def for_schema(cls, schema: Any, settings: Settings) -> "PreparedOperations | None":
        """The short way for `schema`, or None when its extensions are not the ones
        mirrored here (tracing adds its own, for one)."""
        # The schema lists classes or factories; each call makes a request's instance.
        if tuple(type(make()) for make in schema.extensions) != MIRRORED:
            return None
        return cls(schema, settings)

    def __init__(self, schema: Any, settings: Settings) -> None:
        self.schema = schema
        # strawberry validates with graphql-core's rules, and DocumentLimits adds these.
        self.rules = tuple(specified_rules) + validation_rules(settings)
        self.cost_limit = settings.query_cost_limit
        self._known: OrderedDict[tuple[str, str | None], Prepared | None] = OrderedDict()

    def prepared(self, query: str, operation_name: str | None) -> Prepared | None:
        """The document when it may run the short way, else None. Remembered
        per text and operation name either way, for texts of the size a persisted
        document may have (the memory a stream of distinct texts can take stays bounded)."""
        key = (query, operation_name)
        if key in self._known:
            self._known.move_to_end(key)
            return self._known[key]
        if len(query) > MAX_DOCUMENT_BYTES:
            return None
        found = self._prepare(query, operation_name)
        self._known[key] = found
        if len(self._known) > _KNOWN_MAX:
            self._known.popitem(last=False)
        return found

    def _prepare(self, query: str, operation_name: str | None) -> Prepared | None:
        try:
            document = parse(query, max_tokens=MAX_TOKENS)  # the parse options DocumentLimits sets
        except GraphQLError:
            return None
        if checked_document_errors(document) or validated_errors(self.schema._schema, document, self.rules):
            return None
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is OperationType.SUBSCRIPTION:
            return None
        # strawberry's ExecutionContext.operation_name: the one asked for, else the first's.
        name = operation_name if operation_name is not None else (operation.name.value if operation.name else None)
        return Prepared(document, name, operation.operation is OperationType.MUTATION)

    async def answer(self, view: Any, request: Request) -> Response | None:
        """The response to `request` the short way, or None: the usual way answers it."""
        if request.method != "POST":
            return None
        try:
            query, variables, operation_name, extensions = request_parameters(parse_json_body(await request.body()))
        except RequestRefused:
            return None
        if query is None or extensions is not None or view.documents.trusted_only:
            return None  # persisted or registered documents (api/documents.py)
        prepared = self.prepared(query, operation_name)
        if prepared is None:
            return None
        sub_response = await view.get_sub_response(request)
        context = await view.get_context(request, response=sub_response)
        result = await self.execute(prepared, variables, context)
        response_data = await view.process_result(request, result)
        if result.errors:
            view._handle_errors(result.errors, response_data)  # strawberry's hook (a no-op unless overridden)
        return view.create_response(response_data=response_data, sub_response=sub_response)

    async def execute(self, prepared: Prepared, variables: dict[str, Any] | None, context: Any) -> ExecutionResult:
        """strawberry's `Schema.execute` from the execution stage on, with the hooks of
        api.app.graphql_extensions (see the module's doc)."""
        schema, document, name = self.schema, prepared.document, prepared.operation_name
        cost = QueryCostLimiter(self.cost_limit)
        try:
            result = await cost.admit(schema._schema, document, name, variables, context)
            if result is None:
                result = await await_maybe(execute(
                    schema._schema, document, root_value=None, middleware=MiddlewareManager(),
                    variable_values=variables, operation_name=name, context_value=context,
                    is_awaitable=optimized_is_awaitable, executor_class=schema.execution_context_class,
                    operation_extensions=None))
            if result.errors:
                schema._process_errors(result.errors)  # its logger reads no execution context
            if prepared.is_mutation:
                answer_door_refusals_in_payloads(schema._schema, document, name, result)
            code_request_errors(result)
            if result.errors:
                CasebookMaskErrors()._process_result(result)
            observe_operation(context, document, name, schema, result)
        except Exception as error:  # noqa: BLE001 - as strawberry answers an exception of the operation
            result = GraphQLExecutionResult(data=None, errors=[
                error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)])
            schema._process_errors(result.errors)
        return ExecutionResult(data=result.data, errors=result.errors,
                               extensions={**cost.get_results(), **response_extensions(context)})
