"""The extensions' lifecycle hooks (operation, parsing, validation, execution) run as
strawberry runs them, with each extension class's hooks looked up once per process.

strawberry inspects every extension for every stage of every request, and wraps each
hook it finds in a new context-manager function (`functools.wraps` and all): about a
fifth of the calls of a small request. The hooks of a class never change, so they are
wrapped once here; each request binds them to its own extension instances (strawberry
makes those per request), enters them in the extensions' order and leaves them in
reverse, as its stages do."""
from __future__ import annotations

import contextlib
import functools
import inspect
import sys
from asyncio import iscoroutinefunction
from typing import Any, Callable

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import ExtensionContextManagerBase, WrappedHook
from strawberry.extensions.runner import SchemaExtensionsRunner

# (extension class, hook name) -> (context manager factory taking the extension, is it async),
# or None when the class keeps SchemaExtension's empty hook.
_HOOKS: dict[tuple[type, str], tuple[Callable[[SchemaExtension], Any], bool] | None] = {}


def _hook_of(cls: type, name: str) -> tuple[Callable[[SchemaExtension], Any], bool] | None:
    """strawberry's ExtensionContextManagerBase.get_hook, for the class instead of an instance."""
    key = (cls, name)
    if key in _HOOKS:
        return _HOOKS[key]
    hook = getattr(cls, name)
    found: tuple[Callable[[SchemaExtension], Any], bool] | None
    if hook is getattr(SchemaExtension, name):
        found = None
    elif inspect.isgeneratorfunction(hook):
        found = contextlib.contextmanager(hook), False
    elif inspect.isasyncgenfunction(hook):
        found = contextlib.asynccontextmanager(hook), True
    elif iscoroutinefunction(hook):
        @contextlib.asynccontextmanager
        async def awaited(extension: SchemaExtension, hook: Any = hook) -> Any:
            await hook(extension)
            yield
        found = awaited, True
    elif callable(hook):
        @contextlib.contextmanager
        def called(extension: SchemaExtension, hook: Any = hook) -> Any:
            hook(extension)
            yield
        found = called, False
    else:
        raise ValueError(f"Hook {name} on {cls} must be callable, received {hook!r}")
    _HOOKS[key] = found
    return found


class _Stage(ExtensionContextManagerBase):
    """One stage's hooks of one request. Left as strawberry leaves them, through an exit
    stack (each hook sees the exception the hooks after it left, or none once one
    suppressed it; the stage itself never suppresses), without building one: the stack's
    wrapping costs as many calls as the hooks themselves."""

    __slots__ = ("HOOK_NAME", "entered")

    def __init__(self, extensions: list[SchemaExtension], found: tuple[tuple[int, Any, bool], ...],
                 name: str) -> None:
        self.hooks = [WrappedHook(extensions[index], functools.partial(factory, extensions[index]), is_async)
                      for index, factory, is_async in found]
        self.HOOK_NAME = name  # strawberry's synchronous stages name it when they meet an async hook

    async def __aenter__(self) -> None:
        # As strawberry's: a hook that fails to enter leaves the entered ones to the collector.
        self.entered: list[tuple[Any, bool]] = []
        for hook in self.hooks:
            manager = hook.hook()
            if hook.is_async:
                await manager.__aenter__()
            else:
                manager.__enter__()
            self.entered.append((manager, hook.is_async))

    async def __aexit__(self, *exc_details: Any) -> None:
        frame_exc = sys.exc_info()[1]
        pending_raise = False
        for manager, is_async in reversed(self.entered):
            try:
                if await manager.__aexit__(*exc_details) if is_async else manager.__exit__(*exc_details):
                    pending_raise = False
                    exc_details = (None, None, None)
            except BaseException:
                new_details = sys.exc_info()
                _fix_exception_context(new_details[1], exc_details[1], frame_exc)
                pending_raise = True
                exc_details = new_details
        if pending_raise:
            fixed_context = exc_details[1].__context__
            try:
                raise exc_details[1]
            except BaseException:
                exc_details[1].__context__ = fixed_context
                raise


def _fix_exception_context(new_exc: BaseException, old_exc: BaseException | None,
                           frame_exc: BaseException | None) -> None:
    """contextlib's: chain a hook's new exception to the one it was leaving with."""
    while True:
        exc_context = new_exc.__context__
        if exc_context is None or exc_context is old_exc:
            return
        if exc_context is frame_exc:
            break
        new_exc = exc_context
    new_exc.__context__ = old_exc


_STAGES = (SchemaExtension.on_operation.__name__, SchemaExtension.on_parse.__name__,
           SchemaExtension.on_validate.__name__, SchemaExtension.on_execute.__name__)
# The extensions' classes, in order -> per stage, (index, hook factory, is it async) of
# those that have the stage's hook; and the indexes of those that give results.
_PLANS: dict[tuple[type, ...], tuple[dict[str, tuple[tuple[int, Any, bool], ...]], tuple[int, ...]]] = {}


def _plan_of(classes: tuple[type, ...]) -> tuple[dict[str, tuple[tuple[int, Any, bool], ...]], tuple[int, ...]]:
    plan = _PLANS.get(classes)
    if plan is None:
        stages = {}
        for name in _STAGES:
            hooks = ((index, _hook_of(cls, name)) for index, cls in enumerate(classes))
            stages[name] = tuple((index, *found) for index, found in hooks if found is not None)
        results = tuple(index for index, cls in enumerate(classes)
                        if cls.get_results is not SchemaExtension.get_results)
        plan = _PLANS[classes] = stages, results
    return plan


class LifecycleRunner(SchemaExtensionsRunner):
    """strawberry's runner with the hooks found once per class; results are asked only
    of the extensions that give any (SchemaExtension's own answers `{}`)."""

    def __init__(self, execution_context: Any, extensions: list[SchemaExtension]) -> None:
        super().__init__(execution_context, extensions)
        self.stages, self.with_results = _plan_of(tuple(map(type, self.extensions)))

    def operation(self) -> Any:
        return _Stage(self.extensions, self.stages[_STAGES[0]], _STAGES[0])

    def parsing(self) -> Any:
        return _Stage(self.extensions, self.stages[_STAGES[1]], _STAGES[1])

    def validation(self) -> Any:
        return _Stage(self.extensions, self.stages[_STAGES[2]], _STAGES[2])

    def executing(self) -> Any:
        return _Stage(self.extensions, self.stages[_STAGES[3]], _STAGES[3])

    async def get_extensions_results(self, ctx: Any) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for index in self.with_results:
            results = self.extensions[index].get_results()
            data.update(await results if inspect.isawaitable(results) else results)
        data.update(ctx.extensions_results)
        return data
