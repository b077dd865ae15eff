"""A campaign rehearsal in the sandbox: the scenario shops, crawler accounts, a pacer on
sandbox time, and the ground truth to measure against. Used by the tests, `make demo` and
`bench/crawl.py`; operators can use it to try a campaign before it goes live.

Crawler sessions here are signed in with the codes the sandbox world issued (its own record),
not through a SimBox: that path is the accounts' job (`prokai accounts login`) and is exercised
there.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prokai.crawl.engine import Budget
from prokai.crawl.pacing import SandboxPacer
from prokai.crawl.runner import Leased, StaticClients
from prokai.store.db import Database
from prokai.store.models import Account, AccountState

SCENARIOS = Path(__file__).resolve().parents[1] / "sandbox" / "scenarios"
API_HASH = "b18441a1ff607e10a989891a5462e627"

# Sandbox seconds: shops' anti-bot rules want > 1 s between clicks; operators take minutes.
REHEARSAL_BUDGET = Budget(max_steps=40, max_seconds=3600, reply_timeout=20.0, operator_timeout=400.0,
                          min_delay=1.5, max_delay=3.0)


def entry_targets(scenarios: list[Any]) -> list[str]:
    """One target line per scenario: its bot, else its operator, else its first channel."""
    out = []
    for sc in scenarios:
        spec = sc.spec
        if spec.bot is not None:
            out.append(f"@{spec.bot.username}")
        elif spec.operator is not None:
            out.append(f"@{spec.operator.username}")
        elif spec.channels:
            out.append(f"https://t.me/{spec.channels[0].username}")
    return out


@dataclass
class Rehearsal:
    world: Any
    shops: Any
    server: Any
    scenarios: list[Any]
    day: date
    provider: StaticClients
    pacer: SandboxPacer
    clients: list[Any] = field(default_factory=list)

    def truth(self, day: date | None = None) -> dict[str, Any]:
        """Ground truth for `day` (default: the sandbox's current day)."""
        from prokai.sandbox.shops.rotation import sandbox_date
        from prokai.sandbox.shops.truth import ground_truth

        return ground_truth(self.scenarios, day or sandbox_date(self.world.clock.now()), self.day)

    def handed_out(self) -> set[tuple[str, str]]:
        """(scenario id, requisite value) the shops actually showed our accounts."""
        return {(h.scenario, h.requisite.value) for h in self.shops.handouts}


async def login_sandbox_client(server: Any, phone: str) -> Any:
    """A stock Telethon client signed in on `phone` with the code the sandbox issued."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    from prokai.sandbox.connect import configure

    client = TelegramClient(StringSession(), 2040, API_HASH, flood_sleep_threshold=0, request_retries=2)
    configure(client, server.host, server.port, server.dc_id)
    await client.connect()
    await client.send_code_request(phone)
    await client.sign_in(phone, server.world.codes[phone.lstrip("+")].code)
    return client


@asynccontextmanager
async def rehearsal(db: Database, accounts: int = 4, scenarios_dir: Path | None = None,
                    scenarios: list[Any] | None = None, day: date | None = None, *, limits: bool = True,
                    latency: bool = True) -> AsyncIterator[Rehearsal]:
    """A running sandbox with the scenario shops and `accounts` signed-in crawler sessions.

    `limits`: Telegram's flood limits, PEER_FLOOD and join limits (`prokai.sandbox.limits`);
    `latency`: round trips of tens to hundreds of sandbox milliseconds once the crawler's
    accounts are signed in. Both on by default, as the crawler meets them on Telegram.

    The sandbox clock starts at 12:00 (UTC+5) of `day` (default: the day after tomorrow), so a
    rehearsal never straddles a rotation at midnight by accident.
    """
    from prokai.sandbox.clock import Clock
    from prokai.sandbox.limits import LatencyModel, telegram_limits
    from prokai.sandbox.server import SandboxServer
    from prokai.sandbox.shops.loader import load_folder
    from prokai.sandbox.shops.rotation import day_start
    from prokai.sandbox.shops.shopworld import ShopWorld
    from prokai.sandbox.world import World

    day = day or (date.today() + timedelta(days=2))
    clock = Clock(offset=day_start(day) + 12 * 3600 - time.time())
    world = World(clock=clock, limits=telegram_limits() if limits else None)
    loaded = scenarios if scenarios is not None else load_folder(scenarios_dir or SCENARIOS)
    shops = ShopWorld(world, loaded, start=day).install()
    shops.start()
    server = SandboxServer(world, "127.0.0.1", 0)
    await server.start()
    clients: list[Any] = []
    try:
        leased = []
        for n in range(accounts):
            phone = f"+7705{n:07d}"
            world.add_account(phone, f"Crawler{n}")
            client = await login_sandbox_client(server, phone)
            clients.append(client)
            with db.session() as s:
                acc = Account(phone=phone, state=AccountState.ACTIVE.value, meta={"rehearsal": True})
                s.add(acc)
                s.flush()
                leased.append(Leased(acc.id, client))
        if latency:
            world.set_latency(LatencyModel())
        yield Rehearsal(world, shops, server, loaded, day, StaticClients(leased), SandboxPacer(clock), clients)
    finally:
        for client in clients:
            await client.disconnect()
        await server.close()
        await shops.stop()


def sandbox_client(host: str, port: int, session: str) -> Any:
    """A stock Telethon client on an existing sandbox session string."""
    from telethon import TelegramClient
    from telethon.sessions import StringSession

    from prokai.sandbox.connect import configure

    client = TelegramClient(StringSession(session), 2040, API_HASH, flood_sleep_threshold=0, request_retries=2)
    configure(client, host, port)
    return client


async def run_remote(db_url: str, host: str, port: int, control: str, sessions: dict[int, str],
                     campaign_id: int, model_kind: str = "transformer", concurrency: int = 4) -> None:
    """Run a campaign against a sandbox in another process with the given (account id → session)."""
    from prokai.config import Settings
    from prokai.crawl.models import load_model
    from prokai.crawl.pacing import RemoteSandboxPacer
    from prokai.crawl.runner import CampaignRunner

    db = Database(db_url)
    clients = []
    for account_id, text in sessions.items():
        client = sandbox_client(host, port, text)
        await client.connect()
        clients.append(Leased(account_id, client))
    runner = CampaignRunner(db, StaticClients(clients), load_model(Settings(), model_kind), city="Алматы",
                            budget=REHEARSAL_BUDGET, max_depth=1, concurrency=concurrency,
                            pacer=RemoteSandboxPacer(control))
    try:
        await runner.run(campaign_id)
    finally:
        for leased in clients:
            await leased.client.disconnect()
        db.dispose()


def _main() -> None:
    """`python -m prokai.crawl.rehearsal DB_URL HOST PORT CONTROL SESSIONS_JSON CAMPAIGN [MODEL]`."""
    import asyncio
    import json
    import sys

    db_url, host, port, control, sessions_file, campaign = sys.argv[1:7]
    model_kind = sys.argv[7] if len(sys.argv) > 7 else "transformer"
    sessions = {int(k): v for k, v in json.loads(Path(sessions_file).read_text()).items()}
    asyncio.run(run_remote(db_url, host, int(port), control, sessions, int(campaign), model_kind))


if __name__ == "__main__":
    _main()
