"""The workers table on both databases: a process's row (register, beat, stop), the live window,
the background beat, stale leaders demoted, the `prokai_workers` metric and `prokai workers`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from sqlalchemy import select, update
from typer.testing import CliRunner

from prokai.cli import app
from prokai.cluster.presence import Presence, WorkerCollector, demote_other_leaders, live_workers
from prokai.store.db import Database
from prokai.store.models import WorkerPresence
from prokai.store.types import utcnow

pytestmark = pytest.mark.timeout(30)


def rows(db: Database) -> list[WorkerPresence]:
    with db.session() as s:
        return list(s.scalars(select(WorkerPresence).order_by(WorkerPresence.node)))


def age(db: Database, node: str, seconds: float) -> None:
    """Make `node`'s last heartbeat `seconds` old (a process that stopped beating)."""
    with db.session() as s:
        s.execute(update(WorkerPresence).where(WorkerPresence.node == node)
                  .values(heartbeat_at=utcnow() - timedelta(seconds=seconds)))


def test_a_process_keeps_one_row_and_removes_it_on_stop(db: Database) -> None:
    presence = Presence(db, "worker", node="site-a")
    presence.register()
    presence.beat("conversation 7")
    [row] = rows(db)
    assert (row.node, row.role, row.doing) == ("site-a", "worker", "conversation 7")
    assert row.pid == presence.pid and row.host and row.version
    first_beat = row.heartbeat_at
    presence.role = "run-standby"
    presence.beat()
    [row] = rows(db)
    assert (row.role, row.doing) == ("run-standby", "") and row.heartbeat_at >= first_beat

    again = Presence(db, "worker", node="site-a")  # the same node and pid: a restart replaces the row
    again.register()
    assert len(rows(db)) == 1
    again.stop()
    assert rows(db) == []
    again.beat("back")  # a beat without a row (pruned meanwhile) registers again
    assert [r.doing for r in rows(db)] == ["back"]
    with pytest.raises(ValueError, match="role must be one of"):
        Presence(db, "boss")


def test_only_recent_heartbeats_are_live(db: Database) -> None:
    for node in ("fresh", "stale"):
        Presence(db, "worker", node=node).register()
    age(db, "stale", 16)
    assert [w.node for w in live_workers(db, interval_s=5)] == ["fresh"]
    assert [w.node for w in live_workers(db, interval_s=6)] == ["fresh", "stale"]  # 16 s < 3 × 6 s
    gone = Presence(db, "worker", node="gone")
    gone.register()
    age(db, "gone", 2 * 86400)
    Presence(db, "worker", node="new").register()  # registering forgets rows a day old
    assert [r.node for r in rows(db)] == ["fresh", "new", "stale"]


def test_running_beats_in_the_background_and_deletes_on_exit(db: Database) -> None:
    presence = Presence(db, "worker", node="bg")
    jobs = ["idle"]
    presence.describe = lambda: jobs[-1]

    async def scenario() -> None:
        async with presence.running(interval_s=0.1):
            assert [r.node for r in rows(db)] == ["bg"]
            jobs.append("conversation 3")
            await asyncio.sleep(0.4)
            assert [r.doing for r in rows(db)] == ["conversation 3"]
            await presence.update(role="run-leader", doing="scheduler")
            assert [(r.role, r.doing) for r in rows(db)] == [("run-leader", "scheduler")]
        assert rows(db) == []

    asyncio.run(scenario())


def test_a_new_leader_demotes_rows_still_saying_leader(db: Database) -> None:
    dead, me = Presence(db, "run-leader", node="dead"), Presence(db, "run-leader", node="me")
    dead.register()
    me.register()
    assert demote_other_leaders(db, me) == 1
    assert {r.node: r.role for r in rows(db)} == {"dead": "run-standby", "me": "run-leader"}


def test_metric_counts_live_processes_by_role(db: Database) -> None:
    for node, role in (("l", "run-leader"), ("s", "run-standby"), ("w1", "worker"), ("w2", "worker"), ("w3", "worker")):
        Presence(db, role, node=node).register()
    age(db, "w3", 60)
    registry = CollectorRegistry()
    registry.register(WorkerCollector(db, interval_s=5))
    body = generate_latest(registry).decode()
    assert 'prokai_workers{role="run-leader"} 1.0' in body
    assert 'prokai_workers{role="run-standby"} 1.0' in body
    assert 'prokai_workers{role="worker"} 2.0' in body


def test_prokai_workers_lists_live_processes(db: Database) -> None:
    env = {"PROKAI_DATABASE__URL": db.url, "PROKAI_CLUSTER__HEARTBEAT_S": "5"}
    runner = CliRunner()
    empty = runner.invoke(app, ["workers"], env=env)
    assert empty.exit_code == 0, empty.output
    assert "no live workers" in empty.output
    leader = Presence(db, "run-leader", node="node-1")
    leader.register()
    leader.beat("scheduler; jobs: sweep")
    Presence(db, "worker", node="node-2").register()
    Presence(db, "worker", node="node-3").register()
    age(db, "node-3", 20)
    listed = runner.invoke(app, ["workers", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    found = [json.loads(line) for line in listed.output.splitlines()]
    assert [(w["node"], w["role"], w["doing"]) for w in found] == [
        ("node-1", "run-leader", "scheduler; jobs: sweep"), ("node-2", "worker", "")]
    assert all(w["pid"] == leader.pid and w["heartbeat_age_s"] < 15 for w in found)
    table = runner.invoke(app, ["workers"], env=env)
    assert table.exit_code == 0, table.output
    assert "live workers: 2" in table.output and "scheduler; jobs: sweep" in table.output
    assert "node-3" not in table.output
