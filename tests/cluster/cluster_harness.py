"""The cluster tests' world: the reliability probes' sandbox shops and nodes (real `prokai`
subprocesses, sessions in the vault), a queue and a PostgreSQL schema of its own per cluster, and
the campaign the single-process runner runs as the reference. Fixtures in conftest.py."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from reliability_harness import REPO, SHOPS, Node, SandboxThread, Shop, finish
from sqlalchemy import select

BROKER = os.environ.get("PROKAI_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


class SlowShop(Shop):
    """Answers each press after a pause: its conversation lasts long enough to be killed in."""

    async def on_callback(self, chat: Any, query: Any) -> Any:
        await asyncio.sleep(0.8)
        return await super().on_callback(chat, query)


class LinkingShop(Shop):
    """Names its backup bot, which is no target: the crawl discovers it (a worker publishes it)."""

    async def on_message(self, chat: Any, message: Any) -> None:
        if message.text.startswith("/start"):
            await chat.send("Если бот не отвечает, пишите в резервный: @rel_hidden_bot")
        await super().on_message(chat, message)


SLOW = ("rel_slow_bot", "rel_slower_bot")
EXTRA = {SLOW[0]: SlowShop(7), SLOW[1]: SlowShop(8), "rel_linking_bot": LinkingShop(9),
         "rel_delta_bot": Shop(4), "rel_echo_bot": Shop(5)}
HIDDEN = {"rel_hidden_bot": Shop(10)}
# the slow shops first: each goes to a worker of its own at once, both conversations under way together
TARGETS = [f"@{name}" for name in [*SLOW, *SHOPS, *(n for n in EXTRA if n not in SLOW)]]
# one level of discovery, in the reference run as in the cluster (the harness's crawl section otherwise)
CRAWL = {"crawl": {"min_delay_s": 0, "max_delay_s": 0, "max_depth": 1, "daily_cap_per_account": 30}}
CLUSTERS = itertools.count(1)  # each cluster its own sandbox accounts


class Cluster:
    """A node's data (PostgreSQL, a queue of its own) and its `prokai worker` processes."""

    def __init__(self, root: Path, sandbox: SandboxThread, url: str, phones: list[str], targets: int = len(TARGETS),
                 shops: tuple[str, ...] = (), **cluster: Any) -> None:
        """The last `targets` of TARGETS, or `shops` (usernames) when given; `cluster`: cluster.* keys."""
        self.queue = f"prokai.test.{uuid.uuid4().hex[:10]}"
        chosen = [f"@{name}" for name in shops] if shops else TARGETS[-targets:]
        self.node = Node(root, sandbox, phones, chosen, url=url, config={**CRAWL,
            "cluster": {"broker_url": BROKER, "queue": self.queue, "heartbeat_s": 1, "progress_interval_s": 0.2,
                        **cluster},
        })
        self.workers: list[subprocess.Popen[str]] = []

    def start_workers(self, n: int, stop_grace: float = 2, concurrency: int = 1, broker_url: str | None = None) -> None:
        """`n` more workers; `broker_url`: theirs instead of the cluster's (a `BrokerLink`)."""
        args = ["worker", "--model", "keywords", "--concurrency", str(concurrency), "--stop-grace", str(stop_grace)]
        if broker_url is None:
            self.workers += [self.node.start(*args) for _ in range(n)]
            return
        env = {**self.node.env(), "PROKAI_CLUSTER__BROKER_URL": broker_url}
        self.workers += [subprocess.Popen([sys.executable, "-m", "prokai", "-c", str(self.node.config), *args],
                                          cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                         for _ in range(n)]

    def wait_ready(self, n: int, timeout: float = 60) -> None:
        """Until `n` workers consume (each registers in the workers table once its queue is open)."""
        from prokai.cluster.presence import live_workers
        from prokai.store.db import Database

        db = Database(self.node.url)
        try:
            deadline = time.monotonic() + timeout
            while len(live_workers(db, 1.0)) < n:
                assert time.monotonic() < deadline, "the workers never came up"
                assert all(p.poll() is None for p in self.workers), [finish(p) for p in self.workers if p.poll()]
                time.sleep(0.1)
        finally:
            db.dispose()

    def dispatch(self) -> subprocess.Popen[str]:
        return self.node.start("campaign", "run", str(self.node.campaign_id), "--distributed", "--no-progress")

    def stop_workers(self) -> list[tuple[int, str, str]]:
        """SIGTERM every live worker; (exit code, stdout, stderr) of each."""
        live = [p for p in self.workers if p.poll() is None]
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        return [finish(p, timeout=30) for p in live]

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        from prokai.cluster.queue import delete_queue
        from prokai.config import ClusterSettings

        asyncio.run(delete_queue(ClusterSettings(broker_url=BROKER, queue=self.queue)))


def holders_of(cluster: Cluster, dispatch: subprocess.Popen[str], shops: tuple[str, ...],
                timeout: float = 60) -> list[tuple[subprocess.Popen[str], int, int]]:
    """The workers mid-way through the conversations with `shops`, all at once (two answers of
    each stored): each worker, its conversation and its account."""
    from prokai.store.models import Account, Conversation, Message, Target

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert dispatch.poll() is None, dispatch.communicate()
        found = []
        with cluster_db(cluster) as s:
            for shop in shops:
                row = s.execute(
                    select(Conversation.id, Conversation.account_id, Account.lease_owner)
                    .join(Target, Target.id == Conversation.target_id)
                    .join(Account, Account.id == Conversation.account_id)
                    .where(Target.raw.like(f"%{shop}"), Conversation.ended_at.is_(None))).first()
                answers = 0 if row is None else len(s.scalars(select(Message.id).where(
                    Message.conversation_id == row[0], Message.direction == "in")).all())
                if row is not None and row[2] and answers >= 2:
                    pid = int(str(row[2]).split(":")[1])
                    found.append((next(p for p in cluster.workers if p.pid == pid), int(row[0]), int(row[1])))
        if len(found) == len(shops):
            return found
        time.sleep(0.05)
    raise AssertionError(f"the conversations with {shops} were never under way together")


@contextmanager
def cluster_db(cluster: Cluster) -> Iterator[Any]:
    """A session on the cluster's database (its engine disposed afterwards)."""
    from prokai.store.db import Database

    db = Database(cluster.node.url)
    try:
        with db.session() as s:
            yield s
    finally:
        db.dispose()




class BrokerLink:
    """A TCP relay between the workers and RabbitMQ that the test can cut: every connection through
    it is closed and new ones are refused until `restore`, as when a network link or the broker
    goes away (a fault injector, not a mock: the AMQP traffic is the real broker's)."""

    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5672)) -> None:
        import threading

        self.upstream = upstream
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self._server: asyncio.AbstractServer | None = None
        self._conns: set[asyncio.StreamWriter] = set()
        self.port = 0
        self.cuts = 0
        self.restore()

    def _call(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self._conns.update((writer, up_writer))
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self._conns.difference_update((writer, up_writer))

    async def _listen(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        assert self._server is not None
        self._server.close()
        self._server = None
        for writer in list(self._conns):
            writer.transport.abort()
        self._conns.clear()

    @property
    def url(self) -> str:
        """The broker URL through the link."""
        return f"amqp://guest:guest@127.0.0.1:{self.port}/"

    def cut(self) -> None:
        """Drop every connection and refuse new ones."""
        self.cuts += 1
        self._call(self._cut())

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        self._call(self._listen())

    def close(self) -> None:
        if self._server is not None:
            self.cut()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
