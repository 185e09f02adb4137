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
    GraphQLEnumType, GraphQLError, GraphQLList, GraphQLNonNull, GraphQLObjectType, Undefined, is_leaf_type,
    is_object_type,
)
from graphql.execution.values import get_argument_values
from graphql.language import DirectiveNode, FieldNode, FragmentSpreadNode, InlineFragmentNode
from strawberry.permission import PermissionExtension
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.schema.types import base_scalars

from auth.audiences import Audience, may_see
from auth.permissions import HasScopes
from schema.rules import BATCH_ATTRIBUTE, TypeRules, is_content, rules_of, strawberry_field

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
_TYPENAME, _ATTR, _CALL, _BATCH = 0, 1, 2, 3
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
    __slots__ = ("type", "fields", "keys", "rules", "reads_content", "is_type_of", "origin", "nodes", "run")

    def __init__(self, object_type: GraphQLObjectType, nodes: tuple) -> None:
        self.type = object_type
        self.fields: list[FieldPlan] = []
        self.keys: tuple[str, ...] = ()
        self.rules = rules_of(object_type)
        self.reads_content = False
        self.is_type_of = object_type.is_type_of
        definition = (object_type.extensions or {}).get("strawberry-definition")
        self.origin = getattr(definition, "origin", None)
        self.nodes = nodes  # keeps the field nodes alive while the plan is cached under their ids
        # For a selection of plain attributes only (nested ones too): a generated function
        # completing a list of objects in one step (`_generate`); None otherwise.
        self.run: Any = None


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
        try:
            done = self._complete_many(shape, [result])
        except Fallback:
            return super().complete_value(return_type, field_details_list, info, path, result, position_context)
        if not isinstance(done, _Later):
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
        plan.keys = tuple(field.key for field in plan.fields)
        plan.run = _generate(plan)
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
        batch = getattr(resolver.wrapped_func, BATCH_ATTRIBUTE, None)
        if batch is not None:
            return FieldPlan(key, _BATCH, batch, shape, field_def, node, definition, scopes,
                             info.name if info is not None else None)
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

    def _complete_many(self, shape: Any, values: list[Any]) -> Any:
        """Complete values of one shape, all at once (so what they load is batched): a
        list, or a `_Later` when something below has to wait."""
        kind = shape[0]
        if kind is _LEAF:
            return _leaves(shape[1], values)
        if kind is _NONNULL:
            if None in values:
                raise Fallback
            return self._complete_many(shape[1], values)
        if kind is _LIST:
            flat, lengths = _flatten(values)
            return _then(self._complete_many(shape[1], flat), lambda done: _regroup(done, lengths))
        if None not in values:
            return self._complete_objects(shape[1], values)
        present = [value for value in values if value is not None]
        return _then(self._complete_objects(shape[1], present), lambda done: _refill(done, values))

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
            principal = getattr(context, "principal", None)
            if rules.audience is Audience.CONTENT:
                if not may_see(principal, Audience.CONTENT, None):
                    raise Fallback
            elif rules.audience is not None:
                for obj in objects:
                    if not may_see(principal, rules.audience, getattr(obj, "account_id", None),
                                   own=getattr(obj, "viewer_own", False)):
                        raise Fallback
            if rules.reads is not None and plan.reads_content:
                dossier_attr, account_attr = rules.reads
                for obj in objects:
                    context.note_read(getattr(obj, dossier_attr), getattr(obj, account_attr))
        columns: list[list[Any]] = []
        waits: list[tuple[list[Any], int | None, Any]] = []
        try:
            self._fill_columns(plan, objects, columns, waits)
        except Fallback:
            _close(value for _, _, value in waits)
            raise
        if not waits:
            return self._finish(plan, columns, len(objects))
        return _Later([value for _, _, value in waits], lambda: self._after_waits(plan, columns, waits, len(objects)))

    def _fill_columns(self, plan: ObjectPlan, objects: list[Any], columns: list, waits: list) -> None:
        """Each field's raw values for all objects; resolver calls are started, not awaited."""
        is_awaitable = self.is_awaitable
        for field in plan.fields:
            kind = field.kind
            if kind is _TYPENAME:
                columns.append([field.value] * len(objects))
            elif kind is _ATTR:
                attr = field.value
                try:
                    columns.append([getattr(obj, attr) for obj in objects])
                except AttributeError:
                    raise Fallback from None
            elif kind is _BATCH:
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
        if len(waits) == 1:
            try:
                results = [await waits[0][2]]
            except asyncio.CancelledError:
                raise
            except Exception:  # noqa: BLE001 - the standard path raises it where it belongs
                raise Fallback from None
        else:
            results = await asyncio.gather(*(value for _, _, value in waits), return_exceptions=True)
            _raise_first(results)
        for (column, index, _), result in zip(waits, results):
            if index is None:
                if not isinstance(result, (list, tuple)) or len(result) != count:
                    raise Fallback
                column.extend(result)
            else:
                column[index] = result
        done = self._finish(plan, columns, count)
        return await done if isinstance(done, _Later) else done

    def _finish(self, plan: ObjectPlan, columns: list, count: int) -> Any:
        completed: list[Any] = []
        later: list[tuple[int, _Later]] = []
        try:
            for position, (field, column) in enumerate(zip(plan.fields, columns)):
                if field.kind is _TYPENAME:
                    completed.append(column)
                    continue
                done = self._complete_many(field.shape, column)
                if isinstance(done, _Later):
                    later.append((position, done))
                    done = None
                completed.append(done)
        except Fallback:
            _close(done for _, done in later)
            raise
        keys = plan.keys
        if not later:
            return [dict(zip(keys, row)) for row in zip(*completed)] if completed else [{} for _ in range(count)]

        async def resume() -> list:
            if len(later) == 1:
                completed[later[0][0]] = await later[0][1]
            else:
                results = await asyncio.gather(*(done for _, done in later), return_exceptions=True)
                _raise_first(results)
                for (position, _), result in zip(later, results):
                    completed[position] = result
            return [dict(zip(keys, row)) for row in zip(*completed)]

        return _Later([done for _, done in later], resume)


def _generate(plan: ObjectPlan) -> Any:
    """Python source completing objects of this plan, compiled once and reused by every
    request with this selection: per object one function call building one dict
    literal, leaves serialised inline, nested objects by their own plans' functions.
    Only for plans of plain attributes whose nested objects have such plans too;
    anything unexpected raises (and the caller falls back to the standard path, which
    then answers, errors and paths included)."""
    if any(field.kind not in (_TYPENAME, _ATTR) for field in plan.fields):
        return None
    names: dict[str, Any] = {"Fallback": Fallback, "ORIGIN": plan.origin, "IS_TYPE_OF": plan.is_type_of,
                             "may_see": may_see, "AUDIENCE": None, "fail": _fail}
    body = ["def one(o, context):"]
    if plan.is_type_of is not None:  # as graphql-core: types without it take any object
        body.append("    if o.__class__ is not ORIGIN and not IS_TYPE_OF(o, None): raise Fallback")
    rules = plan.rules
    if rules is not None and rules.audience is not None:
        names["AUDIENCE"] = rules.audience
        check = ("    if not may_see(getattr(context, 'principal', None), AUDIENCE, getattr(o, 'account_id', None), "
                 "own=getattr(o, 'viewer_own', False)): raise Fallback")
        if rules.audience is Audience.CONTENT:  # the same answer for every object of a request
            check = check.replace("if not may_see", "if not context.sees_content and not may_see", 1)
        body.append(check)
    if rules is not None and rules.reads is not None and plan.reads_content:
        body.append(f"    context.note_read(o.{rules.reads[0]}, o.{rules.reads[1]})")
    items = []
    for number, field in enumerate(plan.fields):
        if field.kind is _TYPENAME:
            items.append(f"{field.key!r}: {field.value!r}")
            continue
        expression = _expression(field.shape, f"o.{field.value}", number, names)
        if expression is None:
            return None
        items.append(f"{field.key!r}: {expression}")
    body.append("    return {" + ", ".join(items) + "}")
    body += ["", "def run(objects, context):", "    return [one(o, context) for o in objects]"]
    try:
        exec(compile("\n".join(body), f"<plan {plan.type.name}>", "exec"), names)  # noqa: S102 - our own source
    except (SyntaxError, AttributeError):  # an attribute name Python cannot take: interpret instead
        return None
    return _Generated(names["run"], names["one"])


class _Generated:
    """A plan's generated completion: `run(objects, context)` and `one(obj, context)`."""

    __slots__ = ("run", "one")

    def __init__(self, run: Any, one: Any) -> None:
        self.run = run
        self.one = one

    def __call__(self, objects: list[Any], context: Any) -> list[dict[str, Any]]:
        try:
            return self.run(objects, context)
        except Fallback:
            raise
        except Exception:  # noqa: BLE001 - e.g. an attribute missing: the standard path reports it
            raise Fallback from None


def _fail() -> Any:
    raise Fallback


def _expression(shape: Any, value: str, number: int, names: dict[str, Any]) -> str | None:
    """An expression completing `value` of `shape`, or None when a nested object has no
    generated plan."""
    nonnull = shape[0] is _NONNULL
    inner = shape[1] if nonnull else shape
    missing = "fail()" if nonnull else "None"
    if inner[0] is _LEAF:
        names[f"S{number}"] = _serializer(inner[1])
        fast = {"String": "str", "ID": "str", "Boolean": "bool"}.get(getattr(inner[1], "name", ""))
        if fast:
            return f"(v if (v := {value}).__class__ is {fast} else (S{number}(v) if v is not None else {missing}))"
        if getattr(inner[1], "name", "") == "Int":
            return (f"(v if (v := {value}).__class__ is int and {_INT_MIN} <= v <= {_INT_MAX} "
                    f"else (S{number}(v) if v is not None else {missing}))")
        return f"(S{number}(v) if (v := {value}) is not None else {missing})"
    if inner[0] is _OBJECT and inner[1].run is not None:
        names[f"O{number}"] = inner[1].run.one
        return f"(O{number}(v, context) if (v := {value}) is not None else {missing})"
    completer = _sync_completer(shape)
    if completer is None:
        return None
    names[f"C{number}"] = completer
    return f"C{number}({value}, context)"


def _sync_completer(shape: Any) -> Any:
    """A function completing one value of a shape whose objects have generated plans."""
    kind = shape[0]
    if kind is _NONNULL:
        inner = _sync_completer(shape[1])
        if inner is None:
            return None

        def nonnull(value: Any, context: Any) -> Any:
            if value is None:
                raise Fallback
            return inner(value, context)

        return nonnull
    if kind is _LEAF:
        serialize = _serializer(shape[1])
        return lambda value, context: None if value is None else serialize(value)
    if kind is _LIST:
        item = shape[1]
        nonnull_items = item[0] is _NONNULL
        if nonnull_items:
            item = item[1]
        if item[0] is _OBJECT and item[1].run is not None:
            one = item[1].run.one

            def objects(value: Any, context: Any) -> Any:
                if value is None:
                    return None
                if not isinstance(value, (list, tuple)):
                    raise Fallback
                if nonnull_items:
                    return [one(v, context) if v is not None else _fail() for v in value]
                return [one(v, context) if v is not None else None for v in value]

            return objects
        inner = _sync_completer(shape[1])
        if inner is None:
            return None

        def items(value: Any, context: Any) -> Any:
            if value is None:
                return None
            if not isinstance(value, (list, tuple)):
                raise Fallback
            return [inner(v, context) for v in value]

        return items
    plan = shape[1]
    if plan.run is None:
        return None
    one = plan.run.one
    return lambda value, context: None if value is None else one(value, context)


class _Later:
    """A completion that has to wait for something (a resolver's awaitable). It starts
    when awaited; closed unstarted, it closes what it holds, so a fallback leaves no
    coroutine behind."""

    __slots__ = ("holds", "start")

    def __init__(self, holds: list[Any], start: Any) -> None:
        self.holds = holds
        self.start = start

    def __await__(self):  # noqa: ANN204
        return self.start().__await__()

    def close(self) -> None:
        _close(self.holds)


def _then(value: Any, then: Any) -> Any:
    if not isinstance(value, _Later):
        return then(value)

    async def chained() -> Any:
        return then(await value)

    return _Later([value], chained)


_SERIALIZERS: dict[Any, Any] = {}
# Output coercions that never answer None for a value they accept (strawberry's scalars).
_NEVER_NULL: tuple = (str, base_scalars.isoformat)
_INT_MIN, _INT_MAX = -(2 ** 31), 2 ** 31 - 1


def _serializer(leaf_type: Any) -> Any:
    """A leaf's output coercion, with the common case (a value already of the right
    Python type) answered without a call into graphql-core."""
    found = _SERIALIZERS.get(leaf_type)
    if found is not None:
        return found
    coerce = leaf_type.coerce_output_value
    name = getattr(leaf_type, "name", "")

    def checked(value: Any) -> Any:
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise Fallback
        return coerced

    if isinstance(leaf_type, GraphQLEnumType):
        names: dict[Any, Any] = {}

        def serialize(value: Any) -> Any:
            try:
                return names[value]
            except (KeyError, TypeError):
                coerced = names[value] = checked(value)  # an enum has few values: remember each
                return coerced
    elif name in ("String", "ID"):
        def serialize(value: Any) -> Any:
            return value if value.__class__ is str else checked(value)
    elif name == "Boolean":
        def serialize(value: Any) -> Any:
            return value if value.__class__ is bool else checked(value)
    elif name == "Int":
        def serialize(value: Any) -> Any:
            return value if value.__class__ is int and _INT_MIN <= value <= _INT_MAX else checked(value)
    elif coerce in _NEVER_NULL:
        serialize = coerce  # e.g. isoformat for dates: never None for a value it accepts
    else:
        serialize = checked
    _SERIALIZERS[leaf_type] = serialize
    return serialize


def _leaves(leaf_type: Any, values: list[Any]) -> list[Any]:
    serialize = _serializer(leaf_type)
    try:
        return [None if value is None else serialize(value) for value in values]
    except Fallback:
        raise
    except Exception:  # noqa: BLE001 - the standard path reports it properly
        raise Fallback from None


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
