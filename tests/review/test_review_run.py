"""`prokai run` as a real subprocess: SIGTERM in the middle of a sweep, then a second `prokai run`
resumes the sweep where it stopped; the metrics endpoint serves the store's counts."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import AuditRecord

pytestmark = pytest.mark.timeout(90)
HERE = Path(__file__).parent
REPO = HERE.parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], bool], what: str, proc: subprocess.Popen[bytes], timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        if proc.poll() is not None:
            out = proc.stdout.read().decode() if proc.stdout else ""
            raise AssertionError(f"prokai run exited ({proc.returncode}) before {what}:\n{out}")
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def records(db: Database, action: str) -> list[AuditRecord]:
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)))


def start(tmp_path: Path, url: str, port: int, *args: str, **env: str) -> subprocess.Popen[bytes]:
    environ = {
        **os.environ,
        "PROKAI_DATABASE__URL": url,
        "PROKAI_SCHEDULER__SWEEP_CALLABLE": "sweepfixture:resumable_sweep",
        "PROKAI_REVIEW__METRICS_PORT": str(port),
        "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO)]),
        **env,
    }
    environ.pop("PROKAI_BOT_TOKEN", None)
    return subprocess.Popen(
        [sys.executable, "-m", "prokai", "run", "--no-bot", *args],
        cwd=tmp_path, env=environ, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def test_sigterm_mid_sweep_then_run_again_resumes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    db = Database(url)
    port = free_port()

    first = start(tmp_path, url, port, "--sweep-now", FIXTURE_BLOCK_AFTER="2")
    try:
        wait_for(lambda: len(records(db, "fixture.unit")) == 2, "two sweep units", first)
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10).read().decode()
        assert "prokai_errors_total" in body and "prokai_requisites" in body and "prokai_sessions" in body
        first.send_signal(signal.SIGTERM)
        assert first.wait(30) == 0
    finally:
        if first.poll() is None:
            first.kill()
    assert [int(r.object_id or -1) for r in records(db, "fixture.unit")] == [0, 1]
    assert len(records(db, "job.interrupted")) == 1 and records(db, "job.finished") == []
    assert [r.action for r in records(db, "service.stopped")] == ["service.stopped"]

    second = start(tmp_path, url, port)
    try:
        wait_for(lambda: len(records(db, "job.finished")) == 1, "the resumed sweep to finish", second)
        second.send_signal(signal.SIGTERM)
        assert second.wait(30) == 0
    finally:
        if second.poll() is None:
            second.kill()
    units = records(db, "fixture.unit")
    assert [int(r.object_id or -1) for r in units] == [0, 1, 2, 3, 4]
    assert {r.details["trigger"] for r in units[2:]} == {"resume"}
    resumed = records(db, "job.resumed")
    interrupted = records(db, "job.interrupted")
    assert len(resumed) == 1 and resumed[0].details["resumed_from"] == interrupted[0].details["run_id"]
    assert len(records(db, "service.started")) == 2 and len(records(db, "service.stopped")) == 2
    db.dispose()


def test_prokai_run_with_the_bot_against_the_sandbox(tmp_path: Path) -> None:
    """The whole process with the admin bot: a prosecutor gets the notification and an answer."""
    import asyncio

    from reviewkit import seed_requisite

    from prokai.sandbox.botapi import BotApiServer, make_token

    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    db = Database(url)
    req_id = seed_requisite(db)

    async def scenario() -> None:
        token = make_token()
        async with BotApiServer("127.0.0.1", 0, token) as server:
            server.add_user(1001, "Aigerim", started=True)
            server.add_group(-1001234, "Prosecutors", members=[1001])
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "prokai", "run", "--bot-api-url", server.url,
                cwd=tmp_path, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
                env={
                    **os.environ,
                    "PROKAI_DATABASE__URL": url,
                    "PROKAI_BOT_TOKEN": token,
                    "PROKAI_REVIEW__REVIEWERS": "[{telegram_id: 1001, name: Aigerim Sadykova, role: prosecutor}]",
                    "PROKAI_REVIEW__ADMIN_CHAT_ID": "-1001234",
                    "PROKAI_REVIEW__METRICS_PORT": "null",
                    "PROKAI_REVIEW__NOTIFY_INTERVAL_S": "0.2",
                    "PYTHONPATH": os.pathsep.join([str(HERE), str(REPO)]),
                },
            )
            try:
                card = await server.next_message(-1001234, timeout=40)
                assert f"#{req_id}" in (card.text or "")
                await server.user_says(1001, None, "/pending")
                assert "Ожидают проверки: 1" in ((await server.next_message(1001, timeout=20)).text or "")
                proc.send_signal(signal.SIGTERM)
                assert await asyncio.wait_for(proc.wait(), 30) == 0
            finally:
                if proc.returncode is None:
                    proc.kill()
                    await proc.wait()

    asyncio.run(asyncio.wait_for(scenario(), 80))
    assert [r.action for r in records(db, "service.stopped")] == ["service.stopped"]
    db.dispose()
