"""How Casebook executes a GraphQL operation, as far as rules go: graphql-core's executor
(through strawberry's execution context), with the type rules of schema/rules.py
applied to every object completed — audiences (T4, P3, account data for the acting
account only, asked of the policy through `schema.rules.sees`) and the access log of
content reads (P2), written in one insert before the response leaves.

The speed machinery — plans compiled per selection, generated code — is
schema/compiled.py (with schema/plans.py and schema/codegen.py); it applies these same
rules by the same functions and falls back to this executor for anything else.
"""
from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError, GraphQLObjectType
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from domain.core.errors import Forbidden
from schema.rules import TypeRules, is_content, rules_of, sees

log = logging.getLogger("casebook.executor")


class AudienceRefused(Forbidden):
    """An object of a type whose audience excludes the principal (auth/audiences.py)."""

    def __init__(self) -> None:
        super().__init__("Your access does not reach this.")


class CasebookExecutor(StrawberryGraphQLCoreExecutionContext):
    """The standard completion with the type rules applied to every object."""

    def complete_object_value(self, return_type, field_details_list, info, path, result, position_context):  # noqa: ANN001, ANN201, PLR0913
        type_rules = rules_of(return_type)
        if type_rules is not None:
            self.apply_rules(type_rules, return_type, field_details_list, result)
        return super().complete_object_value(return_type, field_details_list, info, path, result,
                                             position_context)

    def apply_rules(self, type_rules: TypeRules, return_type: GraphQLObjectType, field_details_list: Any,
                    obj: Any) -> None:
        context = self.context_value
        if type_rules.audience is not None and not sees(context, type_rules.audience, obj):
            raise AudienceRefused()
        if type_rules.reads is not None and self.selects_content(return_type, field_details_list):
            context.note_read(getattr(obj, type_rules.reads[0]), getattr(obj, type_rules.reads[1]))

    def selects_content(self, return_type: GraphQLObjectType, field_details_list: Any) -> bool:
        grouped = self.collect_subfields(return_type, field_details_list)[0]
        fields = return_type.fields
        return any(is_content(fields[details[0].node.name.value])
                   for details in grouped.values() if details[0].node.name.value in fields)

    def execute_operation(self, serially: bool | None = None):  # noqa: ANN201
        """Record the content reads of this operation (P2) before its result is used:
        content never leaves without its read on record."""
        result = super().execute_operation(serially)
        flush = getattr(self.context_value, "flush_reads", None)
        if flush is None:
            return result

        async def recorded() -> Any:
            done = await result if self.is_awaitable(result) else result
            try:
                await flush()
            except Exception:  # noqa: BLE001 - no content without its read on record
                log.exception("could not record the content reads of a request; its data is withheld")
                done.data = None
                done.errors = [*(done.errors or []), GraphQLError(
                    "Internal error; quote the requestId when reporting it.",
                    extensions={"code": "INTERNAL_SERVER_ERROR"})]
            self.let_go()
            return done

        return recorded()

    def let_go(self) -> None:
        """Break graphql-core's own reference cycle once the operation is done: its
        executor holds its bound methods (`async_helpers`), so the executor and all a
        request read — context, loaders, rows — waited for the cyclic collector (about
        330 objects a dossier page, and collections of them 0.4 ms a page). Without the
        cycle they are freed as soon as the response no longer needs them."""
        self.async_helpers = None  # type: ignore[assignment]


__all__ = ["AudienceRefused", "CasebookExecutor"]
