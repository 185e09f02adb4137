"""`python -m bench.profile [--pages 1500] [--profile out.prof] [--database URL]`: the CPU of
one dossier page in one process, GraphQL against the plain endpoint, on PostgreSQL.

A fresh database (or `--database`, already seeded by a previous `--keep`), seeded at
the quick size; both ASGI apps are called directly (no sockets, no load generator), one
request at a time on uvloop, and each request's CPU is `time.process_time` around it.
With `--profile`, the GraphQL pages run again under cProfile and the functions that
stand for the stages of a request are printed by cumulative time. This is how the
figures of "Profile of the page" in bench/README.md were taken."""
from __future__ import annotations

import argparse
import collections
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from typing import Any

from bench.queries import ADD_ENTRY, GRAPHQL_PAGE, LOG_IN, ONE_DOSSIER, SEARCH, SEARCH_TERMS, SHARE
from bench.seed import PASSWORD, Scale, seed
from bench.servers import create_database, drop_database, migrate, server_env


async def call(app: Any, method: str, path: str, body: bytes, token: str | None = None) -> tuple[int, bytes]:
    """One HTTP request straight into an ASGI app."""
    headers = [(b"host", b"bench"), (b"content-type", b"application/json"), (b"accept", b"application/json"),
               (b"content-length", str(len(body)).encode())]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method,
             "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": headers, "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "state": {}}
    sent = False
    status, chunks = 0, []

    async def receive() -> dict:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        await asyncio.sleep(3600)
        return {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await app(scope, receive, send)
    return status, b"".join(chunks)


async def lifespan(app: Any) -> tuple[asyncio.Task, asyncio.Queue]:
    inbox: asyncio.Queue = asyncio.Queue()
    started = asyncio.Event()

    async def receive() -> dict:
        return await inbox.get()

    async def send(message: dict) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    await inbox.put({"type": "lifespan.startup"})
    task = asyncio.ensure_future(app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send))
    await started.wait()
    return task, inbox


async def per_request(send: Any, count: int) -> float:
    """Median CPU ms of one request, `count` requests after a warm-up."""
    for _ in range(min(200, count)):
        await send()
    samples = []
    for _ in range(count):
        started = time.process_time()
        await send()
        samples.append(time.process_time() - started)
    # The median: on a shared machine a request now and then pays for another process's
    # cache misses; the typical request is what the code costs.
    return statistics.median(samples) * 1000


async def in_turn(senders: list[Any], count: int) -> list[float]:
    """Median CPU ms of each sender's requests, sent in turn: a host whose speed drifts
    (other machines' load) then slows all alike, and their ratios hold still. Each round
    starts one sender later: a request sent right after the other app's finds the CPU's
    caches full of that app's code and pays for it (measured: the GraphQL page sent
    always first came out ×1.87–1.93 of plain, in alternating order ×1.76–1.80), so no
    sender may always come first."""
    for _ in range(min(200, count)):
        for send in senders:
            await send()
    samples: list[list[float]] = [[] for _ in senders]
    order = list(enumerate(senders))
    for round_ in range(count):
        start = round_ % len(order)
        for side, send in order[start:] + order[:start]:
            started = time.process_time()
            await send()
            samples[side].append(time.process_time() - started)
    return [statistics.median(side) * 1000 for side in samples]


async def interleaved(ours: Any, floor: Any, count: int) -> tuple[float, float]:
    ours_ms, floor_ms = await in_turn([ours, floor], count)
    return ours_ms, floor_ms


async def operation(app: Any, plain_app: Any, name: str) -> tuple[Any, Any]:
    """(GraphQL, plain) senders of another hot operation, as bench.run sends them: one
    dossier of the 100-dossier account, shareDossier with a new guest each time
    (spread over twenty dossiers of a small account, within the share limit), addEntry,
    a note spread over the same twenty dossiers, or a search of the big account, the
    terms of SEARCH_TERMS in turn."""
    import itertools
    import json

    email = {"one_dossier": "mid@bench.example.org", "search": "big@bench.example.org"}.get(
        name, "small0@bench.example.org")
    _, body = await call(app, "POST", "/graphql", json.dumps(
        {"query": LOG_IN, "variables": {"email": email, "password": PASSWORD}}).encode())
    token = json.loads(body)["data"]["logIn"]["accessToken"]
    _, body = await call(app, "POST", "/graphql", json.dumps({"query": GRAPHQL_PAGE}).encode(), token)
    dossiers = [edge["node"]["id"] for edge in json.loads(body)["data"]["dossiers"]["edges"]]
    counter = itertools.count()
    if name == "search":
        def search_body() -> bytes:
            term = SEARCH_TERMS[next(counter) % len(SEARCH_TERMS)]
            return json.dumps({"query": SEARCH, "variables": {"search": term}, "search": term}).encode()

        async def ours() -> None:
            await call(app, "POST", "/graphql", search_body(), token)

        async def floor() -> None:
            await call(plain_app, "POST", "/plain/search", search_body(), token)
        return ours, floor

    if name == "one_dossier":
        graphql_body = json.dumps({"query": ONE_DOSSIER, "variables": {"id": dossiers[0]}}).encode()
        plain_body = json.dumps({"id": dossiers[0]}).encode()

        async def ours() -> None:
            await call(app, "POST", "/graphql", graphql_body, token)

        async def floor() -> None:
            await call(plain_app, "POST", "/plain/dossier", plain_body, token)
        return ours, floor

    if name == "add_entry":
        def entry_body() -> bytes:
            n = next(counter)
            variables = {"input": {"dossierId": dossiers[n % len(dossiers)], "kind": "NOTE",
                                   "body": f"Bench note {n}: weight stable, plan kept."}}
            return json.dumps({"query": ADD_ENTRY, "variables": variables, **variables}).encode()

        async def ours() -> None:
            await call(app, "POST", "/graphql", entry_body(), token)

        async def floor() -> None:
            await call(plain_app, "POST", "/plain/entries", entry_body(), token)
        return ours, floor

    def share_body() -> bytes:
        n = next(counter)
        variables = {"input": {"dossierId": dossiers[n % len(dossiers)], "access": "VIEWER",
                               "email": f"p{n}-{os.getpid()}@guests.example.org"}}
        return json.dumps({"query": SHARE, "variables": variables, **variables}).encode()

    async def ours() -> None:
        await call(app, "POST", "/graphql", share_body(), token)

    async def floor() -> None:
        await call(plain_app, "POST", "/plain/shares", share_body(), token)
    return ours, floor


# The page built up a part at a time: each line's CPU minus the line before is what that
# part adds (the request's fixed cost, the principal, the page statement, each relation).
STAGE_QUERIES = (
    ("{ __typename }, anonymous", "{ __typename }", False),
    ("{ __typename }, signed in (token, principal re-read)", "{ __typename }", True),
    ("20 dossiers: id", "{ dossiers(first: 20) { edges { node { id } } } }", True),
    ("+ cursor, pageInfo, clientName, reference, archived",
     "{ dossiers(first: 20) { pageInfo { hasNextPage endCursor } edges { cursor node { id clientName reference "
     "archived } } } }", True),
    ("+ shares", "{ dossiers(first: 20) { pageInfo { hasNextPage endCursor } edges { cursor node { id clientName "
     "reference archived shares { email status access } } } } }", True),
    ("+ assignees", "{ dossiers(first: 20) { pageInfo { hasNextPage endCursor } edges { cursor node { id clientName "
     "reference archived shares { email status access } assignees { id role user { email } } } } } }", True),
    ("+ 5 entries each (the whole page, read log)", GRAPHQL_PAGE, True),
)

STAGES = (
    # (label, function name substring in pstats' "file:line(function)")
    ("whole request (ASGI app)", "applications.py", "__call__"),
    ("strawberry view run", "strawberry/http/async_base_view.py", "run"),
    ("context: principal from token", "auth/principal.py", "principal_from_token"),
    ("strawberry execute", "strawberry/schema/schema.py", "execute"),
    ("graphql-core execute", "graphql/execution/execute.py", "execute"),
    ("parse (cached)", "strawberry/extensions/parser_cache.py", "on_parse"),
    ("validate (cached)", "strawberry/schema/schema.py", "_validate"),
    ("compiled complete_value", "schema/compiled.py", "complete_value"),
    ("loaders", "schema/loaders.py", ""),
    ("asyncpg fetch", "asyncpg/connection.py", "fetch"),
    ("flush reads (P2)", "schema/context.py", "flush_reads"),
    ("process_result", "api/view.py", "process_result"),
    ("encode_json", "api/view.py", "encode_json"),
)


async def print_layers(app: Any, token: str, plain_page: Any, count: int) -> None:
    """The page's CPU layer by layer, sent in turn: the whole HTTP request; strawberry's
    `execute` with the extensions and the context (no HTTP, no middleware, no JSON);
    graphql-core's `execute` with our executor and the context (no extensions); the
    context alone (token and principal). What a bypass of each layer could save at most."""
    from graphql import parse
    from graphql.execution import execute
    from starlette.requests import Request
    from strawberry.execution.is_awaitable import optimized_is_awaitable

    from infra.db import request_reads

    view = next(route.endpoint for route in app.routes if getattr(route, "path", None) == "/graphql")
    schema = view.schema
    document = parse(GRAPHQL_PAGE)
    scope = {"type": "http", "method": "POST", "path": "/graphql", "query_string": b"", "root_path": "",
             "headers": [(b"authorization", f"Bearer {token}".encode()), (b"host", b"bench")],
             "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 80), "scheme": "http", "state": {}}

    async def whole() -> None:
        await call(app, "POST", "/graphql", json.dumps({"query": GRAPHQL_PAGE}).encode(), token)

    async def strawberry_execute() -> None:
        async with request_reads():
            result = await schema.execute(GRAPHQL_PAGE, context_value=await view.get_context(Request(scope), None))
        assert not result.errors, result.errors

    async def core_execute() -> None:
        async with request_reads():
            result = execute(schema._schema, document, context_value=await view.get_context(Request(scope), None),
                             executor_class=schema.execution_context_class, is_awaitable=optimized_is_awaitable)
            result = await result if optimized_is_awaitable(result) else result
        assert not result.errors, result.errors

    async def context_alone() -> None:
        async with request_reads():
            await view.get_context(Request(scope), None)

    layers = (("plain page", plain_page), ("GraphQL page over HTTP (the whole request)", whole),
              ("strawberry execute + context (no HTTP)", strawberry_execute),
              ("graphql-core execute + context (no extensions)", core_execute),
              ("context alone (token, principal)", context_alone))
    costs = await in_turn([send for _, send in layers], count)
    for (label, _), cost in zip(layers, costs):
        print(f"{label:<50} {cost:6.3f} ms  (x{cost / costs[0]:.2f} plain)")


async def main(args: argparse.Namespace) -> int:
    database = args.database or await create_database()
    env = server_env(database)
    os.environ.update(env)
    try:
        if not args.database:
            migrate(env)
            await seed(database, Scale.quick(), log=print)
        try:
            import uvloop  # noqa: F401
        except ImportError:
            pass
        from api.app import create_app
        from infra.settings import load_settings
        import bench.plain_app as plain

        app = create_app(load_settings(env, env_file=None))
        task, inbox = await lifespan(app)
        plain_task, plain_inbox = await lifespan(plain.app)
        import json
        status, body = await call(app, "POST", "/graphql", json.dumps(
            {"query": LOG_IN, "variables": {"email": "big@bench.example.org", "password": PASSWORD}}).encode())
        token = json.loads(body)["data"]["logIn"]["accessToken"]
        page = json.dumps({"query": GRAPHQL_PAGE}).encode()
        _, graphql_body = await call(app, "POST", "/graphql", page, token)
        _, plain_body = await call(plain.app, "GET", "/plain/dossiers", b"", token)
        same = json.loads(graphql_body)["data"] == json.loads(plain_body)["data"]
        print(f"same JSON: {same}")
        if args.shaped:
            _, shaped_body = await call(plain.app, "GET", "/plain/dossiers/shaped", b"", token)
            shaped_same = json.loads(shaped_body)["data"] == json.loads(plain_body)["data"]
            print(f"same JSON, shaped by PostgreSQL: {shaped_same}")

        async def graphql_page() -> None:
            await call(app, "POST", "/graphql", page, token)

        async def plain_page() -> None:
            await call(plain.app, "GET", "/plain/dossiers", b"", token)

        if args.operation != "page":
            graphql_page, plain_page = await operation(app, plain.app, args.operation)
        if args.query is not None:
            line_body = json.dumps({"query": STAGE_QUERIES[args.query][1]}).encode()
            line_token = token if STAGE_QUERIES[args.query][2] else None

            async def graphql_page() -> None:
                await call(app, "POST", "/graphql", line_body, line_token)

        if args.gc is not None:
            import gc
            gc.set_threshold(*args.gc) if args.gc[0] else gc.disable()
            print(f"gc thresholds: {gc.get_threshold()}, enabled: {gc.isenabled()}")
        if args.calls:
            # Function calls per page (Python and C): a count that does not move with the
            # machine's load, to tell a small saving from noise.
            for label, send in (("GraphQL", graphql_page), ("plain", plain_page)):
                counted = 0
                by_function: collections.Counter = collections.Counter()

                def count(frame: Any, event: str, arg: Any) -> None:
                    nonlocal counted
                    if event in ("call", "c_call"):
                        counted += 1
                        if args.calls > 1:
                            code = frame.f_code
                            by_function[f"{code.co_filename.rsplit('site-packages/', 1)[-1]}:{code.co_name}"
                                        if event == "call" else f"C {getattr(arg, '__qualname__', arg)}"] += 1
                sys.setprofile(count)
                for _ in range(50):
                    await send()
                sys.setprofile(None)
                print(f"function calls per page, {label}: {counted / 50:.0f}")
                for name, calls in by_function.most_common(args.calls if args.calls > 1 else 0):
                    print(f"  {calls / 50:8.1f}  {name}")
        if args.stages:
            senders = []
            for label, query, with_token in STAGE_QUERIES:
                body = json.dumps({"query": query}).encode()

                async def one(body: bytes = body, with_token: bool = with_token) -> None:
                    await call(app, "POST", "/graphql", body, token if with_token else None)
                senders.append(one)
            costs = (await in_turn(senders, args.pages) if args.interleave
                     else [await per_request(one, args.pages) for one in senders])
            for (label, _, _), cost in zip(STAGE_QUERIES, costs):
                print(f"{label:<62} {cost:6.3f} ms")
        if args.layers:
            await print_layers(app, token, plain_page, args.pages)
        if args.shaped:
            async def shaped_page() -> None:
                await call(plain.app, "GET", "/plain/dossiers/shaped", b"", token)
            for round_ in range(args.rounds):
                costs = await in_turn([graphql_page, plain_page, shaped_page], args.pages)
                print(f"round {round_ + 1}: CPU per page (median), GraphQL {costs[0]:.3f} ms, plain {costs[1]:.3f} ms, "
                      f"shaped by PostgreSQL {costs[2]:.3f} ms (x{costs[2] / costs[1]:.2f} plain)")
            args.rounds = 0
        rounds = []
        for round_ in range(args.rounds):
            if args.interleave:
                ours, floor = await interleaved(graphql_page, plain_page, args.pages)
            else:
                ours = await per_request(graphql_page, args.pages)
                floor = await per_request(plain_page, args.pages)
            rounds.append((ours, floor))
            print(f"round {round_ + 1}: CPU per page (median), GraphQL {ours:.3f} ms, plain {floor:.3f} ms "
                  f"(x{ours / floor:.2f})")
        if rounds:
            print(f"median of {len(rounds)} rounds: GraphQL {statistics.median(r[0] for r in rounds):.3f} ms, "
                  f"plain {statistics.median(r[1] for r in rounds):.3f} ms, "
                  f"x{statistics.median(r[0] / r[1] for r in rounds):.2f}")
        if args.profile:
            profiled = graphql_page
            try:
                import yappi  # CPU time per function, coroutines counted only while they run
            except ImportError:
                yappi = None
            if yappi is not None:
                yappi.set_clock_type("cpu")
                yappi.start()
            else:
                profiler = cProfile.Profile()
                profiler.enable()
            for _ in range(args.pages):
                await profiled()
            if yappi is not None:
                yappi.stop()
                yappi.get_func_stats().save(args.profile, type="pstat")
            else:
                profiler.disable()
                profiler.dump_stats(args.profile)
            stats = pstats.Stats(args.profile)
            stats.sort_stats("cumulative").print_stats(args.top)
        await inbox.put({"type": "lifespan.shutdown"})
        await plain_inbox.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(task, 10)
        await asyncio.wait_for(plain_task, 10)
    finally:
        if not args.database and not args.keep:
            await drop_database(database)
        elif args.keep:
            print(f"kept: {database}")
    return 0


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=1500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", help="write cProfile stats of the GraphQL pages here and print the top")
    parser.add_argument("--top", type=int, default=60)
    parser.add_argument("--query", type=int, help="the rounds, --calls and --profile send this line of STAGE_QUERIES "
                        "as the GraphQL side instead (0: anonymous `{ __typename }`)")
    parser.add_argument("--gc", type=int, nargs=3, help="set the collector's thresholds for the run (0 0 0: off)")
    parser.add_argument("--calls", type=int, nargs="?", const=1, default=0,
                        help="count function calls per page (load-independent); --calls N: and the N most called")
    parser.add_argument("--operation", choices=("page", "one_dossier", "share", "add_entry", "search"), default="page",
                        help="what the rounds, --calls and --profile measure (default: the dossier page)")
    parser.add_argument("--interleave", action="store_true",
                        help="the rounds send GraphQL and plain requests in turn (steadier ratios on a busy host)")
    parser.add_argument("--stages", action="store_true", help="the page built up a part at a time (STAGE_QUERIES)")
    parser.add_argument("--shaped", action="store_true",
                        help="also the page with its JSON built by PostgreSQL (bench/plain_app.py SHAPED_SQL), in turn")
    parser.add_argument("--layers", action="store_true",
                        help="the page layer by layer: HTTP, strawberry execute, graphql-core execute, context")
    parser.add_argument("--database", help="a database already migrated and seeded (see --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args(argv)
    try:
        import uvloop
        return uvloop.run(main(args))
    except ImportError:
        return asyncio.run(main(args))


if __name__ == "__main__":
    sys.exit(cli())
