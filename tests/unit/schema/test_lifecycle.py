"""The lifecycle runner (schema/lifecycle.py) runs extension hooks as strawberry's own
runner does: in the extensions' order going in and the reverse coming out, every kind
of hook, an exception seen by each hook on the way out, suppressed when one says so, and
a hook's own failure passed on to those before it."""
from __future__ import annotations

import pytest
from strawberry.extensions import SchemaExtension
from strawberry.extensions.runner import SchemaExtensionsRunner

from schema.lifecycle import LifecycleRunner


def extensions(log: list, suppress: str | None = None, fail_on_exit: str | None = None):
    class Generator(SchemaExtension):
        def on_execute(self):
            log.append("generator in")
            try:
                yield
            except Exception as error:
                log.append(f"generator saw {error}")
                if suppress == "generator":
                    return
                raise
            log.append("generator out")

    class AsyncGenerator(SchemaExtension):
        async def on_execute(self):
            log.append("async generator in")
            try:
                yield
            except Exception as error:
                log.append(f"async generator saw {error}")
                if suppress == "async generator":
                    return
                raise
            if fail_on_exit == "async generator":
                raise ValueError("async generator failed")
            log.append("async generator out")

    class Coroutine(SchemaExtension):
        async def on_execute(self):
            log.append("coroutine")

    class Plain(SchemaExtension):
        def on_execute(self):
            log.append("plain")

        def get_results(self):
            return {"plain": 1}

    class Silent(SchemaExtension):
        pass

    return [Generator(), AsyncGenerator(), Coroutine(), Plain(), Silent()]


class Context:
    extensions_results: dict = {}


async def run(runner_class, suppress=None, fail_on_exit=None, error=None):
    log: list = []
    runner = runner_class(Context(), extensions(log, suppress, fail_on_exit))
    outcome = None
    try:
        async with runner.executing():
            log.append("execute")
            if error:
                raise RuntimeError(error)
    except Exception as raised:  # noqa: BLE001
        outcome = (type(raised).__name__, str(raised),
                   type(raised.__context__).__name__ if raised.__context__ else None)
    return log, outcome, await runner.get_extensions_results(Context())


@pytest.mark.parametrize("case", [
    {}, {"error": "boom"}, {"error": "boom", "suppress": "generator"},
    {"error": "boom", "suppress": "async generator"}, {"fail_on_exit": "async generator"},
    {"error": "boom", "fail_on_exit": "async generator", "suppress": "generator"},
])
async def test_hooks_run_as_strawberrys_own_runner_runs_them(case):
    assert await run(LifecycleRunner, **case) == await run(SchemaExtensionsRunner, **case)
