"""Benchmark: many stock Telethon clients against ONE sandbox MTProto server process.

    .venv/bin/python bench/sandbox.py [--clients 500] [--procs N] [--duration 10] [--json]

The server runs in its own process (so its memory and CPU are its own); the clients run in
`--procs` worker processes, each with its share of clients on one event loop. Every client does
the real handshake (fresh auth key), logs in, then loops: send a message to @echo_bot and wait
for the echo to arrive as a pushed update (one round trip = 2 messages through the server).

Reported: connections/s (TCP + handshake + initConnection/getConfig), round trips/s and
messages/s, latency percentiles, and the server's RSS (idle, with every client logged in,
after the load). Baseline, measured in the same run against the same server: ONE client doing
the same round trips sequentially; the ratio shows how the server scales with concurrency.
Goal: >= 2,000 messages/s through one sandbox process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

API_ID = 2040
API_HASH = "b18441a1ff607e10a989891a5462e627"
GOAL_MSGS_PER_S = 2000.0


def rss_mb(pid: int) -> float:
    """Resident memory of a process in MiB (Linux /proc)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return float("nan")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


# ---------------------------------------------------------------------- server process


def server_main(clients: int, conn: Any, stop: Any) -> None:
    """Run the sandbox with the bench world until `stop` is set."""
    import logging

    logging.basicConfig(level=logging.WARNING)
    from prokai.sandbox.demo import bench_world
    from prokai.sandbox.server import SandboxServer

    async def run() -> None:
        world = bench_world(clients + 1)
        server = SandboxServer(world, "127.0.0.1", 0)
        await server.start()
        conn.send(server.port)
        while not stop.is_set():
            await asyncio.sleep(0.2)
        conn.send({"handshakes": server.stats.handshakes, "requests": server.stats.requests,
                   "errors": server.stats.errors})
        await server.close()

    asyncio.run(run())


# ---------------------------------------------------------------------- client workers


async def _client_session(port: int, index: int) -> Any:
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    from prokai.sandbox.connect import configure

    client = TelegramClient(StringSession(), API_ID, API_HASH, flood_sleep_threshold=0, request_retries=1,
                            connection_retries=3, timeout=60)
    configure(client, "127.0.0.1", port, 2)
    return client


async def _login(client: Any, index: int) -> None:
    from prokai.sandbox.demo import bench_phone

    phone = bench_phone(index)
    await client.send_code_request(phone)
    await client.sign_in(phone, "22222")


async def _round_trips(client: Any, bot: Any, until: float, tag: str, raw: bool) -> list[float]:
    """Send to @echo_bot and wait for the echo, until `until`. `raw`: Telethon's low-level API
    (the request object and a Raw update handler) instead of send_message + events.NewMessage."""
    from telethon import events
    from telethon.tl import functions, types

    loop = asyncio.get_running_loop()
    pending: dict[str, asyncio.Future[None]] = {}

    def done(text: str) -> None:
        fut = pending.pop(text, None)
        if fut is not None and not fut.done():
            fut.set_result(None)

    async def on_echo(event: Any) -> None:
        done(event.raw_text)

    async def on_raw(update: Any) -> None:
        if isinstance(update, types.UpdateNewMessage) and not update.message.out:
            done(update.message.message)

    if raw:
        client.add_event_handler(on_raw, events.Raw(types.UpdateNewMessage))
    else:
        client.add_event_handler(on_echo, events.NewMessage(incoming=True, from_users=[bot]))
    lat: list[float] = []
    n = 0
    try:
        while time.perf_counter() < until:
            text = f"{tag}-{n}"
            n += 1
            fut = loop.create_future()
            pending[text] = fut
            t = time.perf_counter()
            if raw:
                await client(functions.messages.SendMessageRequest(bot, text, random_id=n))
            else:
                await client.send_message(bot, text)
            await asyncio.wait_for(fut, 30)
            lat.append(time.perf_counter() - t)
    finally:
        client.remove_event_handler(on_raw if raw else on_echo)
    return lat


def worker_main(port: int, indices: list[int], duration: float, barrier: Any, out: Any, raw: bool) -> None:
    """Connect and log in this worker's clients, wait for everyone, then run round trips."""
    import logging

    logging.basicConfig(level=logging.ERROR)

    def progress(what: str) -> None:
        print(f"  [worker {os.getpid()}] {len(indices)} clients: {what}", file=sys.stderr, flush=True)

    async def run() -> dict[str, Any]:
        clients = [await _client_session(port, i) for i in indices]
        sem = asyncio.Semaphore(64)  # handshakes in flight at once (all stay connected afterwards)

        async def connect(c: Any) -> None:
            async with sem:
                await c.connect()

        t0 = time.time()
        await asyncio.gather(*(connect(c) for c in clients))
        t1 = time.time()
        progress(f"connected in {t1 - t0:.1f} s")

        async def login(c: Any, i: int) -> None:
            async with sem:
                await _login(c, i)

        await asyncio.gather(*(login(c, i) for c, i in zip(clients, indices, strict=True)))
        bots = [await c.get_input_entity("echo_bot") for c in clients]
        progress("logged in")
        await asyncio.to_thread(barrier.wait)  # every worker logged in: the server's RSS is read now
        await asyncio.to_thread(barrier.wait)  # go
        start = time.perf_counter()
        until = start + duration
        lats = await asyncio.gather(
            *(_round_trips(c, b, until, f"w{indices[0]}c{k}", raw)
              for k, (c, b) in enumerate(zip(clients, bots, strict=True)))
        )
        elapsed = time.perf_counter() - start
        for c in clients:
            await c.disconnect()
        flat = [x for lat in lats for x in lat]
        return {"connect_start": t0, "connect_end": t1, "clients": len(clients), "round_trips": len(flat),
                "elapsed": elapsed, "latencies": flat}

    out.put(asyncio.run(run()))


# ---------------------------------------------------------------------- orchestration


def run_phase(ctx: Any, port: int, indices: list[int], procs: int, duration: float,
              on_ready: Any = None, server_pid: int = 0, raw: bool = False) -> dict[str, Any]:
    """Run `indices` clients in `procs` workers; returns the merged results."""
    procs = max(1, min(procs, len(indices)))
    shares = [indices[k::procs] for k in range(procs)]
    barrier = ctx.Barrier(procs + 1)
    out = ctx.Queue()
    workers = [ctx.Process(target=worker_main, args=(port, share, duration, barrier, out, raw)) for share in shares]
    cpu_start = cpu_s(server_pid)
    for w in workers:
        w.start()
    barrier.wait(timeout=1200)
    login_cpu = cpu_s(server_pid) - cpu_start
    if on_ready is not None:
        on_ready()
    cpu0 = cpu_s(server_pid)
    barrier.wait(timeout=60)
    results = [out.get(timeout=600 + duration) for _ in workers]
    server_cpu = cpu_s(server_pid) - cpu0
    for w in workers:
        w.join(30)
    lat = sorted(x for r in results for x in r["latencies"])
    connect_span = max(r["connect_end"] for r in results) - min(r["connect_start"] for r in results)
    round_trips = sum(r["round_trips"] for r in results)
    elapsed = max(r["elapsed"] for r in results)
    return {
        "clients": len(indices),
        "connections_per_s": len(indices) / connect_span if connect_span > 0 else float("inf"),
        "round_trips": round_trips,
        "round_trips_per_s": round_trips / elapsed,
        "messages_per_s": 2 * round_trips / elapsed,
        "latency_ms_p50": 1000 * statistics.median(lat) if lat else None,
        "latency_ms_p99": 1000 * lat[int(0.99 * (len(lat) - 1))] if lat else None,
        "server_cpu_s": server_cpu,
        "server_cpu_ms_per_connection_and_login": 1000 * login_cpu / len(indices),
        # what one fully busy server core could carry, from the CPU the server actually used
        "server_capacity_msgs_per_s": 2 * round_trips / server_cpu if server_cpu > 0 else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--procs", type=int, default=max(2, os.cpu_count() or 2),
                        help="client worker processes (default: one per CPU, at least 2; Telethon clients, "
                             "not the server, are the bottleneck)")
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of round trips per phase")
    parser.add_argument("--json", action="store_true", help="print the results as one JSON line")
    parser.add_argument("--api", choices=("raw", "high"), default="raw",
                        help="client side: Telethon's raw request + Raw update handler (default, lighter), "
                             "or send_message + events.NewMessage")
    args = parser.parse_args()
    if args.clients < 1 or args.duration <= 0:
        print("error: --clients must be >= 1 and --duration > 0", file=sys.stderr)
        return 2

    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    stop = ctx.Event()
    server = ctx.Process(target=server_main, args=(args.clients, child, stop))
    server.start()
    port = parent.recv()
    rss_idle = rss_mb(server.pid or 0)
    rss: dict[str, float] = {}

    # baseline: one client, sequential round trips (same server, same run)
    pid = server.pid or 0
    raw = args.api == "raw"
    base = run_phase(ctx, port, [args.clients], 1, min(args.duration, 5.0), server_pid=pid, raw=raw)
    load = run_phase(ctx, port, list(range(args.clients)), args.procs, args.duration,
                     on_ready=lambda: rss.__setitem__("logged_in", rss_mb(pid)), server_pid=pid, raw=raw)
    rss_after = rss_mb(server.pid or 0)
    stop.set()
    counters = parent.recv()
    server.join(30)

    result = {
        "cpus": os.cpu_count(), "client_procs": args.procs, "clients": args.clients, "client_api": args.api,
        "baseline_1_client": base, "load": load,
        "server_rss_mb": {"idle": rss_idle, "all_logged_in": rss.get("logged_in"), "after_load": rss_after},
        "server_counters": counters,
        "ratio_vs_baseline": load["round_trips_per_s"] / base["round_trips_per_s"],
        "goal_msgs_per_s": GOAL_MSGS_PER_S, "goal_met": load["messages_per_s"] >= GOAL_MSGS_PER_S,
    }
    if args.json:
        print(json.dumps(result))
        return 0
    print(f"sandbox MTProto server, {args.clients} stock Telethon clients ({args.api} API) in {args.procs} "
          f"worker process(es), {os.cpu_count()} CPUs")
    print(f"  connections/s (handshake + init): {load['connections_per_s']:8.1f}   "
          f"(server CPU per connection + login: {load['server_cpu_ms_per_connection_and_login']:.1f} ms)")
    print(f"  round trips/s  (1 client baseline): {base['round_trips_per_s']:8.1f}")
    print(f"  round trips/s  ({args.clients} clients):       {load['round_trips_per_s']:8.1f}   "
          f"x{result['ratio_vs_baseline']:.1f} vs baseline")
    print(f"  messages/s through the server:     {load['messages_per_s']:8.1f}   goal {GOAL_MSGS_PER_S:.0f}: "
          f"{'met' if result['goal_met'] else 'NOT met'}")
    print(f"  server CPU during the load: {load['server_cpu_s']:.1f} s for {args.duration:.0f} s "
          f"-> one server core carries ~{load['server_capacity_msgs_per_s'] or 0:.0f} messages/s")
    print(f"  latency p50 / p99 ms:              {load['latency_ms_p50']:8.1f} / {load['latency_ms_p99']:.1f}")
    print(f"  server RSS MiB: idle {rss_idle:.0f}, {args.clients} logged in {rss.get('logged_in', float('nan')):.0f}, "
          f"after load {rss_after:.0f}")
    print(f"  server counters: {counters}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
