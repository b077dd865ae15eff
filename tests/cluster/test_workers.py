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
from reliability_harness import SHOPS, Node, SandboxThread, Shop, assert_clean, final_of, finish
from sqlalchemy import select

pytestmark = pytest.mark.timeout(120)

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
_clusters = itertools.count(1)  # each cluster its own sandbox accounts


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    box = SandboxThread({**EXTRA, **HIDDEN})
    yield box
    box.stop()


@pytest.fixture(scope="module")
def reference(sandbox: SandboxThread, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The same campaign run by the single-process runner: what every distributed run must end with."""
    node = Node(tmp_path_factory.mktemp("ref"), sandbox, [f"+7706700000{k}" for k in (1, 2, 3, 4)], TARGETS,
                config=CRAWL)
    code, _, err = finish(node.campaign("--concurrency", "4"))
    assert code == 0, err[-3000:]
    summary = node.summary()
    assert summary["targets"]["username:rel_hidden_bot"] == ("done", "requisites")  # discovered, then run
    return summary


class Cluster:
    """A node's data (PostgreSQL, a queue of its own) and its `prokai worker` processes."""

    def __init__(self, root: Path, sandbox: SandboxThread, url: str, phones: list[str], targets: int = len(TARGETS),
                 **cluster: Any) -> None:
        self.queue = f"prokai.test.{uuid.uuid4().hex[:10]}"
        self.node = Node(root, sandbox, phones, TARGETS[-targets:], url=url, config={**CRAWL,
            "cluster": {"broker_url": BROKER, "queue": self.queue, "heartbeat_s": 1, "progress_interval_s": 0.2,
                        **cluster},
        })
        self.workers: list[subprocess.Popen[str]] = []

    def start_workers(self, n: int, stop_grace: float = 2, concurrency: int = 1) -> None:
        self.workers += [self.node.start("worker", "--model", "keywords", "--concurrency", str(concurrency),
                                         "--stop-grace", str(stop_grace)) for _ in range(n)]

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


@pytest.fixture
def cluster(sandbox: SandboxThread, pg_schema_url: str, tmp_path: Path, request: pytest.FixtureRequest,
            ) -> Iterator[Cluster]:
    """A cluster; a test marked `cluster_settings(**keys)` sets those `cluster.*` keys."""
    n = next(_clusters)
    marker = request.node.get_closest_marker("cluster_settings")
    box = Cluster(tmp_path, sandbox, pg_schema_url, [f"+770680{n:02d}00{k}" for k in (1, 2, 3, 4)],
                  **(marker.kwargs if marker else {}))
    try:
        yield box
    finally:
        box.close()




def test_three_workers_finish_like_one_process(cluster: Cluster, reference: dict[str, Any]) -> None:
    from prokai.store.models import Conversation, Target

    cluster.start_workers(3)
    code, out, err = finish(cluster.dispatch())
    assert code == 0, err[-3000:]
    assert f"{len(TARGETS) + 1} conversations" in out  # the discovered target too
    stopped = cluster.stop_workers()
    assert [code for code, _, _ in stopped] == [0, 0, 0], [e[-2000:] for _, _, e in stopped]
    assert not [e for _, _, e in stopped if "Traceback" in e]
    after = cluster.node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference)
    with _db(cluster) as s:
        # the work was shared: more than one account talked
        assert len(set(s.scalars(select(Conversation.account_id)))) > 1
        # one conversation per target (none handed over to another account)
        per_target = s.execute(select(Target.raw, Conversation.outcome)
                               .join(Conversation, Conversation.target_id == Target.id)).all()
        assert sorted(raw for raw, _ in per_target) == sorted(after["targets"])


@pytest.mark.cluster_settings(job_time_limit_s=0.5, continue_delay_s=0.2, max_slices=2, targets=2)
def test_a_delivery_never_outlives_its_time_limit(cluster: Cluster) -> None:
    """Every conversation here outlasts the 0.5-s limit of a delivery: each is cut, continued by a
    delayed job in the same conversation with the same account, cut again, and after 2 slices its
    target is deferred with the reason (exit 1, said on stderr); nothing lost, stored twice or leased."""
    from prokai.store.models import Conversation, Target

    cluster.start_workers(1, concurrency=2)
    code, out, err = finish(cluster.dispatch())
    assert code == 1, err[-3000:]
    assert "2 target(s) left pending (conversation longer than 2 × 0.5 s)" in err
    [(code, out, err)] = cluster.stop_workers()
    assert code == 0 and "continued 2" in out and "deferred 2" in out, out
    summary = cluster.node.summary()
    assert summary["duplicates"] == [] and summary["leased"] == [] and summary["intact"]
    with _db(cluster) as s:
        for target in s.scalars(select(Target)):
            assert (target.status, target.meta["slices"]) == ("pending", 2)
            convs = s.scalars(select(Conversation).where(Conversation.target_id == target.id)).all()
            assert len(convs) == 1 and convs[0].ended_at is None  # open: a later run resumes it


def test_workers_killed_and_stopped_mid_conversation(cluster: Cluster, reference: dict[str, Any]) -> None:
    """Two workers mid-way through the slow shops' conversations: one killed with `kill -9` (its
    job redelivered, its lease taken over at once), one stopped by SIGTERM with no grace (its job
    cut and published again, exit 0). The other two finish the campaign as one process would: both
    chats go on with the same account in the same conversation, nothing stored twice."""
    from prokai.store.models import Account, AuditRecord, Conversation, Target

    cluster.start_workers(4, stop_grace=0)
    cluster.wait_ready(4)  # else the first worker up could run both slow shops in turn
    dispatch = cluster.dispatch()
    (killed, kconv, kaccount), (stopped, sconv, saccount) = _holders_of(cluster, dispatch, SLOW)
    assert killed is not stopped
    os.kill(killed.pid, signal.SIGKILL)
    stopped.send_signal(signal.SIGTERM)
    with _db(cluster) as s:
        assert s.scalar(select(Conversation.ended_at).where(Conversation.id == kconv)) is None, \
            "killed after the conversation ended: probes nothing"
    killed.wait()
    code, out, err = finish(stopped, timeout=30)
    assert code == 0 and "Traceback" not in err, err[-3000:]
    assert "requeued 1" in out, out
    code, out, err = finish(dispatch)
    assert code == 0, err[-3000:]
    assert [code for code, _, _ in cluster.stop_workers()] == [0, 0]
    after = cluster.node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference)
    with _db(cluster) as s:
        for name, conv_id, account_id in ((SLOW[0], kconv, kaccount), (SLOW[1], sconv, saccount)):
            convs = s.execute(select(Conversation.id, Conversation.account_id, Conversation.outcome)
                              .join(Target, Target.id == Conversation.target_id)
                              .where(Target.raw.like(f"%{name}"))).all()
            assert [tuple(c) for c in convs] == [(conv_id, account_id, "requisites")], name
        # the dead worker's lease was taken over at once (not waited out), audited
        taken = s.scalars(select(AuditRecord.object_id).where(
            AuditRecord.action.in_(("lease.taken_over", "lease.reaped")))).all()
        assert taken == [str(kaccount)]
        assert s.scalar(select(Account.lease_owner).where(Account.id == kaccount)) is None


def _holders_of(cluster: Cluster, dispatch: subprocess.Popen[str], shops: tuple[str, ...],
                timeout: float = 60) -> list[tuple[subprocess.Popen[str], int, int]]:
    """The workers mid-way through the conversations with `shops`, all at once (two answers of
    each stored): each worker, its conversation and its account."""
    from prokai.store.models import Account, Conversation, Message, Target

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert dispatch.poll() is None, dispatch.communicate()
        found = []
        with _db(cluster) as s:
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
def _db(cluster: Cluster) -> Iterator[Any]:
    """A session on the cluster's database (its engine disposed afterwards)."""
    from prokai.store.db import Database

    db = Database(cluster.node.url)
    try:
        with db.session() as s:
            yield s
    finally:
        db.dispose()


@pytest.mark.cluster_settings(targets=3)
def test_sweeps_on_the_workers(cluster: Cluster) -> None:
    """`prokai sweep --distributed` and the scheduler's nightly sweep with
    `cluster.distributed_sweep` publish one job per live shop for the workers and follow them: every
    shop re-asked by a worker, statuses recorded, nothing stored twice."""
    from prokai.config import load_settings
    from prokai.daemon.sweeps import nightly_sweep
    from prokai.ops.jobs import JobContext
    from prokai.store.db import Database
    from prokai.store.models import Campaign, Conversation, SweepCampaign

    cluster.start_workers(2)
    code, _, err = finish(cluster.dispatch())
    assert code == 0, err[-3000:]
    code, out, err = finish(cluster.node.start("sweep", "--distributed", "--key", "2026-12-01", "--no-progress"))
    assert code == 0, err[-3000:]
    # the three targets and the backup bot one of them named
    assert "sweep 2026-12-01: 4 shops; statuses {'alive': 4}" in out, out

    settings = load_settings(cluster.node.config, environ={"PROKAI_CLUSTER__DISTRIBUTED_SWEEP": "true"})
    db = Database(cluster.node.url)
    try:
        ctx = JobContext("sweep", "run-test", settings, db, asyncio.Event(), checkpoint_state={"key": "2026-12-02"})
        result = asyncio.run(nightly_sweep(ctx))
        assert (result["complete"], result["key"], result["shops"], result["statuses"]) == \
            (True, "2026-12-02", 4, {"alive": 4})
        with db.session() as s:
            sweeps = list(s.scalars(select(SweepCampaign.campaign_id)))
            assert [s.get(Campaign, cid).status for cid in sweeps] == ["done", "done"]
            # the conversations were the workers' (this process ran none: it has no vault key)
            assert len(s.scalars(select(Conversation).where(Conversation.campaign_id.in_(sweeps))).all()) == 8
    finally:
        db.dispose()
    stopped = cluster.stop_workers()
    assert [c for c, _, _ in stopped] == [0, 0]
    assert sum(int(o.split("done ")[1].split(",")[0]) for _, o, _ in stopped if "done " in o) == 4 + 8
    summary = cluster.node.summary()
    assert summary["duplicates"] == [] and summary["leased"] == [] and summary["intact"]
