"""kill -9 in the middle of a campaign, then start again: it resumes, loses nothing, duplicates
no sighting, and ends where an uninterrupted run ends."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from prokai.crawl.campaigns import create_campaign
from prokai.crawl.rehearsal import SCENARIOS, entry_targets, login_sandbox_client
from prokai.intake.targets import parse_targets
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Account, Campaign, Message, Requisite, Sighting, Target

pytestmark = pytest.mark.timeout(300)

PICK = ("kristall-almaty", "snezhok-astana", "aigerim-operator-kk", "maks-operator-ru")


class SandboxThread:
    """The sandbox (scenario shops, MTProto server, control socket) in a thread of its own."""

    def __init__(self, control: Path, accounts: int) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.control = str(control)
        self.sessions: list[str] = []
        self.call(self._start(accounts))

    def call(self, coro: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=120)

    async def _start(self, accounts: int) -> None:
        from datetime import date, timedelta

        from prokai.sandbox.clock import Clock
        from prokai.sandbox.control import serve_control
        from prokai.sandbox.server import SandboxServer
        from prokai.sandbox.shops.loader import load_folder
        from prokai.sandbox.shops.rotation import day_start
        from prokai.sandbox.shops.shopworld import ShopWorld
        from prokai.sandbox.world import World

        day = date.today() + timedelta(days=2)
        world = World(clock=Clock(offset=day_start(day) + 12 * 3600 - time.time()))
        self.shops = ShopWorld(world, [s for s in load_folder(SCENARIOS) if s.id in PICK], start=day).install()
        self.server = SandboxServer(world, "127.0.0.1", 0)
        await self.server.start()
        self.ctl = await serve_control(world, self.server, self.control)
        for n in range(accounts):
            phone = f"+7706{n:07d}"
            world.add_account(phone, f"Crawler{n}")
            client = await login_sandbox_client(self.server, phone)
            self.sessions.append(client.session.save())
            await client.disconnect()

    def stop(self) -> None:
        async def _stop() -> None:
            self.ctl.close()
            await self.server.close()

        self.call(_stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


def _prepare(tmp: Path, name: str, sandbox: SandboxThread) -> tuple[str, int, Path]:
    url = f"sqlite:///{tmp}/{name}.db"
    upgrade(url)
    db = Database(url)
    sessions = {}
    with db.session() as s:
        for n, text in enumerate(sandbox.sessions):
            acc = Account(phone=f"+7706{n:07d}", state="active")
            s.add(acc)
            s.flush()
            sessions[acc.id] = text
    specs, _ = parse_targets(entry_targets(sandbox.shops.scenarios))
    campaign_id, _ = create_campaign(db, "CASE-K9", "crash", specs, actor="test")
    db.dispose()
    sessions_file = tmp / f"{name}-sessions.json"
    sessions_file.write_text(json.dumps(sessions))
    return url, campaign_id, sessions_file


def _crawler(url: str, sandbox: SandboxThread, sessions: Path, campaign_id: int) -> subprocess.Popen[bytes]:
    model = "transformer" if (Path("models") / "shop" / "config.json").exists() else "keywords"
    return subprocess.Popen(
        [sys.executable, "-m", "prokai.crawl.rehearsal", url, sandbox.server.host, str(sandbox.server.port),
         sandbox.control, str(sessions), str(campaign_id), model],
        stderr=subprocess.PIPE,
    )


def _summary(url: str, campaign_id: int) -> dict[str, Any]:
    db = Database(url)
    with db.session() as s:
        outcomes = {t.raw: t.outcome for t in s.scalars(select(Target).where(Target.campaign_id == campaign_id))}
        kinds = {(t.raw, r.kind) for t, r in s.execute(
            select(Target, Requisite).join(Sighting, Sighting.shop_id == Target.shop_id)
            .join(Requisite, Requisite.id == Sighting.requisite_id).where(Target.campaign_id == campaign_id))}
        dup = s.execute(select(Sighting.conversation_id, Sighting.requisite_id, func.count())
                        .group_by(Sighting.conversation_id, Sighting.requisite_id).having(func.count() > 1)).all()
        values = set(s.scalars(select(Requisite.value)))
        status = s.scalar(select(Campaign.status).where(Campaign.id == campaign_id))
        intact = verify_chain(s).ok
        messages = s.scalar(select(func.count()).select_from(Message))
    db.dispose()
    return {"outcomes": outcomes, "kinds": kinds, "dup": dup, "values": values, "status": status,
            "intact": intact, "messages": messages}


def _captured_everything(sandbox: SandboxThread, values: set[str]) -> set[str]:
    from prokai.extract import extract

    handed = {h.requisite.value for h in sandbox.shops.handouts}
    return {v for v in handed if (extract(v)[0].value if extract(v) else v) not in values}


def test_kill_minus_nine_then_resume(tmp_path: Path) -> None:
    # Reference: an uninterrupted run on its own sandbox.
    ref_box = SandboxThread(tmp_path / "ref.sock", accounts=2)
    try:
        url, cid, sessions = _prepare(tmp_path, "ref", ref_box)
        proc = _crawler(url, ref_box, sessions, cid)
        _, err = proc.communicate(timeout=200)
        assert proc.returncode == 0, err.decode()[-2000:]
        reference = _summary(url, cid)
        assert not _captured_everything(ref_box, reference["values"])
    finally:
        ref_box.stop()

    box = SandboxThread(tmp_path / "k9.sock", accounts=2)
    try:
        url, cid, sessions = _prepare(tmp_path, "k9", box)
        proc = _crawler(url, box, sessions, cid)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            if _summary(url, cid)["messages"] >= 12:
                break
            time.sleep(0.2)
        assert proc.poll() is None, "the crawler finished before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = _summary(url, cid)
        assert killed["status"] == "running"
        proc = _crawler(url, box, sessions, cid)
        _, err = proc.communicate(timeout=200)
        assert proc.returncode == 0, err.decode()[-2000:]
        resumed = _summary(url, cid)
        missed = _captured_everything(box, resumed["values"])
    finally:
        box.stop()
    assert resumed["status"] == "done"
    assert resumed["intact"]
    assert resumed["dup"] == []
    assert not missed, f"requisites shown to the crawler but not stored: {missed}"
    assert resumed["outcomes"] == reference["outcomes"]
    assert resumed["kinds"] == reference["kinds"]
