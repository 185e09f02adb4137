"""How Casebook executes a GraphQL operation: graphql-core's executor (through
strawberry's execution context), with

* the type rules of schema/rules.py applied to every object completed — audiences
  (T4, P3, account data for the acting account only) and the access log of content
  reads (P2), written in one insert before the response leaves; and
* a compiled completion (`CompiledExecutor`) for the shapes the API is read in: an
  object whose selected fields are plain attributes, or resolvers with scalar arguments
  and scope checks only, is completed by a plan built once per (type, selection) and
  reused across requests; lists of such objects are completed column by column, so the
  DataLoaders below them batch across the whole list. Anything the plan does not cover
  — directives, abstract types, input-object or enum arguments, other field extensions,
  a null where the schema says non-null, an error, a refused audience — falls back to
  the standard completion, which then gives exactly its usual result, errors and paths
  included (tests/api/test_executor_differential.py runs every query both ways).
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any

from graphql import (
    GraphQLError, GraphQLList, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type, is_object_type,
)
from graphql.execution.values import get_argument_values
from graphql.language import DirectiveNode, FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.permission import PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from auth.audiences import may_see
from auth.permissions import HasScopes
from schema.rules import TypeRules, is_content, rules_of, strawberry_field

log = logging.getLogger("casebook.executor")


class AudienceRefused(GraphQLError):
    def __init__(self) -> None:
        super().__init__("Your access does not reach this.", extensions={"code": "FORBIDDEN"})


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
        if type_rules.audience is not None and not may_see(
                getattr(context, "principal", None), type_rules.audience, getattr(obj, "account_id", None),
                own=getattr(obj, "viewer_own", False)):
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
            return done

        return recorded()


class Fallback(Exception):
    """The compiled plan does not cover this value: complete it the standard way."""


class _Info:
    """What compiled resolver calls get as `info`: the context, nothing else (a resolver
    asking for more raises AttributeError, which falls back to the standard path)."""

    __slots__ = ("context",)

    def __init__(self, context: Any) -> None:
        self.context = context


# Shapes of a value's type: ("nonnull", inner) ("list", inner) ("leaf", type) ("object", plan)
_NONNULL, _LIST, _LEAF, _OBJECT = 0, 1, 2, 3
_TYPENAME, _ATTR, _CALL = 0, 1, 2
_SIMPLE_ARGUMENT_TYPES = frozenset({"Int", "Float", "String", "Boolean", "ID"})


class FieldPlan:
    __slots__ = ("key", "kind", "value", "shape", "field_def", "node", "strawberry", "scopes", "info_name",
                 "has_objects")

    def __init__(self, key: str, kind: int, value: Any, shape: Any = None, field_def: Any = None,
                 node: Any = None, strawberry: Any = None, scopes: tuple = (), info_name: str | None = None):
        self.key, self.kind, self.value, self.shape = key, kind, value, shape
        self.field_def, self.node, self.strawberry, self.scopes, self.info_name = (
            field_def, node, strawberry, scopes, info_name)
        self.has_objects = _has_objects(shape)


class ObjectPlan:
    __slots__ = ("type", "fields", "rules", "reads_content", "is_type_of", "nodes")

    def __init__(self, object_type: GraphQLObjectType, nodes: tuple) -> None:
        self.type = object_type
        self.fields: list[FieldPlan] = []
        self.rules = rules_of(object_type)
        self.reads_content = False
        self.is_type_of = object_type.is_type_of
        self.nodes = nodes  # keeps the field nodes alive while the plan is cached under their ids


def _has_objects(shape: Any) -> bool:
    while shape is not None and shape[0] in (_NONNULL, _LIST):
        shape = shape[1]
    return shape is not None and shape[0] is _OBJECT


_PLANS: dict[tuple, ObjectPlan | None] = {}
_MAX_PLANS = 4096
_DIRECTIVE_FREE: dict[int, tuple[Any, bool]] = {}


def _has_directives(node: Any, fragments: dict, seen: set[str]) -> bool:
    selection_set = getattr(node, "selection_set", None)
    if getattr(node, "directives", None):
        return True
    if selection_set is None:
        return False
    for selection in selection_set.selections:
        if selection.directives:
            return True
        if isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in seen:
                continue
            seen.add(name)
            fragment = fragments.get(name)
            if fragment is not None and (fragment.directives or _has_directives(fragment, fragments, seen)):
                return True
        elif isinstance(selection, (FieldNode, InlineFragmentNode)) and _has_directives(selection, fragments, seen):
            return True
    return False


class CompiledExecutor(CasebookExecutor):
    """`CasebookExecutor` with compiled completion of the hot shapes (see module doc)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._compilable = self._operation_compilable()
        self._call_args: dict[int, Any] = {}
        self._scopes_ok: dict[tuple, bool] = {}
        self._info = _Info(self.context_value)

    def _operation_compilable(self) -> bool:
        operation = self.operation
        cached = _DIRECTIVE_FREE.get(id(operation))
        if cached is not None and cached[0] is operation:
            return cached[1]
        free = not _has_directives(operation, self.fragment_definitions, set()) and not any(
            fragment.directives or fragment.variable_definitions for fragment in self.fragment_definitions.values())
        if len(_DIRECTIVE_FREE) > _MAX_PLANS:
            _DIRECTIVE_FREE.clear()
        _DIRECTIVE_FREE[id(operation)] = (operation, free)
        return free

    # -- entering the compiled path ---------------------------------------------------

    def complete_value(self, return_type, field_details_list, info, path, result, position_context):  # noqa: ANN001, ANN201, PLR0913
        shape = self._shape(return_type, field_details_list) if self._compilable else None
        if shape is None:
            return super().complete_value(return_type, field_details_list, info, path, result, position_context)

        async def compiled() -> Any:
            try:
                return (await self._complete_many(shape, [result]))[0]
            except Fallback:
                standard = CasebookExecutor.complete_value(self, return_type, field_details_list, info, path,
                                                           result, position_context)
                return await standard if self.is_awaitable(standard) else standard

        return compiled()

    # -- plans --------------------------------------------------------------------------

    def _shape(self, graphql_type: Any, field_details_list: Any) -> Any:
        """The shape of a value of this type, or None when the object inside is not compilable
        (leaves alone are not worth compiling: the standard path is as quick)."""
        if isinstance(graphql_type, GraphQLNonNull):
            inner = self._shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (_NONNULL, inner)
        if isinstance(graphql_type, GraphQLList):
            inner = self._shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (_LIST, inner)
        if is_object_type(graphql_type):
            plan = self._plan(graphql_type, field_details_list)
            return None if plan is None else (_OBJECT, plan)
        return None

    def _leaf_or_shape(self, graphql_type: Any, field_details_list: Any) -> Any:
        if isinstance(graphql_type, GraphQLNonNull):
            inner = self._leaf_or_shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (_NONNULL, inner)
        if isinstance(graphql_type, GraphQLList):
            inner = self._leaf_or_shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (_LIST, inner)
        if is_leaf_type(graphql_type):
            return (_LEAF, graphql_type)
        return self._shape(graphql_type, field_details_list)

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> ObjectPlan | None:
        if any(details.fragment_variable_values is not None for details in field_details_list):
            return None
        nodes = tuple(details.node for details in field_details_list)
        key = (object_type, tuple(map(id, nodes)))
        try:
            return _PLANS[key]
        except KeyError:
            pass
        plan = self._build_plan(object_type, field_details_list, nodes)
        if len(_PLANS) > _MAX_PLANS:
            _PLANS.clear()
        _PLANS[key] = plan
        return plan

    def _build_plan(self, object_type: GraphQLObjectType, field_details_list: Any, nodes: tuple) -> ObjectPlan | None:
        grouped = self.collect_subfields(object_type, field_details_list)[0]
        plan = ObjectPlan(object_type, nodes)
        for response_key, child_details in grouped.items():
            node = child_details[0].node
            name = node.name.value
            if name == "__typename":
                plan.fields.append(FieldPlan(response_key, _TYPENAME, object_type.name))
                continue
            field_def = object_type.fields.get(name)
            definition = strawberry_field(field_def) if field_def is not None else None
            if definition is None:
                return None
            shape = self._leaf_or_shape(field_def.type, child_details)
            if shape is None:
                return None
            if is_content(field_def):
                plan.reads_content = True
            if definition.is_basic_field:
                plan.fields.append(FieldPlan(response_key, _ATTR, definition.python_name, shape))
                continue
            call = self._call_plan(response_key, field_def, definition, node, shape)
            if call is None:
                return None
            plan.fields.append(call)
        return plan

    @staticmethod
    def _call_plan(key: str, field_def: Any, definition: Any, node: Any, shape: Any) -> FieldPlan | None:
        resolver = definition.base_resolver
        if resolver is None or resolver.self_parameter is None or resolver.root_parameter is not None:
            return None
        scopes: tuple = ()
        for extension in definition.extensions:
            if not isinstance(extension, PermissionExtension) or not all(
                    isinstance(permission, HasScopes) for permission in extension.permissions):
                return None
            scopes += tuple(scope for permission in extension.permissions for scope in permission.scopes)
        for argument in field_def.args.values():
            named = argument.type.of_type if isinstance(argument.type, GraphQLNonNull) else argument.type
            if getattr(named, "name", None) not in _SIMPLE_ARGUMENT_TYPES:
                return None
        info = resolver.info_parameter
        return FieldPlan(key, _CALL, resolver.wrapped_func, shape, field_def, node, definition, scopes,
                         info.name if info is not None else None)

    # -- running plans ------------------------------------------------------------------

    def _arguments(self, field: FieldPlan) -> dict[str, Any]:
        found = self._call_args.get(id(field))
        if found is None:
            principal = getattr(self.context_value, "principal", None)
            if field.scopes and (principal is None or any(scope not in principal.scopes for scope in field.scopes)):
                raise Fallback
            try:
                coerced = get_argument_values(field.field_def, field.node, self.variable_values, None,
                                              self.hide_suggestions)
            except GraphQLError:
                raise Fallback from None
            found = {argument.python_name: coerced[argument.graphql_name or argument.python_name]
                     for argument in field.strawberry.arguments
                     if (argument.graphql_name or argument.python_name) in coerced}
            if field.info_name is not None:
                found[field.info_name] = self._info
            self._call_args[id(field)] = found
        return found

    def _complete_leaves(self, shape: Any, values: list[Any]) -> list[Any]:
        """Complete values of a shape with no object inside (scalars, enums, lists of them)."""
        kind = shape[0]
        if kind is _LEAF:
            coerce = shape[1].coerce_output_value
            out = []
            for value in values:
                if value is None:
                    out.append(None)
                    continue
                try:
                    coerced = coerce(value)
                except Exception:  # noqa: BLE001 - the standard path reports it properly
                    raise Fallback from None
                if coerced is None or coerced is Undefined:
                    raise Fallback
                out.append(coerced)
            return out
        if kind is _NONNULL:
            if any(value is None for value in values):
                raise Fallback
            return self._complete_leaves(shape[1], values)
        flat, lengths = _flatten(values)
        return _regroup(self._complete_leaves(shape[1], flat), lengths)

    async def _complete_many(self, shape: Any, values: list[Any]) -> list[Any]:
        """Complete values of one shape, all at once (so what they load is batched)."""
        kind = shape[0]
        if kind is _LEAF:
            return self._complete_leaves(shape, values)
        if kind is _NONNULL:
            if any(value is None for value in values):
                raise Fallback
            return await self._complete_many(shape[1], values)
        if kind is _LIST:
            flat, lengths = _flatten(values)
            return _regroup(await self._complete_many(shape[1], flat), lengths)
        present = [value for value in values if value is not None]
        done = await self._complete_objects(shape[1], present)
        return done if len(present) == len(values) else _refill(done, values)

    async def _complete_objects(self, plan: ObjectPlan, objects: list[Any]) -> list[dict[str, Any]]:
        context = self.context_value
        rules, is_type_of = plan.rules, plan.is_type_of
        for obj in objects:
            if is_type_of is not None and not is_type_of(obj, None):
                raise Fallback
            if rules is not None:
                if rules.audience is not None and not may_see(getattr(context, "principal", None), rules.audience,
                                                              getattr(obj, "account_id", None),
                                                              own=getattr(obj, "viewer_own", False)):
                    raise Fallback
                if rules.reads is not None and plan.reads_content:
                    context.note_read(getattr(obj, rules.reads[0]), getattr(obj, rules.reads[1]))
        columns: list[tuple[FieldPlan, list[Any]]] = []
        awaiting: list[tuple[list[Any], int, Any]] = []
        try:
            self._fill_columns(plan, objects, columns, awaiting)
        except Fallback:
            _close(value for _, _, value in awaiting)
            raise
        if awaiting:
            results = await asyncio.gather(*(value for _, _, value in awaiting), return_exceptions=True)
            _raise_first(results)
            for (column, index, _), result in zip(awaiting, results):
                column[index] = result
        completed: list[tuple[str, Any]] = []
        nested: list[tuple[int, Any]] = []
        for position, (field, column) in enumerate(columns):
            if field.kind is _TYPENAME:
                completed.append((field.key, column))
            elif field.has_objects:
                completed.append((field.key, None))
                nested.append((position, self._complete_many(field.shape, column)))
            else:
                completed.append((field.key, self._complete_leaves(field.shape, column)))
        if nested:
            results = await asyncio.gather(*(done for _, done in nested), return_exceptions=True)
            _raise_first(results)
            for (position, _), result in zip(nested, results):
                completed[position] = (completed[position][0], result)
        return _rows(completed, len(objects))

    def _fill_columns(self, plan: ObjectPlan, objects: list[Any], columns: list, awaiting: list) -> None:
        """Each field's raw values for all objects; resolver calls are started, not awaited."""
        is_awaitable = self.is_awaitable
        for field in plan.fields:
            if field.kind is _TYPENAME:
                columns.append((field, [field.value] * len(objects)))
                continue
            if field.kind is _ATTR:
                attr = field.value
                try:
                    columns.append((field, [getattr(obj, attr) for obj in objects]))
                except AttributeError:
                    raise Fallback from None
                continue
            arguments = self._arguments(field)
            column: list[Any] = []
            for index, obj in enumerate(objects):
                try:
                    value = field.value(obj, **arguments)
                except Exception:  # noqa: BLE001 - the standard path raises it where it belongs
                    raise Fallback from None
                if is_awaitable(value):
                    awaiting.append((column, index, value))
                    value = None
                column.append(value)
            columns.append((field, column))


def _raise_first(results: list[Any]) -> None:
    """After a gather with return_exceptions: cancellation first, else any failure means
    the standard path (which raises the error where it belongs)."""
    for result in results:
        if isinstance(result, asyncio.CancelledError):
            raise result
    if any(isinstance(result, BaseException) for result in results):
        raise Fallback


def _flatten(values: list[Any]) -> tuple[list[Any], list[int | None]]:
    flat: list[Any] = []
    lengths: list[int | None] = []
    for value in values:
        if value is None:
            lengths.append(None)
        elif isinstance(value, (list, tuple)):
            lengths.append(len(value))
            flat.extend(value)
        else:
            raise Fallback
    return flat, lengths


def _close(values: Any) -> None:
    """Close coroutines that will never be awaited (a fallback came first)."""
    for value in values:
        close = getattr(value, "close", None)
        if close is not None:
            close()


def _rows(columns: list[tuple[str, list]], count: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [{} for _ in range(count)]
    for key, values in columns:
        for row, value in zip(rows, values):
            row[key] = value
    return rows


def _regroup(done: list[Any], lengths: list[int | None]) -> list[Any]:
    out: list[Any] = []
    start = 0
    for length in lengths:
        if length is None:
            out.append(None)
        else:
            out.append(done[start:start + length])
            start += length
    return out


def _refill(done: list[Any], values: list[Any]) -> list[Any]:
    it = iter(done)
    return [None if value is None else next(it) for value in values]


def executor_class(compiled: bool = True) -> type[CasebookExecutor]:
    return CompiledExecutor if compiled else CasebookExecutor


__all__ = ["AudienceRefused", "CasebookExecutor", "CompiledExecutor", "executor_class"]
