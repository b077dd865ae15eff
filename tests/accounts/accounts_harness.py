"""The world the accounts tests run in: a SimBox emulator on real pseudo-terminals, the sandbox
MTProto server whose SMS go through that emulator, the SimBox driver pool reading them, and
unmodified Telethon clients built by `prokai.accounts`."""

from __future__ import annotations

import asyncio
import base64
import os
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from prokai.accounts.clients import sandbox_endpoint
from prokai.accounts.pool import AccountPool
from prokai.accounts.state import utcnow
from prokai.accounts.vault import Vault, parse_key
from prokai.config import AccountsSettings, DatabaseSettings, Settings
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.sms import SimBoxGateway
from prokai.sandbox.world import World
from prokai.store.db import Database
from simbox.emulator import Emulator, VirtualSim
from simbox.pool import Pool, PoolOptions

KEY_A = base64.b64encode(bytes(range(32))).decode()
KEY_B = base64.b64encode(bytes(range(100, 132))).decode()


def run(body: Callable[[], Awaitable[None]], timeout: float = 60.0) -> None:
    """Run one async test body on a fresh loop, bounded by `timeout` seconds."""

    async def bounded() -> None:
        await asyncio.wait_for(body(), timeout)

    asyncio.run(bounded())


def make_settings(db_url: str, data_dir: Path, **accounts: Any) -> Settings:
    """Settings for a test: the given database, fast timeouts, no sleeping anywhere."""
    acc: dict[str, Any] = {"sms_code_timeout_s": 20.0, "connection_retries": 1, "retry_delay_s": 0, "watchdog_interval_s": 0.05,
           "watchdog_max_backoff_s": 0.2, "login_concurrency": 4}
    acc.update(accounts)
    return Settings(data_dir=data_dir, database=DatabaseSettings(url=db_url), accounts=AccountsSettings.model_validate(acc))


class Clock:
    """A settable clock for cooldowns (tests never sleep for them)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


@dataclass
class Rig:
    emu: Emulator
    world: World
    server: SandboxServer
    modems: Pool
    db: Database
    settings: Settings
    vault: Vault
    clock: Clock = field(default_factory=Clock)

    def pool(self, **kw: Any) -> AccountPool:
        """An account pool on this rig (each call: another 'process')."""
        return AccountPool(self.db, self.settings, vault=self.vault, endpoint=sandbox_endpoint(self.server),
                           clock=self.clock, **kw)

    def advance(self, seconds: float) -> None:
        """Move both the sandbox clock and ours."""
        self.world.clock.advance(seconds)
        self.clock.advance(seconds)


@asynccontextmanager
async def rig(db: Database, settings: Settings, numbers: Sequence[str], build: Callable[[World], None]) -> AsyncIterator[Rig]:
    """Emulator with one SIM per number, a sandbox world built by `build`, a started modem pool."""
    os.environ["PROKAI_VAULT_KEY"] = KEY_A
    vault = Vault(parse_key(KEY_A))
    emu = Emulator(ports=len(numbers), sims=[VirtualSim(msisdn=n) for n in numbers])
    await emu.start()
    try:
        world = World(sms=SimBoxGateway(emu))
        build(world)
        server = SandboxServer(world, "127.0.0.1", 0)
        await server.start()
        modems = Pool(emu.paths, PoolOptions(probe_timeout=2.0, watchdog_interval=None, sweep_interval=None))
        await modems.start()
        try:
            yield Rig(emu, world, server, modems, db, settings, vault)
        finally:
            await modems.stop()
            await server.close()
    finally:
        await emu.stop()


@contextmanager
def sandbox_thread(world: World) -> Iterator[SandboxServer]:
    """The sandbox server on a loop of its own (the CLI runs its own asyncio.run)."""
    loop = asyncio.new_event_loop()
    server = SandboxServer(world, "127.0.0.1", 0)
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    try:
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(server.close(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
