"""Several `prokai worker` processes on the real RabbitMQ and the real PostgreSQL, over the sandbox
(the reliability probes' world: real `prokai` subprocesses, sessions in the vault, the production
account pool): a distributed campaign ends as the single-process runner leaves it, also when one
worker is killed with `kill -9` mid-conversation (its job is redelivered, resumed by another
worker with the same account, nothing stored twice), and SIGTERM stops a worker cleanly.

Each test has a queue of its own (deleted afterwards) and a PostgreSQL schema of its own."""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from reliability_harness import SHOPS, Node, SandboxThread, Shop, finish
from sqlalchemy import select

pytestmark = pytest.mark.timeout(120)

BROKER = os.environ.get("PROKAI_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")


class SlowShop(Shop):
    """Answers each press after a pause: its conversation lasts long enough to be killed in."""

    async def on_callback(self, chat: Any, query: Any) -> Any:
        await asyncio.sleep(0.6)
        return await super().on_callback(chat, query)


EXTRA = {"rel_slow_bot": SlowShop(7), "rel_delta_bot": Shop(4), "rel_echo_bot": Shop(5)}
TARGETS = [f"@{name}" for name in [*SHOPS, *EXTRA]]
_clusters = itertools.count(1)  # each cluster its own sandbox accounts


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    box = SandboxThread(EXTRA)
    yield box
    box.stop()


@pytest.fixture(scope="module")
def reference(sandbox: SandboxThread, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same campaign run by the single-process runner: what every distributed run must end with."""
    node = Node(tmp_path_factory.mktemp("ref"), sandbox, ["+77067000001", "+77067000002"], TARGETS)
    code, _, err = finish(node.campaign())
    assert code == 0, err[-3000:]
    return node.summary()


class Cluster:
    """A node's data (PostgreSQL, a queue of its own) and its `prokai worker` processes."""

    def __init__(self, root: Path, sandbox: SandboxThread, url: str, phones: list[str]) -> None:
        self.queue = f"prokai.test.{uuid.uuid4().hex[:10]}"
        self.node = Node(root, sandbox, phones, TARGETS, url=url, config={
            "cluster": {"broker_url": BROKER, "queue": self.queue, "heartbeat_s": 1, "progress_interval_s": 0.2},
        })
        self.workers: list[subprocess.Popen[str]] = []

    def start_workers(self, n: int) -> None:
        self.workers += [self.node.start("worker", "--model", "keywords", "--concurrency", "1", "--stop-grace", "2")
                         for _ in range(n)]

    def dispatch(self) -> subprocess.Popen[str]:
        return self.node.start("campaign", "run", str(self.node.campaign_id), "--distributed", "--no-progress")

    def stop_workers(self) -> list[tuple[int, str]]:
        """SIGTERM every live worker; (exit code, stderr) of each."""
        live = [p for p in self.workers if p.poll() is None]
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        return [(code, err) for code, _, err in (finish(p, timeout=30) for p in live)]

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        from prokai.cluster.queue import delete_queue
        from prokai.config import ClusterSettings

        asyncio.run(delete_queue(ClusterSettings(broker_url=BROKER, queue=self.queue)))


@pytest.fixture
def cluster(sandbox: SandboxThread, pg_schema_url: str, tmp_path: Path) -> Iterator[Cluster]:
    n = next(_clusters)
    box = Cluster(tmp_path, sandbox, pg_schema_url, [f"+770680{n:02d}00{k}" for k in (1, 2, 3)])
    try:
        yield box
    finally:
        box.close()


def _final(summary: dict[str, Any]) -> dict[str, Any]:
    return {k: summary[k] for k in ("targets", "requisites", "campaigns")}


def _clean(summary: dict[str, Any]) -> None:
    assert summary["duplicates"] == []
    assert summary["leased"] == []
    assert summary["intact"]
    assert not [t for t, (_, outcome) in summary["targets"].items() if outcome == "error"]


def test_three_workers_finish_like_one_process(cluster: Cluster, reference: dict[str, Any]) -> None:
    cluster.start_workers(3)
    code, out, err = finish(cluster.dispatch())
    assert code == 0, err[-3000:]
    assert f"{len(TARGETS)} conversations" in out
    stopped = cluster.stop_workers()
    assert [code for code, _ in stopped] == [0, 0, 0], [e[-2000:] for _, e in stopped]
    assert not [e for _, e in stopped if "Traceback" in e]
    after = cluster.node.summary()
    _clean(after)
    assert _final(after) == _final(reference)
    with _db(cluster) as s:  # the work was shared: more than one worker held the accounts
        from prokai.store.models import Conversation

        accounts = set(s.scalars(select(Conversation.account_id)))
    assert len(accounts) > 1


def test_worker_killed_mid_conversation(cluster: Cluster, reference: dict[str, Any]) -> None:
    from prokai.store.models import Account, AuditRecord, Conversation, Target

    cluster.start_workers(3)
    dispatch = cluster.dispatch()
    victim, conv_id, account_id = _holder_of_slow_conversation(cluster, dispatch)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait()
    with _db(cluster) as s:
        conv = s.get(Conversation, conv_id)
        assert conv is not None and conv.ended_at is None, "killed after the conversation ended: probes nothing"
    code, out, err = finish(dispatch)
    assert code == 0, err[-3000:]
    stopped = cluster.stop_workers()
    assert [code for code, _ in stopped] == [0, 0]
    after = cluster.node.summary()
    _clean(after)
    assert _final(after) == _final(reference)
    with _db(cluster) as s:
        slow = s.scalar(select(Target).where(Target.raw.like("%rel_slow_bot")))
        assert slow is not None
        convs = s.scalars(select(Conversation).where(Conversation.target_id == slow.id)).all()
        # the same chat went on with the same account, in the same conversation
        assert [(c.id, c.account_id, c.outcome) for c in convs] == [(conv_id, account_id, "requisites")]
        # the dead worker's lease was taken over at once (not waited out), audited
        taken = s.scalars(select(AuditRecord.object_id).where(
            AuditRecord.action.in_(("lease.taken_over", "lease.reaped")))).all()
        assert str(account_id) in taken
        assert s.scalar(select(Account.lease_owner).where(Account.id == account_id)) is None


def _holder_of_slow_conversation(cluster: Cluster, dispatch: subprocess.Popen[str],
                                 timeout: float = 60) -> tuple[subprocess.Popen[str], int, int]:
    """The worker mid-way through the slow shop's conversation (two of its answers stored)."""
    from prokai.store.models import Account, Conversation, Message, Target

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert dispatch.poll() is None, dispatch.communicate()
        with _db(cluster) as s:
            row = s.execute(
                select(Conversation.id, Conversation.account_id, Account.lease_owner)
                .join(Target, Target.id == Conversation.target_id).join(Account, Account.id == Conversation.account_id)
                .where(Target.raw.like("%rel_slow_bot"), Conversation.ended_at.is_(None))).first()
            answers = 0 if row is None else len(s.scalars(select(Message.id).where(
                Message.conversation_id == row[0], Message.direction == "in")).all())
        if row is not None and row[2] and answers >= 2:
            pid = int(str(row[2]).split(":")[1])
            victim = next(p for p in cluster.workers if p.pid == pid)
            return victim, int(row[0]), int(row[1])
        time.sleep(0.05)
    raise AssertionError("the slow conversation never got under way")


@contextmanager
def _db(cluster: Cluster) -> Iterator[Any]:
    """A session on the cluster's database (its engine disposed afterwards)."""
    from prokai.store.db import Database

    db = Database(cluster.node.url)
    try:
        with db.session() as s:
            yield s
    finally:
        db.dispose()
