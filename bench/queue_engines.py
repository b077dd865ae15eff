"""Task-queue engines on the real local RabbitMQ: throughput, queue overhead, kill -9, long waits.

    .venv/bin/python bench/queue_engines.py [--jobs 2000] [--engines celery,dramatiq,taskiq]

For every installed engine (Celery + kombu, Dramatiq, Taskiq + taskiq-aio-pika), one run measures:

(a) throughput of N no-op jobs published (with publisher confirms) and consumed by one worker
    process, acknowledged only after the work ("ack late"); each job is an async coroutine that
    awaits asyncio.sleep(0), run the way the engine runs coroutines;
(b) queue overhead per job against awaiting the same coroutine in-process (same run), and the
    round-trip latency of one job at a time;
(c) crash safety: worker A is killed with SIGKILL while it holds jobs mid-work (each sleeps 2 s);
    a second worker B is already consuming. A SQLite table keyed by job id counts every start and
    every finish: is each job redelivered to B, how long after the kill, is any job lost or
    finished twice;
(d) long waits beyond RabbitMQ's consumer_timeout: the documented behaviour (not waited for), and
    where a delayed job waits, measured: a job delayed 4 s, then one delayed 1 s; nothing ready in
    the broker meanwhile means the worker holds them unacknowledged (so a delay longer than
    consumer_timeout trips it); the 1-s job running only at 4 s shows a FIFO delay queue.

Each engine gets its own queue names (prokai_bench_<engine>_<pid>), deleted at the end. Results are
printed as a table and written to bench/results/queue_engines.json. Not part of the test suite.
Needs the `bench` extras (pip install -e '.[bench]') and RabbitMQ (default amqp://guest:guest@127.0.0.1:5672/%2F).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.metadata
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "queue_engines.json"
DEFAULT_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
SLOW_S = 2.0  # how long a crash-test job sleeps: long enough to be killed mid-work

# ---------------------------------------------------------------------------------------------
# The job: one coroutine, shared by every engine and by the in-process baseline.
# The worker process is configured through the environment the orchestrator sets.

_counts: dict[str, int] = {}
_first_start: dict[str, float] = {}
_count_lock = threading.Lock()


def _record(job_id: str, event: str) -> None:
    db = os.environ.get("QB_DB")
    if not db:
        return
    con = sqlite3.connect(db, timeout=30)
    try:
        con.execute("INSERT INTO events(job_id, event, pid, t) VALUES (?, ?, ?, ?)",
                    (job_id, event, os.getpid(), time.time()))
        con.commit()
    finally:
        con.close()


def _started(round_id: str) -> None:
    with _count_lock:
        _first_start.setdefault(round_id, time.time())


def _finished(round_id: str, expected: int) -> None:
    """Count the round's finished jobs; tell the orchestrator when the last one is done."""
    with _count_lock:
        n = _counts[round_id] = _counts.get(round_id, 0) + 1
    if n == expected and (path := os.environ.get("QB_SOCK")):
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(f"{round_id} {_first_start[round_id]:.6f} {time.time():.6f}".encode(), path)


async def work(job_id: str, round_id: str, expected: int, sleep_s: float, record: bool) -> None:
    """The benchmark job: optionally log start/finish, await a sleep, count the round."""
    _started(round_id)
    if record:
        _record(job_id, "start")
    await asyncio.sleep(sleep_s)
    if record:
        _record(job_id, "done")
    _finished(round_id, expected)


# ---------------------------------------------------------------------------------------------
# Engines. Each builds its app/broker for one queue; the same code serves publisher and worker.

Args = tuple[str, str, int, float, bool]


class Publisher:
    """An engine's producer, connected once: send() publishes jobs one by one, each confirmed."""

    def send(self, jobs: list[Args]) -> None:
        raise NotImplementedError

    def send_delayed(self, job: Args, delay_s: float) -> None:
        """Publish one job to run `delay_s` from now, the engine's own way."""
        raise NotImplementedError

    def close(self) -> None:
        """Release the connection."""


@dataclass
class Engine:
    """One engine under test: how to publish, how to run a worker, what to delete afterwards."""

    name: str
    package: str
    coroutine: str  # how the engine runs an async job
    publisher: Callable[[str, str], Publisher]  # url, queue: a connection kept open across sends
    run_worker: Callable[[str, str, int], None]  # url, queue, concurrency (blocks)
    queues: Callable[[str], list[str]]
    exchanges: Callable[[str], list[str]]
    settings: dict[str, Any] = field(default_factory=dict)


# --- Celery: no native async tasks; threads pool, the coroutine run on a loop per thread or asyncio.run

_thread_loop = threading.local()


def _run_on_thread_loop(coro: Coroutine[Any, Any, None]) -> None:
    loop = getattr(_thread_loop, "loop", None)
    if loop is None:
        loop = _thread_loop.loop = asyncio.new_event_loop()
    loop.run_until_complete(coro)


def _celery_app(url: str, queue: str, mode: str) -> tuple[Any, Any]:
    from celery import Celery

    app = Celery(f"qb_{queue}", broker=url, set_as_current=False)
    app.conf.update(
        task_default_queue=queue,
        task_acks_late=True,  # ack after the task returns
        task_reject_on_worker_lost=True,  # requeue, don't ack, when a pool child dies mid-task
        worker_prefetch_multiplier=1,  # prefetch = concurrency
        task_ignore_result=True,
        worker_enable_remote_control=False,  # no pidbox queues
        worker_send_task_events=False,
        worker_hijack_root_logger=False,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"confirm_publish": True},
    )
    runner = asyncio.run if mode == "asyncio.run" else _run_on_thread_loop

    @app.task(name="qb.work")
    def task(job_id: str, round_id: str, expected: int, sleep_s: float, record: bool) -> None:
        runner(work(job_id, round_id, expected, sleep_s, record))

    return app, task


def _celery_engine(mode: str) -> Engine:
    class CeleryPublisher(Publisher):
        def __init__(self, url: str, queue: str) -> None:
            self.app, self.task = _celery_app(url, queue, mode)

        def send(self, jobs: list[Args]) -> None:
            with self.app.producer_or_acquire() as producer:  # pooled: the connection stays open
                for job in jobs:
                    self.task.apply_async(args=job, producer=producer)

        def send_delayed(self, job: Args, delay_s: float) -> None:
            self.task.apply_async(args=job, countdown=delay_s)

        def close(self) -> None:
            self.app.close()

    def run_worker(url: str, queue: str, concurrency: int) -> None:
        app, _ = _celery_app(url, queue, mode)
        app.worker_main(argv=["worker", "--pool=threads", f"--concurrency={concurrency}", "-Q", queue,
                              "--loglevel=WARNING", "--without-gossip", "--without-mingle", "--without-heartbeat"])

    how = "asyncio.run per task" if mode == "asyncio.run" else "a loop per worker thread"
    return Engine(
        name=f"celery ({'asyncio.run' if mode == 'asyncio.run' else 'loop/thread'})", package="celery",
        coroutine=f"not native: threads pool, {how}",
        publisher=CeleryPublisher, run_worker=run_worker,
        queues=lambda q: [q], exchanges=lambda q: [q],
        settings={"task_acks_late": True, "task_reject_on_worker_lost": True,
                  "worker_prefetch_multiplier": 1, "pool": "threads", "confirm_publish": True},
    )


# --- Dramatiq: always acks after the actor returns; async actors run on the AsyncIO middleware's loop thread

def _dramatiq_broker(url: str, queue: str) -> tuple[Any, Any]:
    import dramatiq
    from dramatiq.brokers.rabbitmq import RabbitmqBroker
    from dramatiq.middleware import AsyncIO

    broker = RabbitmqBroker(url=url, confirm_delivery=True)
    broker.add_middleware(AsyncIO())

    @dramatiq.actor(actor_name="qb_work", queue_name=queue, broker=broker, max_retries=0,
                    time_limit=3_600_000)
    async def actor(job_id: str, round_id: str, expected: int, sleep_s: float, record: bool) -> None:
        await work(job_id, round_id, expected, sleep_s, record)

    return broker, actor


def _dramatiq_engine() -> Engine:
    class DramatiqPublisher(Publisher):
        def __init__(self, url: str, queue: str) -> None:
            self.broker, self.actor = _dramatiq_broker(url, queue)

        def send(self, jobs: list[Args]) -> None:
            for job in jobs:
                self.actor.send(*job)

        def send_delayed(self, job: Args, delay_s: float) -> None:
            self.actor.send_with_options(args=job, delay=int(delay_s * 1000))

        def close(self) -> None:
            self.broker.close()

    def run_worker(url: str, queue: str, concurrency: int) -> None:
        from dramatiq import Worker

        broker, _ = _dramatiq_broker(url, queue)
        worker = Worker(broker, worker_threads=concurrency, worker_timeout=100)
        worker.queue_prefetch = concurrency
        worker.start()
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        stop.wait()
        worker.stop()
        broker.close()

    return Engine(
        name="dramatiq", package="dramatiq",
        coroutine="AsyncIO middleware: one event-loop thread per process, worker threads block on it",
        publisher=DramatiqPublisher, run_worker=run_worker,
        queues=lambda q: [q, f"{q}.DQ", f"{q}.XQ"], exchanges=lambda q: [],
        settings={"worker_threads": "concurrency", "queue_prefetch": "concurrency", "confirm_delivery": True,
                  "ack": "always after the actor returns"},
    )


# --- Taskiq + taskiq-aio-pika: native asyncio, ack when executed

def _taskiq_broker(url: str, queue: str, concurrency: int, queue_type: str) -> tuple[Any, Any]:
    from taskiq_aio_pika import AioPikaBroker, Exchange, Queue, QueueType

    kind = QueueType(queue_type)
    broker = AioPikaBroker(
        url, qos=concurrency, exchange=Exchange(name=queue),
        task_queues=[Queue(name=queue, type=kind)],
        dead_letter_queue=Queue(name=f"{queue}.dead_letter", type=kind),
        # delayed tasks: per-message TTL here, then dead-lettered into the task queue
        delay_queue=Queue(name=f"{queue}.delay", type=kind),
    )

    @broker.task(task_name="qb.work")
    async def task(job_id: str, round_id: str, expected: int, sleep_s: float, record: bool) -> None:
        await work(job_id, round_id, expected, sleep_s, record)

    return broker, task


def _taskiq_engine(queue_type: str) -> Engine:
    class TaskiqPublisher(Publisher):
        def __init__(self, url: str, queue: str) -> None:
            self.loop = asyncio.new_event_loop()
            self.broker, self.task = _taskiq_broker(url, queue, 1, queue_type)
            self.loop.run_until_complete(self.broker.startup())

        def send(self, jobs: list[Args]) -> None:
            async def go() -> None:
                for job in jobs:
                    await self.task.kiq(*job)

            self.loop.run_until_complete(go())

        def send_delayed(self, job: Args, delay_s: float) -> None:
            self.loop.run_until_complete(self.task.kicker().with_labels(delay=delay_s).kiq(*job))

        def close(self) -> None:
            self.loop.run_until_complete(self.broker.shutdown())
            self.loop.close()

    def run_worker(url: str, queue: str, concurrency: int) -> None:
        from taskiq.acks import AcknowledgeType
        from taskiq.api import run_receiver_task

        async def go() -> None:
            broker, _ = _taskiq_broker(url, queue, concurrency, queue_type)
            broker.is_worker_process = True
            await broker.startup()
            receiver = asyncio.create_task(run_receiver_task(
                broker, max_async_tasks=concurrency, max_prefetch=0,
                ack_time=AcknowledgeType.WHEN_EXECUTED))
            stop = asyncio.Event()
            asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
            await stop.wait()
            receiver.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await receiver
            await broker.shutdown()

        asyncio.run(go())

    return Engine(
        name="taskiq" if queue_type == "classic" else f"taskiq ({queue_type})", package="taskiq-aio-pika",
        coroutine="native: tasks are coroutines on the worker's own event loop",
        publisher=TaskiqPublisher, run_worker=run_worker,
        queues=lambda q: [q, f"{q}.dead_letter", f"{q}.delay"], exchanges=lambda q: [q],
        settings={"ack_type": "when_executed", "qos": "concurrency", "max_async_tasks": "concurrency",
                  "queue_type": queue_type, "publisher_confirms": True},
    )


ENGINE_FACTORIES: dict[str, Callable[[], Engine]] = {
    "celery": lambda: _celery_engine("thread-loop"),
    "celery-asyncio-run": lambda: _celery_engine("asyncio.run"),
    "dramatiq": _dramatiq_engine,
    "taskiq": lambda: _taskiq_engine("classic"),
    "taskiq-quorum": lambda: _taskiq_engine("quorum"),  # taskiq-aio-pika's default queue type
}
REQUIRES = {"celery": ["celery"], "celery-asyncio-run": ["celery"], "dramatiq": ["dramatiq", "pika"],
            "taskiq": ["taskiq", "taskiq-aio-pika"], "taskiq-quorum": ["taskiq", "taskiq-aio-pika"]}

# (d) documented behaviour when a delivery stays unacknowledged past consumer_timeout.
LONG_WAITS: dict[str, dict[str, str]] = {
    "rabbitmq": {
        "setting": "consumer_timeout (rabbitmq.conf, ms; default 1800000 = 30 min since 3.8.17; "
                   "per queue x-consumer-timeout / policy consumer-timeout from 3.12)",
        "behaviour": "a delivery unacknowledged longer than consumer_timeout: the broker closes the channel "
                     "with PRECONDITION_FAILED 'delivery acknowledgement timed out' and requeues every "
                     "unacked delivery of that channel; the late ack then fails (unknown delivery tag)",
    },
    "celery": {
        "setting": "task_acks_late, worker_prefetch_multiplier; broker_transport_options visibility_timeout is "
                   "Redis/SQS only",
        "behaviour": "an ack-late task running past consumer_timeout loses its channel: the message is "
                     "requeued and runs again (a loop if it always takes that long). ETA/countdown tasks are "
                     "held unacked by the worker until due, so a countdown > 30 min trips it too (docs, "
                     "Calling: ETA and countdown; celery#6760), except with quorum queues, where Celery >= 5.5 "
                     "routes them through native delayed-delivery exchanges",
    },
    "dramatiq": {
        "setting": "TimeLimit middleware time_limit (default 600000 ms = 10 min, kills the actor); "
                   "no consumer_timeout handling in 2.2",
        "behaviour": "an actor over time_limit is interrupted (TimeLimitExceeded) and retried by Retries; with "
                     "time_limit above consumer_timeout the channel is closed and the message redelivered, "
                     "reprocessed again and again; delayed messages (send_with_options delay, retry backoff) "
                     "are held unacked in worker memory from the .DQ queue until their eta, so delays > "
                     "30 min are requeued by the broker (dramatiq#827, open; PR #877 unmerged)",
    },
    "taskiq": {
        "setting": "--ack-type (when_received | when_executed | when_saved, default when_saved); "
                   "AioPikaBroker qos, delay_queue or delayed_message_exchange_plugin",
        "behaviour": "a task awaiting past consumer_timeout with ack after execution loses its channel "
                     "(aio-pika's robust connection reopens it) and the message is redelivered: it runs again. "
                     "Delayed tasks (kicker().with_labels(delay=s)) wait in the broker, not in the worker: "
                     "a delay queue with per-message TTL dead-lettered to the task queue (FIFO: a long delay "
                     "at the head holds back shorter ones behind it) or the delayed-message-exchange plugin",
    },
}

REDIS_ONLY = {
    "arq": "asyncio-native, Redis only (no RabbitMQ); jobs re-run after a crash once their in-progress key "
           "expires; excluded by the RabbitMQ requirement of issue 22",
    "saq": "asyncio-native, Redis (and PostgreSQL) only; no RabbitMQ; excluded for the same reason",
}


# ---------------------------------------------------------------------------------------------
# Orchestration


def _rabbit(url: str) -> Any:
    import pika

    return pika.BlockingConnection(pika.URLParameters(url))


def _consumers(url: str, queue: str) -> int:
    with contextlib.closing(_rabbit(url)) as conn:
        ch = conn.channel()
        try:
            return int(ch.queue_declare(queue, passive=True).method.consumer_count)
        except Exception:  # the queue is not declared yet
            return 0


def _ready(url: str, queues: list[str]) -> int:
    """Messages ready (not delivered to any consumer) in those of `queues` that exist."""
    total = 0
    with contextlib.closing(_rabbit(url)) as conn:
        for q in queues:
            ch = conn.channel()
            try:
                total += int(ch.queue_declare(q, passive=True).method.message_count)
            except Exception:  # not declared by this engine
                continue
    return total


def _cleanup(url: str, engine: Engine, queue: str) -> None:
    with contextlib.closing(_rabbit(url)) as conn:
        for q in engine.queues(queue):
            ch = conn.channel()
            with contextlib.suppress(Exception):
                ch.queue_delete(q)
        for x in engine.exchanges(queue):
            ch = conn.channel()
            with contextlib.suppress(Exception):
                ch.exchange_delete(x)


def _rabbit_version(url: str) -> str:
    with contextlib.closing(_rabbit(url)) as conn:
        props = conn._impl.server_properties  # pika keeps them on the underlying connection
        v = props.get("version", b"?")
        return v.decode() if isinstance(v, bytes) else str(v)


class Worker:
    """One worker subprocess running `engine` on `queue`."""

    def __init__(self, key: str, url: str, queue: str, concurrency: int, env: dict[str, str], log: Path) -> None:
        self.log = log
        self._fh = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--worker", key, "--url", url, "--queue", queue,
             "--concurrency", str(concurrency)],
            env={**os.environ, **env}, stdout=self._fh, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()
        self._fh.close()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-2000:]


def _wait_consumers(url: str, queue: str, n: int, workers: list[Worker], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _consumers(url, queue) < n:
        for w in workers:
            if w.proc.poll() is not None:
                raise RuntimeError(f"worker exited ({w.proc.returncode}):\n{w.tail()}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"{n} consumer(s) on {queue} not there after {timeout:.0f} s")
        time.sleep(0.1)


class Signals:
    """The UNIX datagram socket workers report finished rounds on."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.seen: dict[str, tuple[float, float]] = {}

    def wait(self, round_id: str, timeout: float) -> tuple[float, float]:
        """Block until `round_id` is reported; returns the worker's time.time() at its first start
        and at its last finish."""
        deadline = time.monotonic() + timeout
        while round_id not in self.seen:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"round {round_id} not finished after {timeout:.0f} s")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(256).decode().split()
            except TimeoutError:
                continue
            self.seen[data[0]] = float(data[1]), float(data[2])
        return self.seen.pop(round_id)

    def close(self) -> None:
        self.sock.close()


def _jobs(round_id: str, n: int, sleep_s: float = 0.0, record: bool = False, prefix: str = "") -> list[Args]:
    return [(f"{prefix}{round_id}-{i}", round_id, n, sleep_s, record) for i in range(n)]


def inprocess_baseline(jobs: int) -> dict[str, float]:
    """Per-job cost of the same coroutine without a queue: awaited, run_until_complete, asyncio.run."""
    n = max(jobs, 20_000)  # microseconds each: enough of them that a busy moment averages out

    async def awaited() -> float:
        t0 = time.perf_counter()
        for job in _jobs("base-await", n):
            await work(*job)
        return time.perf_counter() - t0

    awaited_s = asyncio.run(awaited())
    loop = asyncio.new_event_loop()
    t0 = time.perf_counter()
    for job in _jobs("base-ruc", n):
        loop.run_until_complete(work(*job))
    ruc_s = time.perf_counter() - t0
    loop.close()
    m = max(1, n // 10)  # asyncio.run is slow; a tenth of the jobs is plenty
    t0 = time.perf_counter()
    for job in _jobs("base-run", m):
        asyncio.run(work(*job))
    run_s = time.perf_counter() - t0
    return {"await_us": awaited_s / n * 1e6, "run_until_complete_us": ruc_s / n * 1e6,
            "asyncio_run_us": run_s / m * 1e6}


class EngineRun:
    """One engine's queue, publisher, event table and signal socket across the run's phases."""

    def __init__(self, key: str, engine: Engine, args: argparse.Namespace, tmp: Path) -> None:
        self.key, self.engine, self.args, self.tmp = key, engine, args, tmp
        self.url, self.conc = args.url, args.concurrency
        self.queue = f"prokai_bench_{key.replace('-', '_')}_{os.getpid()}"
        self.db = tmp / f"{key}.sqlite"
        self.con = sqlite3.connect(self.db)
        self.con.execute("PRAGMA journal_mode=WAL")
        self.con.execute("CREATE TABLE events(job_id TEXT, event TEXT, pid INTEGER, t REAL)")
        self.con.commit()
        self.sig = Signals(tmp / f"{key}.sock")
        self.env = {"QB_SOCK": self.sig.path}
        self.workers: list[Worker] = []
        self.pub: Publisher | None = None
        self.rounds: list[dict[str, float]] = []
        self.out: dict[str, Any] = {"queue": self.queue, "coroutine": engine.coroutine,
                                    "settings": engine.settings,
                                    "version": importlib.metadata.version(engine.package)}

    def _worker(self, name: str, concurrency: int, env: dict[str, str] | None = None) -> Worker:
        w = Worker(self.key, self.url, self.queue, concurrency, env or self.env, self.tmp / f"{self.key}-{name}.log")
        self.workers.append(w)
        return w

    def _retire(self, w: Worker) -> None:
        w.stop()
        self.workers.remove(w)

    def fail(self, exc: Exception) -> None:
        """Keep the error and the workers' logs; the other engines go on."""
        self.out["error"] = f"{type(exc).__name__}: {exc}"
        self.out["worker_logs"] = [w.tail() for w in self.workers]
        for w in list(self.workers):
            self._retire(w)

    def latency(self) -> None:
        """(b) round trip of one job at a time: publish, confirm, deliver, run, report."""
        self.pub = self.engine.publisher(self.url, self.queue)
        w = self._worker("lat", self.conc)
        _wait_consumers(self.url, self.queue, 1, self.workers)
        self.pub.send(_jobs("warm", 50))
        self.sig.wait("warm", 120)
        lat = []
        for i in range(self.args.latency_rounds):
            rid = f"lat{i}"
            t0 = time.time()
            self.pub.send(_jobs(rid, 1))
            self.sig.wait(rid, 60)
            lat.append((time.time() - t0) * 1e3)
        self._retire(w)
        self.out["latency"] = {"round_trip_ms_p50": statistics.median(lat),
                               "round_trip_ms_p90": statistics.quantiles(lat, n=10)[-1] if len(lat) >= 10
                               else max(lat)}

    def throughput_round(self, rep: int) -> None:
        """(a) publish N confirmed jobs with no consumer, then one fresh worker process drains them:
        publishing and consuming are timed apart, so neither bounds the other."""
        assert self.pub is not None
        n = self.args.jobs
        self.pub.send(_jobs(f"warm-{rep}", max(50, n // 10)))
        t0 = time.perf_counter()
        self.pub.send(_jobs(f"tput-{rep}", n))
        publish_s = time.perf_counter() - t0
        w = self._worker(f"tput{rep}", self.conc)
        first, last = self.sig.wait(f"tput-{rep}", 600)
        self._retire(w)
        self.rounds.append({"publish_s": publish_s, "consume_s": last - first})

    def delayed(self) -> None:
        """(d) where a delayed job waits: published for 4 s, then one for 1 s, with one worker running.
        Held unacknowledged by the worker (nothing ready in the broker) means a delay longer than
        consumer_timeout trips it; the 1-s job running only after the 4-s one shows a FIFO delay queue."""
        assert self.pub is not None
        w = self._worker("delay", self.conc)
        _wait_consumers(self.url, self.queue, 1, self.workers)
        t0 = time.time()
        self.pub.send_delayed(("d-long", "d-long", 1, 0.0, False), 4.0)
        self.pub.send_delayed(("d-short", "d-short", 1, 0.0, False), 1.0)
        time.sleep(0.5)
        ready = _ready(self.url, self.engine.queues(self.queue))
        short_first, _ = self.sig.wait("d-short", 60)
        long_first, _ = self.sig.wait("d-long", 60)
        self._retire(w)
        self.out["delayed"] = {"ready_in_broker_while_waiting": ready,
                               "held_unacked_by_worker": ready == 0,
                               "job_1s_ran_after_s": short_first - t0, "job_4s_ran_after_s": long_first - t0}

    def crash(self) -> None:
        """(c) workers A and B share the queue; A gets SIGKILL while it holds slow jobs mid-work."""
        assert self.pub is not None
        con, args = self.con, self.args
        env_c = {**self.env, "QB_DB": str(self.db)}
        a = self._worker("A", self.conc, env_c)
        # B gets twice the slots, so what it is redelivered starts at once rather than after its own jobs
        b = self._worker("B", 2 * self.conc, env_c)
        _wait_consumers(self.url, self.queue, 2, self.workers)
        slow, quick = args.crash_jobs, args.crash_quick
        self.pub.send(_jobs("slow", slow, SLOW_S, True, "c-"))
        self.pub.send(_jobs("quick", quick, 0.0, True, "c-"))
        deadline = time.monotonic() + 60
        while True:
            started = con.execute("SELECT count(DISTINCT job_id) FROM events WHERE event='start' "
                                  "AND job_id LIKE 'c-slow-%'").fetchone()[0]
            if started == slow:
                break
            if time.monotonic() > deadline or a.proc.poll() is not None or b.proc.poll() is not None:
                raise RuntimeError(f"{started}/{slow} slow jobs started:\n{a.tail()}\n{b.tail()}")
            time.sleep(0.01)
        held = {r[0] for r in con.execute(
            "SELECT job_id FROM events GROUP BY job_id "
            "HAVING sum(event='start' AND pid=?) > 0 AND sum(event='done') = 0", (a.proc.pid,))}
        t_kill = time.time()
        a.kill()
        self._retire(a)
        total_jobs = slow + quick
        deadline = time.monotonic() + args.crash_timeout
        while time.monotonic() < deadline:
            done = con.execute("SELECT count(DISTINCT job_id) FROM events WHERE event='done'").fetchone()[0]
            if done == total_jobs:
                break
            time.sleep(0.05)
        time.sleep(1.0)  # let any extra (duplicate) run show up
        rows = con.execute("SELECT job_id, sum(event='start'), sum(event='done'), "
                           "min(CASE WHEN event='start' AND pid=? THEN t END), "
                           "sum(event='done' AND pid=? AND t < ?) FROM events GROUP BY job_id",
                           (b.proc.pid, a.proc.pid, t_kill)).fetchall()
        self._retire(b)
        by_id = {r[0]: r for r in rows}
        ids = [j[0] for j in _jobs("slow", slow, prefix="c-")] + [j[0] for j in _jobs("quick", quick, prefix="c-")]
        lost = [i for i in ids if i not in by_id or by_id[i][2] == 0]
        twice = [i for i in ids if i in by_id and by_id[i][2] > 1]
        # finished on A before the kill but not yet acknowledged: at-least-once runs it again on B
        unacked = [i for i in twice if by_id[i][4] and by_id[i][2] == 2]
        # a job A held starts twice (A, then B after the kill); anything beyond that is an extra run
        extra = [i for i in ids if i in by_id and by_id[i][1] > (2 if i in held or i in unacked else 1)]
        redelivered = [by_id[i][3] - t_kill for i in held if by_id[i][3] is not None and by_id[i][3] > t_kill]
        self.out["crash"] = {
            "jobs": total_jobs, "held_mid_work_when_killed": len(held),
            "redelivered_to_second_worker": len(redelivered),
            "redelivery_s_max": max(redelivered) if redelivered else None,
            "redelivery_s_min": min(redelivered) if redelivered else None,
            "lost": len(lost), "finished_twice": len(twice),
            "finished_twice_done_on_A_unacked_at_kill": len(unacked),
            "finished_twice_unexplained": len(twice) - len(unacked), "extra_runs": len(extra),
        }

    def result(self, base_us: float) -> dict[str, Any]:
        """The engine's figures; throughput as the median of its rounds."""
        if self.rounds:
            n = self.args.jobs
            publish_s = statistics.median(r["publish_s"] for r in self.rounds)
            consume_s = statistics.median(r["consume_s"] for r in self.rounds)
            per_job_us = consume_s / n * 1e6
            self.out["throughput"] = {
                "jobs": n, "rounds": len(self.rounds), "publish_per_s": n / publish_s,
                "consume_per_s": n / consume_s,
                "consume_per_s_rounds": [n / r["consume_s"] for r in self.rounds],
                "publish_per_s_rounds": [n / r["publish_s"] for r in self.rounds],
            }
            self.out["overhead"] = {"per_job_us": per_job_us, "inprocess_us": base_us,
                                    "ratio_vs_inprocess": per_job_us / base_us,
                                    "overhead_us": per_job_us - base_us, "publish_us": publish_s / n * 1e6,
                                    **self.out.get("latency", {})}
        return self.out

    def close(self) -> None:
        """Stop what is left, delete the engine's queues and exchanges."""
        for w in list(self.workers):
            self._retire(w)
        if self.pub is not None:
            with contextlib.suppress(Exception):
                self.pub.close()
        self.sig.close()
        self.con.close()
        _cleanup(self.url, self.engine, self.queue)


def _fmt(v: Any, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def print_table(results: dict[str, Any]) -> None:
    """Print the per-engine figures and the documented long-wait behaviour."""
    base = results["inprocess"]
    print(f"\nin-process, same coroutine: await {base['await_us']:.1f} µs/job, "
          f"loop.run_until_complete {base['run_until_complete_us']:.1f} µs/job, "
          f"asyncio.run {base['asyncio_run_us']:.1f} µs/job")
    head = (f"{'engine':<22}{'pub/s':>7}{'cons/s':>8}{'µs/job':>8}{'× in-proc':>10}{'rtt p50 ms':>11}"
            f"{'held':>6}{'redeliv.':>9}{'after s':>8}{'lost':>6}{'rerun':>7}{'dup':>5}{'extra':>7}")
    print("\n" + head + "\n" + "-" * len(head))
    for name, r in results["engines"].items():
        if "error" in r and "throughput" not in r:
            print(f"{name:<22} error: {r['error']}")
            continue
        t, o, c = r.get("throughput", {}), r.get("overhead", {}), r.get("crash", {})
        print(f"{name:<22}{_fmt(t.get('publish_per_s'), '.0f'):>7}{_fmt(t.get('consume_per_s'), '.0f'):>8}"
              f"{_fmt(o.get('per_job_us'), '.0f'):>8}"
              f"{_fmt(o.get('ratio_vs_inprocess'), '.0f'):>10}{_fmt(o.get('round_trip_ms_p50'), '.2f'):>11}"
              f"{_fmt(c.get('held_mid_work_when_killed'), 'd'):>6}"
              f"{_fmt(c.get('redelivered_to_second_worker'), 'd'):>9}{_fmt(c.get('redelivery_s_max'), '.2f'):>8}"
              f"{_fmt(c.get('lost'), 'd'):>6}{_fmt(c.get('finished_twice_done_on_A_unacked_at_kill'), 'd'):>7}"
              f"{_fmt(c.get('finished_twice_unexplained'), 'd'):>5}{_fmt(c.get('extra_runs'), 'd'):>7}")
        if "error" in r:
            print(f"{'':<22} error: {r['error']}")
    print("held: jobs worker A had started and not finished when it got SIGKILL; redeliv.: how many of them\n"
          "started again on worker B, the last one 'after s' the kill; rerun: jobs A had finished but not\n"
          "yet acknowledged, run again by B (the at-least-once window); dup: any other job finished twice;\n"
          "extra: starts beyond those. µs/job: consuming, amortised over the worker's concurrency.")
    for name, r in results["engines"].items():
        print(f"  {name}: coroutines: {r['coroutine']}")
    print(f"\ndelayed jobs (one for 4 s, then one for 1 s):\n{'engine':<22}{'waits in':>28}{'1-s job ran':>13}"
          f"{'4-s job ran':>13}")
    for name, r in results["engines"].items():
        d = r.get("delayed")
        if d:
            where = "worker memory, unacked" if d["held_unacked_by_worker"] else "broker, ready"
            print(f"{name:<22}{where:>28}{d['job_1s_ran_after_s']:>12.2f}s{d['job_4s_ran_after_s']:>12.2f}s")
    print(f"\nlong waits (consumer_timeout here: {results['rabbitmq']['consumer_timeout_ms']} ms), documented:")
    for name, d in results["long_waits"].items():
        print(f"  {name}: {d['behaviour']}\n    setting: {d['setting']}")
    print("\nnot measured (Redis only): " + "; ".join(f"{k}: {v}" for k, v in REDIS_ONLY.items()))


def _consumer_timeout_ms() -> int | None:
    """The running broker's consumer_timeout, read with rabbitmqctl when it is allowed; None otherwise."""
    try:
        out = subprocess.run(["rabbitmqctl", "eval", "application:get_env(rabbit, consumer_timeout)."],
                             capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    digits = "".join(ch for ch in out if ch.isdigit())
    return int(digits) if digits else None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=2000, help="no-op jobs for the throughput round")
    ap.add_argument("--engines", default=",".join(ENGINE_FACTORIES), help="comma-separated subset")
    ap.add_argument("--concurrency", type=int, default=8, help="jobs one worker process runs at once (= prefetch)")
    ap.add_argument("--repeats", type=int, default=3, help="throughput rounds per engine (median reported)")
    ap.add_argument("--latency-rounds", type=int, default=30, help="one-job round trips for the latency figure")
    ap.add_argument("--crash-jobs", type=int, default=8, help="2-s jobs spread over workers A and B; A is killed holding its share")
    ap.add_argument("--crash-quick", type=int, default=16, help="quick jobs published after them")
    ap.add_argument("--crash-timeout", type=float, default=60.0)
    ap.add_argument("--url", default=os.environ.get("PROKAI_BENCH_AMQP_URL", DEFAULT_URL))
    ap.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--queue", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:  # a worker subprocess started by the orchestrator below
        ENGINE_FACTORIES[args.worker]().run_worker(args.url, args.queue, args.concurrency)
        return 0

    try:
        import pika  # noqa: F401  (queue administration)
    except ImportError:
        print("needs pika (pip install -e '.[bench]')", file=sys.stderr)
        return 2
    installed: list[str] = []
    for key in args.engines.split(","):
        try:
            for pkg in REQUIRES[key]:
                importlib.metadata.version(pkg)
        except importlib.metadata.PackageNotFoundError:
            print(f"skipping {key}: not installed", file=sys.stderr)
            continue
        installed.append(key)
    try:
        rabbit_version = _rabbit_version(args.url)
    except Exception as exc:  # pika's connection errors have no common public base
        print(f"RabbitMQ not reachable at {args.url.split('@')[-1]}: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    bases = [inprocess_baseline(args.jobs)]
    results: dict[str, Any] = {
        "bench": "queue_engines",
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "host": {"python": platform.python_version(), "cpus": os.cpu_count(), "machine": platform.machine(),
                 "loadavg_start": os.getloadavg()},
        "rabbitmq": {"url": args.url.split("@")[-1], "version": rabbit_version,
                     "consumer_timeout_ms": _consumer_timeout_ms()},
        "params": {"jobs": args.jobs, "repeats": args.repeats, "concurrency": args.concurrency, "latency_rounds": args.latency_rounds,
                   "crash_jobs": args.crash_jobs, "crash_quick": args.crash_quick, "crash_job_sleep_s": SLOW_S},
        "inprocess": bases[0],
        "engines": {},
        "long_waits": LONG_WAITS,
        "redis_only": REDIS_ONLY,
    }
    with tempfile.TemporaryDirectory(prefix="qbench-") as tmp:
        runs = [EngineRun(key, ENGINE_FACTORIES[key](), args, Path(tmp)) for key in installed]
        try:
            for run in runs:
                print(f"--- {run.engine.name}: latency, kill -9 ...", flush=True)
                try:
                    run.latency()
                    run.delayed()
                    run.crash()
                except Exception as exc:  # one engine's failure must not hide the others' figures
                    run.fail(exc)
            # throughput rounds interleaved across engines, so a busy moment of the machine hits all alike
            for rep in range(args.repeats):
                bases.append(inprocess_baseline(args.jobs))
                for run in runs:
                    if "error" in run.out:
                        continue
                    print(f"--- {run.engine.name}: throughput round {rep + 1}/{args.repeats} ...", flush=True)
                    try:
                        run.throughput_round(rep)
                    except Exception as exc:
                        run.fail(exc)
            base = {k: statistics.median(b[k] for b in bases) for k in bases[0]}
            results["inprocess"] = base
            for run in runs:
                results["engines"][run.engine.name] = run.result(base["await_us"])
        finally:
            for run in runs:
                run.close()
        results["loadavg_end"] = os.getloadavg()
    print_table(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.json}")
    return 1 if any("error" in r for r in results["engines"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
