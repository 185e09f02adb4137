"""The compiled completion (`CompiledExecutor`): the speed machinery on top of the rules
executor (schema/executor.py). An object whose selected fields are plain attributes, or
resolvers with scalar arguments and scope checks only, is completed by a plan built
once per (type, selection) and reused across requests; lists of such objects are
completed column by column, so the DataLoaders below them batch across the whole list.
Anything the plan does not cover — directives, abstract types, input-object or enum
arguments, other field extensions, a null where the schema says non-null, an error, a
refused audience — falls back to the standard completion, which then gives exactly its
usual result, errors and paths included (tests/api/schema/test_executor_differential.py runs
every query both ways). Rules are applied by the same functions as the standard path
(`schema.rules.sees`, the scope check of auth/permissions.py). On PostgreSQL a list
relation with a form completing from records (`schema.rules.batched`) comes back already
completed when that form covers its selection (schema/record_completion.py)."""
from __future__ import annotations

import asyncio
from itertools import repeat
from operator import attrgetter, is_
from typing import Any

from graphql import GraphQLError, GraphQLList, GraphQLNonNull, GraphQLObjectType, is_leaf_type, is_object_type
from graphql.execution.values import get_argument_values
from graphql.language import FieldNode, FragmentSpreadNode, InlineFragmentNode
from tortoise import connections

from auth.audiences import Audience
from auth.permissions import waved_through
from infra.db import dialect
from schema.codegen import generate
from schema.direct import plain_resolver
from schema.executor import CasebookExecutor
from schema.plans import (
    ATTR, BATCH, CALL, LEAF, LIST, NONNULL, OBJECT, SIMPLE_ARGUMENT_TYPES, TYPENAME, Completed, Fallback, FieldPlan,
    Info, Later, ObjectPlan, close, flatten, leaves, raise_first, refill, regroup, then,
)
from schema.record_completion import ListRead, read_lists, record_completion
from schema.rules import BATCH_ATTRIBUTE, RECORDS_ATTRIBUTE, is_content, sees, strawberry_field


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
        self._info = Info(self.context_value)
        self._records: bool | None = None  # `_on_records()`, asked once per request

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
        try:
            done = self._complete_many(shape, [result])
        except Fallback:
            return super().complete_value(return_type, field_details_list, info, path, result, position_context)
        if not isinstance(done, Later):
            return done[0]

        async def finish() -> Any:
            try:
                return (await done)[0]
            except Fallback:
                standard = CasebookExecutor.complete_value(self, return_type, field_details_list, info, path,
                                                           result, position_context)
                return await standard if self.is_awaitable(standard) else standard

        return finish()

    # -- plans --------------------------------------------------------------------------

    def _shape(self, graphql_type: Any, field_details_list: Any) -> Any:
        """The shape of a value of this type, or None when the object inside is not compilable
        (leaves alone are not worth compiling: the standard path is as quick)."""
        if isinstance(graphql_type, GraphQLNonNull):
            inner = self._shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (NONNULL, inner)
        if isinstance(graphql_type, GraphQLList):
            inner = self._shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (LIST, inner)
        if is_object_type(graphql_type):
            plan = self._plan(graphql_type, field_details_list)
            return None if plan is None else (OBJECT, plan)
        return None

    def _leaf_or_shape(self, graphql_type: Any, field_details_list: Any) -> Any:
        if isinstance(graphql_type, GraphQLNonNull):
            inner = self._leaf_or_shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (NONNULL, inner)
        if isinstance(graphql_type, GraphQLList):
            inner = self._leaf_or_shape(graphql_type.of_type, field_details_list)
            return None if inner is None else (LIST, inner)
        if is_leaf_type(graphql_type):
            return (LEAF, graphql_type)
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
                plan.fields.append(FieldPlan(response_key, TYPENAME, object_type.name))
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
                plan.fields.append(FieldPlan(response_key, ATTR, definition.python_name, shape))
                continue
            call = self._call_plan(response_key, field_def, definition, node, shape)
            if call is None:
                return None
            plan.fields.append(call)
        plan.keys = tuple(field.key for field in plan.fields)
        plan.run = generate(plan)
        return plan

    @staticmethod
    def _call_plan(key: str, field_def: Any, definition: Any, node: Any, shape: Any) -> FieldPlan | None:
        plain = plain_resolver(definition)
        if plain is None or not plain.takes_self:
            return None
        for argument in field_def.args.values():
            named = argument.type.of_type if isinstance(argument.type, GraphQLNonNull) else argument.type
            if getattr(named, "name", None) not in SIMPLE_ARGUMENT_TYPES:
                return None
        batch = getattr(plain.func, BATCH_ATTRIBUTE, None)
        if batch is not None:
            field = FieldPlan(key, BATCH, batch, shape, field_def, node, definition, plain.scopes, plain.info_name,
                              plain.guarded)
            from_records = getattr(plain.func, RECORDS_ATTRIBUTE, None)
            selection = record_completion(shape) if from_records is not None else None
            if selection is not None:
                field.from_records = (from_records, selection)
            return field
        return FieldPlan(key, CALL, plain.func, shape, field_def, node, definition, plain.scopes, plain.info_name,
                         plain.guarded)

    # -- running plans ------------------------------------------------------------------

    def _on_records(self) -> bool:
        """Whether lists may be completed from records (schema/record_completion.py): on
        PostgreSQL, whose driver's records hold Python values already (SQLite's rows need
        converting). Those forms ask the audiences of what they show themselves."""
        return dialect(connections.get("default")) == "postgres"

    def _ask_records(self) -> bool:
        self._records = self._on_records()
        return self._records

    def _arguments(self, field: FieldPlan) -> dict[str, Any]:
        found = self._call_args.get(id(field))
        if found is None:
            if field.guarded and not waved_through(getattr(self.context_value, "principal", None), field.scopes):
                raise Fallback  # the permission itself answers, on the standard path
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

    def _complete_many(self, shape: Any, values: list[Any]) -> Any:
        """Complete values of one shape, all at once (so what they load is batched): a
        list, or a `Later` when something below has to wait."""
        kind = shape[0]
        if kind is LEAF:
            return leaves(shape[1], values)
        if kind is NONNULL:
            if _holds_none(values):
                raise Fallback
            return self._complete_many(shape[1], values)
        if kind is LIST:
            flat, lengths = flatten(values)
            return then(self._complete_many(shape[1], flat), lambda done: regroup(done, lengths))
        if not _holds_none(values):
            return self._complete_objects(shape[1], values)
        present = [value for value in values if value is not None]
        return then(self._complete_objects(shape[1], present), lambda done: refill(done, values))

    def _complete_objects(self, plan: ObjectPlan, objects: list[Any]) -> Any:
        if not objects:
            return []
        if plan.run is not None:
            return plan.run(objects, self.context_value)
        context = self.context_value
        origin, is_type_of, rules = plan.origin, plan.is_type_of, plan.rules
        for obj in objects:
            if type(obj) is not origin and is_type_of is not None and not is_type_of(obj, None):
                raise Fallback
        if rules is not None:
            if rules.audience is Audience.CONTENT:  # the same answer for every object of a request
                if not sees(context, Audience.CONTENT, None):
                    raise Fallback
            elif rules.audience is not None:
                for obj in objects:
                    if not sees(context, rules.audience, obj):
                        raise Fallback
            if rules.reads is not None and plan.reads_content:
                # `Context.note_read` of each, in C: a page records twenty dossiers' reads.
                dossier_attr, account_attr = rules.reads
                try:
                    context.reads.update(zip(map(attrgetter(dossier_attr), objects),
                                             map(attrgetter(account_attr), objects)))
                except AttributeError:
                    raise Fallback from None
        columns: list[list[Any]] = []
        waits: list[tuple[list[Any], int | None, Any]] = []
        try:
            self._fill_columns(plan, objects, columns, waits)
        except Fallback:
            close(value for _, _, value in waits)
            raise
        if not waits:
            return self._finish(plan, columns, len(objects))
        waits = _lists_together(waits)
        return Later([value for _, _, value in waits], lambda: self._after_waits(plan, columns, waits, len(objects)))

    def _fill_columns(self, plan: ObjectPlan, objects: list[Any], columns: list, waits: list) -> None:
        """Each field's raw values for all objects; resolver calls are started, not awaited."""
        is_awaitable = self.is_awaitable
        for field in plan.fields:
            kind = field.kind
            if kind is TYPENAME:
                columns.append([field.value] * len(objects))
            elif kind is ATTR:
                try:  # read in C: a page's twenty dossiers have a handful of these each
                    columns.append(list(map(attrgetter(field.value), objects)))
                except AttributeError:
                    raise Fallback from None
            elif kind is BATCH:
                if field.from_records is not None and (
                        self._records if self._records is not None else self._ask_records()):
                    from_records, selection = field.from_records
                    try:
                        value = from_records(objects, selection, **self._arguments(field))
                    except Exception:  # noqa: BLE001 - the standard path raises it where it belongs
                        raise Fallback from None
                    column = Completed()
                    waits.append((column, None, value))
                    columns.append(column)
                    continue
                try:
                    value = field.value(objects, **self._arguments(field))
                except Exception:  # noqa: BLE001 - the standard path raises it where it belongs
                    raise Fallback from None
                column: list[Any] = []
                if is_awaitable(value):
                    waits.append((column, None, value))
                else:
                    column.extend(value)
                columns.append(column)
            else:
                arguments = self._arguments(field)
                column = []
                for index, obj in enumerate(objects):
                    try:
                        value = field.value(obj, **arguments)
                    except Exception:  # noqa: BLE001 - the standard path raises it where it belongs
                        raise Fallback from None
                    if is_awaitable(value):
                        waits.append((column, index, value))
                        value = None
                    column.append(value)
                columns.append(column)

    async def _after_waits(self, plan: ObjectPlan, columns: list, waits: list, count: int) -> list:
        if len(waits) == 1 or all(index is None for _, index, _ in waits):
            # One wait, or batch forms only: each is one whole list's read, which nothing
            # else joins, so they are awaited in turn (their statements take turns on the
            # request's connection anyway) instead of as tasks of a gather.
            results = []
            try:
                for position, (_, _, value) in enumerate(waits):
                    results.append(await value)
            except Exception:  # noqa: BLE001 - the standard path raises it where it belongs
                close(value for _, _, value in waits[position + 1:])
                raise Fallback from None
            except BaseException:  # cancelled, or closed: the forms not started are closed too
                close(value for _, _, value in waits[position + 1:])
                raise
        else:
            results = await asyncio.gather(*(value for _, _, value in waits), return_exceptions=True)
            raise_first(results)
        for (column, index, _), result in zip(waits, results):
            if column.__class__ is _ReadTogether:
                for each, values in zip(column, result):
                    _fill_batch(each, values, count)
            elif index is None:
                _fill_batch(column, result, count)
            else:
                column[index] = result
        done = self._finish(plan, columns, count)
        return await done if isinstance(done, Later) else done

    def _finish(self, plan: ObjectPlan, columns: list, count: int) -> Any:
        completed: list[Any] = []
        later: list[tuple[int, Later]] = []
        try:
            for position, (field, column) in enumerate(zip(plan.fields, columns)):
                if field.kind is TYPENAME or column.__class__ is Completed:
                    completed.append(column)
                    continue
                done = self._complete_many(field.shape, column)
                if isinstance(done, Later):
                    later.append((position, done))
                    done = None
                completed.append(done)
        except Fallback:
            close(done for _, done in later)
            raise
        keys = plan.keys
        if not later:
            return [dict(zip(keys, row)) for row in zip(*completed)] if completed else [{} for _ in range(count)]

        async def resume() -> list:
            if len(later) == 1:
                completed[later[0][0]] = await later[0][1]
            else:
                results = await asyncio.gather(*(done for _, done in later), return_exceptions=True)
                raise_first(results)
                for (position, _), result in zip(later, results):
                    completed[position] = result
            return [dict(zip(keys, row)) for row in zip(*completed)]

        return Later([done for _, done in later], resume)



class _ReadTogether(list):
    """The columns of the lists read in one statement (`_lists_together`)."""

    __slots__ = ()


def _lists_together(waits: list) -> list:
    """The waits with every `ListRead` (a batch form completing from records) made one
    wait: the lists of an object's fields (a page's entries, shares and assignees) are
    read in one statement, not one each."""
    lists = [(column, value) for column, _, value in waits if value.__class__ is ListRead]
    if not lists:
        return waits
    together = [(_ReadTogether(column for column, _ in lists), None, read_lists([value for _, value in lists]))]
    return [wait for wait in waits if wait[2].__class__ is not ListRead] + together


def _fill_batch(column: list, values: Any, count: int) -> None:
    """A batch form's values (one per object) into its column."""
    if not isinstance(values, (list, tuple)) or len(values) != count:
        raise Fallback
    column.extend(values)


def _holds_none(values: list[Any]) -> bool:
    """`None in values` by identity: `in` compares with `==`, which for a page of
    dataclass objects is a Python `__eq__` call per object."""
    return any(map(is_, values, repeat(None)))


def executor_class(compiled: bool = True) -> type[CasebookExecutor]:
    return CompiledExecutor if compiled else CasebookExecutor


__all__ = ["CompiledExecutor", "executor_class"]
