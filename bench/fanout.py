"""Live-updates fan-out (SPEC T7): S subscribers of one dossier over
`casebook serve --workers W` on PostgreSQL; a colleague adds an entry; how long from the
commit to the last subscriber's delivery, and the server's CPU per delivered update.

The commit instant is taken as the moment the addEntry response arrives (the commit
precedes it, so latencies are, if anything, understated by the response's own trip);
latencies from the moment the request was sent are printed too. Each round adds one entry
and waits for every subscriber; the figures are over all rounds."""
from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time

import httpx
import websockets

from bench.servers import api_command, create_database, drop_database, free_port, group_cpu_seconds, migrate, \
    running, server_env
from bench import race

CREATE = "mutation($n: String!) { createDossier(input: {clientName: $n}) { dossier { id } userErrors { code } } }"
ADD = ("mutation($d: ID!, $b: String!) { addEntry(input: {dossierId: $d, kind: NOTE, body: $b}) "
       "{ entry { id } userErrors { code } } }")
SUBSCRIBE = "subscription($id: ID!) { dossierUpdates(dossierId: $id) { event entry { id body } } }"


async def _subscriber(url: str, token: str, dossier: str, arrivals: asyncio.Queue, ready: asyncio.Event,
                      opened: list) -> None:
    async with websockets.connect(url, subprotocols=["graphql-transport-ws"], max_queue=None,
                                  open_timeout=60, ping_interval=None) as ws:
        await ws.send(json.dumps({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}))
        assert json.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(json.dumps({"id": "1", "type": "subscribe",
                                  "payload": {"query": SUBSCRIBE, "variables": {"id": dossier}}}))
        opened.append(ws)
        if len(opened) == ready.total:  # type: ignore[attr-defined]
            ready.set()
        async for raw in ws:
            message = json.loads(raw)
            if message["type"] == "ping":
                await ws.send('{"type":"pong"}')
            elif message["type"] == "next":
                await arrivals.put(time.perf_counter())


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def measure(base: str, pgid: int, subscribers: int, rounds: int) -> dict:
    url = base.replace("http://", "ws://") + "/graphql"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        api = race.Client(http)
        owner = await api.sign_up("fanout")
        dossier = (await api.gql(CREATE, {"n": "Ada"}, owner["token"]))["data"]["createDossier"]["dossier"]["id"]
        arrivals: asyncio.Queue = asyncio.Queue()
        ready = asyncio.Event()
        ready.total = subscribers  # type: ignore[attr-defined]
        opened: list = []
        tasks = []
        for n in range(subscribers):
            tasks.append(asyncio.create_task(_subscriber(url, owner["token"], dossier, arrivals, ready, opened)))
            if n % 50 == 49:
                await asyncio.sleep(0.05)  # do not stampede the accept queue
        async with asyncio.timeout(120):
            await ready.wait()
        await asyncio.sleep(1.0)  # every subscribe message reached its server process
        from_commit, from_send, last_from_commit, cpu = [], [], [], 0.0
        for n in range(rounds):
            cpu_before = group_cpu_seconds(pgid)
            sent = time.perf_counter()
            body = await api.gql(ADD, {"d": dossier, "b": f"Round {n}"}, owner["token"])
            committed = time.perf_counter()
            assert body["data"]["addEntry"]["userErrors"] == [], body
            times = []
            async with asyncio.timeout(60):
                for _ in range(subscribers):
                    times.append(await arrivals.get())
            cpu += group_cpu_seconds(pgid) - cpu_before
            from_commit += [max(0.0, t - committed) for t in times]
            from_send += [t - sent for t in times]
            last_from_commit.append(max(0.0, max(times) - committed))
            await asyncio.sleep(0.3)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    delivered = subscribers * rounds
    return {
        "subscribers": subscribers, "rounds": rounds, "delivered": delivered,
        "p50_ms": 1000 * statistics.median(from_commit), "p99_ms": 1000 * _percentile(from_commit, 0.99),
        "last_delivery_p50_ms": 1000 * statistics.median(last_from_commit),
        "from_send_p99_ms": 1000 * _percentile(from_send, 0.99),
        "cpu_ms_per_update": 1000 * cpu / delivered,
    }


async def main(args: argparse.Namespace) -> int:
    database = await create_database("casebook_fanout")
    try:
        env = server_env(database, LIVE_CONNECTIONS_PER_PRINCIPAL=str(args.subscribers + 10),
                         LIVE_CONNECTIONS_PER_ADDRESS=str(args.subscribers + 10), LIVE_BROKER=args.broker,
                         **({"REDIS_URL": "redis://127.0.0.1:6379/0"} if args.broker == "redis" else {}))
        migrate(env)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        with running(api_command(port, args.workers), env, base) as process:
            figures = await measure(base, process.pid, args.subscribers, args.rounds)
    finally:
        await drop_database(database)
    print(f"fan-out: {figures['subscribers']} subscribers over {args.workers} workers ({args.broker}), "
          f"{figures['rounds']} entries, {figures['delivered']} updates delivered")
    print(f"  commit → delivery  p50 {figures['p50_ms']:.1f} ms  p99 {figures['p99_ms']:.1f} ms")
    print(f"  commit → last delivery of a round, median {figures['last_delivery_p50_ms']:.1f} ms "
          f"(request sent → delivery p99 {figures['from_send_p99_ms']:.1f} ms)")
    print(f"  server CPU per delivered update {figures['cpu_ms_per_update']:.2f} ms (the addEntry request included)")
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--broker", choices=("postgres", "redis"), default="postgres")
    sys.exit(asyncio.run(main(parser.parse_args())))
