"""The world the reliability probes run in: the sandbox MTProto server in a thread of the test
process with a few small, deterministic shop bots, crawler accounts whose sessions are sealed in
the vault, and the real `prokai` command line in subprocesses (the production account pool,
no static client provider) that the probes kill and start again."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from prokai.sandbox.bots import BotChat, Button, CallbackAnswer, CallbackQuery, IncomingMessage

VAULT_KEY = base64.b64encode(bytes(range(7, 39))).decode()
REPO = Path(__file__).resolve().parents[2]


def luhn(prefix: str) -> str:
    """`prefix` (15 digits) with its Luhn check digit."""
    total = 0
    for i, ch in enumerate(reversed(prefix)):
        d = int(ch)
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return prefix + str((10 - total % 10) % 10)


class Shop:
    """A constructor-style shop bot: city → product → payment method → requisites; stateless
    between presses, so a crawler that comes back after a crash finds the chat as it was."""

    def __init__(self, n: int, methods: tuple[str, ...] = ("card",)) -> None:
        self.card = luhn(f"44004301{n:07d}")
        self.btc = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
        self.methods = methods

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        if message.text.startswith("/start"):
            await chat.send("Шишки и клады по Алматы. Выберите город:",
                            [[Button.callback("Алматы", "city:alm"), Button.callback("Астана", "city:ast")]])

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        data = query.data.decode()
        if data.startswith("city:"):
            await chat.send("Выберите товар:", [[Button.callback("Шишки 1г — 15 000 ₸", "p:1")]])
        elif data == "p:1":
            labels = {"card": "💳 Карта", "btc": "₿ Bitcoin"}
            await chat.send("Выберите способ оплаты:",
                            [[Button.callback(labels[m], f"pay:{m}") for m in self.methods]])
        elif data == "pay:card":
            c = self.card
            await chat.send(f"Оплатите 15 000 ₸ на карту {c[:4]} {c[4:8]} {c[8:12]} {c[12:]}, 30 минут.")
        elif data == "pay:btc":
            await chat.send(f"Переведите 0.0004 BTC на {self.btc}")
        return None


SHOPS = {"rel_alpha_bot": Shop(1), "rel_bravo_bot": Shop(2), "rel_charlie_bot": Shop(3)}


class SandboxThread:
    """The sandbox (MTProto server) with the shops above, in a thread of its own."""

    def __init__(self, extra: dict[str, Any] | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self._start(extra or {}))

    def call(self, coro: Coroutine[Any, Any, Any], timeout: float = 60) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout=timeout)

    async def _start(self, extra: dict[str, Any]) -> None:
        from prokai.sandbox.server import SandboxServer
        from prokai.sandbox.world import World

        self.world = World()
        for name, bot in {**SHOPS, **extra}.items():
            self.world.add_bot(name, bot, about="Магазин: шишки, клады")
        self.server = SandboxServer(self.world, "127.0.0.1", 0)
        await self.server.start()

    def login(self, phones: list[str]) -> list[str]:
        """Session strings of new sandbox accounts on `phones`."""
        from prokai.crawl.rehearsal import login_sandbox_client

        async def one(phone: str) -> str:
            self.world.add_account(phone, f"Crawler {phone[-2:]}")
            client = await login_sandbox_client(self.server, phone)
            text = str(client.session.save())
            await client.disconnect()
            return text

        return [self.call(one(p)) for p in phones]

    def stop(self) -> None:
        self.call(self.server.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)


class Node:
    """One operator's data folder: config pointing at the sandbox, a database with crawler
    accounts (sessions sealed in the vault) and one campaign; runs `prokai` in subprocesses."""

    def __init__(self, root: Path, sandbox: SandboxThread, phones: list[str], targets: list[str],
                 daily_cap: int = 30, url: str | None = None, config: dict[str, Any] | None = None) -> None:
        """`url`: the database (default: SQLite in `root`); `config`: more sections of config.yaml."""
        from prokai.accounts.state import store_session
        from prokai.accounts.vault import Vault, parse_key
        from prokai.crawl.campaigns import create_campaign
        from prokai.intake.targets import parse_targets
        from prokai.sandbox.crypto import public_key_pem
        from prokai.store.db import Database
        from prokai.store.migrate import upgrade
        from prokai.store.models import Account

        root.mkdir(parents=True, exist_ok=True)
        self.root = root
        self.url = url or f"sqlite:///{root}/prokai.db"
        key = root / "server.pem"
        key.write_bytes(public_key_pem())
        self.config = root / "config.yaml"
        self.config.write_text(json.dumps({
            "data_dir": str(root),
            "database": {"url": self.url},
            "telegram": {"host": sandbox.server.host, "port": sandbox.server.port,
                         "dc_id": sandbox.server.dc_id, "server_key_file": str(key)},
            "accounts": {"connection_retries": 1, "retry_delay_s": 0, "watchdog_interval_s": 0.5},
            "crawl": {"min_delay_s": 0, "max_delay_s": 0, "max_depth": 0, "daily_cap_per_account": daily_cap},
            **(config or {}),
        }), encoding="utf-8")
        upgrade(self.url)
        db = Database(self.url)
        vault = Vault(parse_key(VAULT_KEY))
        with db.session() as s:
            for phone, text in zip(phones, sandbox.login(phones), strict=True):
                acc = Account(phone=phone, state="active")
                s.add(acc)
                s.flush()
                store_session(s, acc, vault, text)
        specs, errors = parse_targets(targets)
        assert not errors
        self.campaign_id, _ = create_campaign(db, "CASE-REL", "reliability", specs, actor="test")
        db.dispose()

    def env(self) -> dict[str, str]:
        # PGAPPNAME: the node's PostgreSQL connections name it (pg_stat_activity.application_name)
        return {**os.environ, "PROKAI_VAULT_KEY": VAULT_KEY, "PGAPPNAME": f"prokai-test-{self.root.name}"[:63]}

    def start(self, *args: str) -> subprocess.Popen[str]:
        """`prokai ARGS` in a subprocess (stdout and stderr captured)."""
        return subprocess.Popen([sys.executable, "-m", "prokai", "-c", str(self.config), *args], cwd=REPO,
                                env=self.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def campaign(self, *more: str) -> subprocess.Popen[str]:
        return self.start("campaign", "run", str(self.campaign_id), "--model", "keywords", "--no-progress",
                          "--concurrency", "2", *more)

    def wait_for_messages(self, proc: subprocess.Popen[str], count: int, timeout: float = 60) -> None:
        """Until the database holds `count` messages (the crawler is mid-conversation)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert proc.poll() is None, f"the crawler ended before it could be interrupted: {proc.communicate()}"
            if self.summary()["messages"] >= count:
                return
            time.sleep(0.05)
        raise AssertionError("the crawler never got that far")

    def summary(self) -> dict[str, Any]:
        """What an operator checks: targets and outcomes, requisites, duplicates, leases, chain."""
        from prokai.store.chain import verify_chain
        from prokai.store.db import Database
        from prokai.store.models import Account, Campaign, Message, Requisite, Sighting, Target

        db = Database(self.url)
        try:
            with db.session() as s:
                targets = {t.raw: (t.status, t.outcome) for t in s.scalars(select(Target))}
                dup = s.execute(select(Sighting.conversation_id, Sighting.requisite_id, func.count())
                                .group_by(Sighting.conversation_id, Sighting.requisite_id)
                                .having(func.count() > 1)).all()
                # A message stored twice is the same version twice (same text, buttons and media);
                # the edits of a menu are versions of their own and no duplicate.
                versions = Counter(
                    (m.conversation_id, m.telegram_message_id, m.text, json.dumps(m.buttons, sort_keys=True), m.media_hash)
                    for m in s.scalars(select(Message).where(Message.direction == "in")))
                dup_msgs = [key[:2] for key, n in versions.items() if n > 1]
                return {
                    "targets": targets,
                    "requisites": sorted(s.scalars(select(Requisite.value))),
                    "duplicates": list(dup) + list(dup_msgs),
                    "leased": [a.phone for a in s.scalars(select(Account)) if a.lease_owner],
                    "campaigns": {c.id: c.status for c in s.scalars(select(Campaign))},
                    "intact": verify_chain(s).ok,
                    "messages": s.scalar(select(func.count()).select_from(Message)) or 0,
                }
        finally:
            db.dispose()


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str, str]:
    """Wait for `proc`; its exit code, stdout and stderr."""
    out, err = proc.communicate(timeout=timeout)
    return proc.returncode, out, err


def final_of(summary: dict[str, Any]) -> dict[str, Any]:
    """What must equal an uninterrupted run's: targets and outcomes, requisites, campaign states."""
    return {k: summary[k] for k in ("targets", "requisites", "campaigns")}


def assert_clean(summary: dict[str, Any]) -> None:
    """No duplicate, no lease left, the chain intact, no target in error."""
    assert summary["duplicates"] == []
    assert summary["leased"] == []
    assert summary["intact"]
    assert not [t for t, (_, outcome) in summary["targets"].items() if outcome == "error"]
