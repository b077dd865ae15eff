"""How a worker settles a delivery that needs no conversation, on the real PostgreSQL (no broker:
these deliveries publish nothing): a redelivered job of a done target, a job whose target another
live worker holds, a job of a stopping campaign. And an unreachable broker is one line, exit 1,
with the campaign left as it was."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from prokai.cli import app
from prokai.cluster.jobs import claim_target, progress
from prokai.cluster.worker import Worker
from prokai.config import DatabaseSettings, Settings
from prokai.crawl.campaigns import create_campaign
from prokai.crawl.factory import build_runner
from prokai.crawl.runner import ConversationJob, StaticClients
from prokai.intake.targets import parse_targets
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Campaign, Target

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def world(pg_schema_url: str) -> Iterator[tuple[Database, Worker, int, list[int]]]:
    upgrade(pg_schema_url)
    db = Database(pg_schema_url)
    settings = Settings(database=DatabaseSettings(url=pg_schema_url))
    specs, _ = parse_targets(["@one_bot", "@two_bot"])
    campaign_id, _ = create_campaign(db, "CASE-CL", "cluster", specs, actor="test")
    with db.session() as s:
        ids = list(s.scalars(select(Target.id).where(Target.campaign_id == campaign_id).order_by(Target.id)))
    # no client at all: a job that reached a conversation would fail with "no account"
    worker = Worker(db, settings, build_runner(db, settings, StaticClients([]), model="keywords"))
    worker.claim_wait_s = 0.5  # a claim held here stays held: no need to wait for it long
    try:
        yield db, worker, campaign_id, ids
    finally:
        db.dispose()


def _target(db: Database, target_id: int) -> tuple[str, dict[str, object]]:
    with db.session() as s:
        t = s.get(Target, target_id)
        assert t is not None
        return t.status, dict(t.meta)


def test_redelivered_job_of_a_done_target_is_acked_without_work(world: tuple[Database, Worker, int, list[int]]) -> None:
    db, worker, campaign_id, ids = world
    with db.session() as s:
        t = s.get(Target, ids[0])
        assert t is not None
        t.status, t.outcome = "done", "requisites"
    assert asyncio.run(worker.handle(ConversationJob(campaign_id, ids[0]))) == "already done"
    assert _target(db, ids[0])[0] == "done"


def test_a_target_held_by_another_worker_is_left_to_it(world: tuple[Database, Worker, int, list[int]]) -> None:
    db, worker, campaign_id, ids = world
    with claim_target(db, ids[0]) as mine:
        assert mine
        with claim_target(db, ids[0]) as again:  # a second claim, as another worker's would be
            assert not again
        assert asyncio.run(worker.handle(ConversationJob(campaign_id, ids[0]))) == "held"
    status, meta = _target(db, ids[0])
    assert status == "pending" and "pending_reason" not in meta
    with claim_target(db, ids[0]) as free:  # released with its holder's connection
        assert free


def test_jobs_of_a_stopping_campaign_are_deferred(world: tuple[Database, Worker, int, list[int]]) -> None:
    db, worker, campaign_id, ids = world
    with db.session() as s:
        campaign = s.get(Campaign, campaign_id)
        assert campaign is not None
        campaign.status = "stopping"
    assert asyncio.run(worker.handle(ConversationJob(campaign_id, ids[1]))) == "deferred"
    with db.session() as s:
        now = progress(s, campaign_id)
    assert now["deferred"] == {ids[1]: "campaign stopped"}
    assert now["out"] == [ids[0]]  # still has its job out


def test_unreachable_broker_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    db = Database(url)
    specs, _ = parse_targets(["@one_bot"])
    campaign_id, _ = create_campaign(db, "CASE-CL", "cluster", specs, actor="test")
    config = tmp_path / "config.yaml"
    config.write_text(json.dumps({"data_dir": str(tmp_path), "database": {"url": url},
                                  "cluster": {"broker_url": "amqp://guest:secret@127.0.0.1:1/"}}), encoding="utf-8")
    result = CliRunner().invoke(app, ["-c", str(config), "campaign", "run", str(campaign_id), "--distributed",
                                      "--no-progress"])
    assert result.exit_code == 1, result.output
    assert "unreachable" in result.output and "secret" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    with db.session() as s:
        campaign = s.get(Campaign, campaign_id)
        assert campaign is not None and campaign.status != "running"
        assert all("queued_at" not in t.meta for t in s.scalars(select(Target)))
    db.dispose()


def test_a_claim_on_sqlite_is_held_by_one_process_until_it_dies(tmp_path: Path) -> None:
    """On SQLite (one host) a target's claim is a flock: another process's claim on the same target
    is refused while the holder lives and granted the moment it is killed; other targets are free."""
    import subprocess
    import sys

    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    db = Database(url)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys, time\nfrom prokai.cluster.jobs import claim_target\n"
         "from prokai.store.db import Database\n"
         f"with claim_target(Database({url!r}), 7) as mine:\n    print(mine, flush=True)\n    time.sleep(60)\n"],
        stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "True"
        with claim_target(db, 7) as mine:
            assert not mine
        with claim_target(db, 8) as mine:
            assert mine
    finally:
        holder.kill()
        holder.wait()
    with claim_target(db, 7) as mine:
        assert mine
    db.dispose()
