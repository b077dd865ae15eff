"""One scheduler in the cluster: real `prokai run --no-bot` processes on one database (PostgreSQL
and SQLite). Exactly one leads (the workers table, the log, the audit); `kill -9` of the leader
hands over within seconds; SIGTERM hands over cleanly; a leader whose lock connection is
terminated by the server steps down. And the locks themselves, without processes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from prokai.cluster.leader import NAMESPACE, FileLeaderLock, PgLeaderLock, leader_lock
from prokai.cluster.presence import live_workers
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import AuditRecord

pytestmark = pytest.mark.timeout(60)

BEAT = 0.3  # heartbeat, standby retry and leader check of the processes under test (s)


class Node:
    """A `prokai run --no-bot` process with its log."""

    def __init__(self, name: str, url: str, tmp: Path) -> None:
        self.name = name
        self.log = tmp / f"{name}.log"
        env = {**{k: v for k, v in os.environ.items() if not k.startswith("PROKAI_")},
               "PROKAI_DATABASE__URL": url, "PROKAI_DATA_DIR": str(tmp), "PROKAI_CLUSTER__NODE": name,
               "PROKAI_CLUSTER__HEARTBEAT_S": str(BEAT), "PROKAI_CLUSTER__LEADER_RETRY_S": str(BEAT),
               "PROKAI_CLUSTER__LEADER_CHECK_S": str(BEAT), "PROKAI_REVIEW__METRICS_PORT": "null",
               "PROKAI_SCHEDULER__SHUTDOWN_TIMEOUT_S": "5"}
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "prokai", "run", "--no-bot"], env=env, cwd=tmp,
                                         stdout=out, stderr=subprocess.STDOUT)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[Callable[[str, str], Node]]:
    started: list[Node] = []

    def start(name: str, url: str) -> Node:
        node = Node(name, url, tmp_path)
        started.append(node)
        return node

    yield start
    for node in started:
        node.stop()


def wait_for(what: str, check: Callable[[], bool], timeout: float = 15.0) -> float:
    """Poll `check` until true; returns the seconds it took."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if check():
            return time.monotonic() - start
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def roles(db: Database) -> dict[int, str]:
    """pid → role of the live processes."""
    return {w.pid: w.role for w in live_workers(db, BEAT)}


def leaders(db: Database) -> list[int]:
    return sorted(pid for pid, role in roles(db).items() if role == "run-leader")


def leadership_audits(db: Database, action: str = "cluster.leader") -> list[int]:
    with db.session() as s:
        return [r.details["pid"] for r in s.scalars(
            select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id))]


def _two_nodes(url: str, nodes: Callable[[str, str], Node]) -> tuple[Database, Node, Node]:
    upgrade(url)
    db = Database(url)
    a = nodes("a", url)
    wait_for("a leads", lambda: leaders(db) == [a.pid])
    b = nodes("b", url)
    wait_for("b stands by", lambda: roles(db).get(b.pid) == "run-standby")
    time.sleep(3 * BEAT)  # b tried to lead several times by now
    assert leaders(db) == [a.pid]
    assert "leadership taken" in a.text() and "leadership taken" not in b.text()
    assert "standing by" in b.text()
    assert leadership_audits(db) == [a.pid]
    return db, a, b


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_one_leader_and_kill_9_hands_over(backend: str, tmp_path: Path, nodes: Callable[[str, str], Node],
                                          request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path}/prokai.db" if backend == "sqlite" else str(request.getfixturevalue("pg_schema_url"))
    db, a, b = _two_nodes(url, nodes)
    a.proc.send_signal(signal.SIGKILL)
    a.proc.wait(10)
    took = wait_for("b leads", lambda: leaders(db) == [b.pid], timeout=10)
    assert took < 5
    wait_for("b's scheduler starts", lambda: "Scheduler started" in b.text(), timeout=5)
    assert leadership_audits(db) == [a.pid, b.pid]
    db.dispose()


def test_sigterm_hands_over_cleanly(pg_schema_url: str, nodes: Callable[[str, str], Node]) -> None:
    db, a, b = _two_nodes(pg_schema_url, nodes)
    a.proc.send_signal(signal.SIGTERM)
    assert a.proc.wait(15) == 0
    wait_for("b leads", lambda: leaders(db) == [b.pid], timeout=10)
    assert a.pid not in roles(db)  # a clean stop removes its row at once
    assert "prokai run: stopped" in a.text()
    db.dispose()


def _lock_backend(url: str) -> int | None:
    """The server pid of the connection holding this schema's leadership lock."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text(
                "SELECT l.pid FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :ns "
                "AND l.objid::bigint = (hashtext(current_database() || '/' || current_schema() || '/prokai-run')"
                "::bigint + 4294967296) % 4294967296"), {"ns": NAMESPACE}).scalar()
    finally:
        engine.dispose()


def _terminate(url: str, backend: int) -> None:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": backend}).scalar()
    finally:
        engine.dispose()


def test_a_leader_that_loses_its_connection_steps_down(pg_schema_url: str, nodes: Callable[[str, str], Node]) -> None:
    db, a, b = _two_nodes(pg_schema_url, nodes)
    backend = _lock_backend(pg_schema_url)
    assert backend is not None
    _terminate(pg_schema_url, backend)
    wait_for("b leads", lambda: leaders(db) == [b.pid], timeout=10)
    wait_for("a steps down", lambda: "stepping down" in a.text(), timeout=10)
    wait_for("a's scheduler stops", lambda: "Scheduler has been shut down" in a.text(), timeout=10)
    wait_for("a stands by", lambda: roles(db).get(a.pid) == "run-standby", timeout=10)
    assert a.proc.poll() is None  # still running, as a standby
    time.sleep(3 * BEAT)
    assert leaders(db) == [b.pid]
    wait_for("the step-down audited", lambda: leadership_audits(db, "cluster.stepped_down") == [a.pid], timeout=5)
    assert leadership_audits(db) == [a.pid, b.pid]
    db.dispose()


def test_file_lock_is_exclusive_and_freed_on_release(tmp_path: Path) -> None:
    first, second = FileLeaderLock(tmp_path / "db.leader.lock"), FileLeaderLock(tmp_path / "db.leader.lock")
    assert first.try_acquire() and first.alive()
    assert not second.try_acquire() and not second.alive()
    first.release()
    assert not first.alive()
    assert second.try_acquire()
    assert (tmp_path / "db.leader.lock").read_text().strip() == str(os.getpid())
    second.release()


def test_pg_lock_is_exclusive_per_schema_and_notices_a_lost_connection(pg_schema_url: str) -> None:
    db = Database(pg_schema_url)
    first, second = leader_lock(db), leader_lock(db)
    assert isinstance(first, PgLeaderLock) and isinstance(second, PgLeaderLock)
    assert first.try_acquire() and first.alive()
    assert not second.try_acquire()
    backend = _lock_backend(pg_schema_url)
    assert backend is not None
    _terminate(pg_schema_url, backend)
    assert not first.alive()
    assert second.try_acquire() and second.alive()
    first.release()
    second.release()
    db.dispose()
