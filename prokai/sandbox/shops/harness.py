"""A running sandbox full of shops, in-process: for the crawler's tests, benchmarks and demos.

```python
async with shop_sandbox(accounts=3) as sb:          # all shipped scenarios, a free port
    client = TelegramClient(StringSession(), api_id, api_hash)
    configure(client, sb.server.host, sb.server.port, sb.server.dc_id)
    ...                                              # log in as sb.phones[0] (code in sb.world.codes)
    truth = sb.truth()                               # ground truth for the sandbox's current date
    score = recall(truth, found_values)              # what a crawl found vs what it could have found
```
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from prokai.sandbox.clock import Clock
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.shops.loader import LoadedScenario, load_folder
from prokai.sandbox.shops.rotation import day_start, sandbox_date, today_kz
from prokai.sandbox.shops.shopworld import ShopWorld
from prokai.sandbox.shops.truth import ground_truth
from prokai.sandbox.world import World

DEFAULT_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"


def anchored_clock(days_ahead: int = 2, hour: float = 1.0) -> tuple[Clock, date]:
    """A sandbox clock at `hour`:00 (UTC+5) of a future day, and that day.

    Tests that move the clock by minutes or hours then never cross a midnight by accident.
    """
    day = today_kz() + timedelta(days=days_ahead)
    return Clock(offset=day_start(day) + hour * 3600 - time.time()), day


@dataclass
class ShopSandbox:
    """World, shops and MTProto server of a running shop sandbox."""

    world: World
    shops: ShopWorld
    server: SandboxServer
    phones: list[str] = field(default_factory=list)

    @property
    def scenarios(self) -> list[LoadedScenario]:
        """The loaded scenarios."""
        return self.shops.scenarios

    def today(self) -> date:
        """The sandbox's current date (UTC+5)."""
        return sandbox_date(self.world.clock.now())

    def truth(self, day: date | None = None) -> dict[str, Any]:
        """Ground truth for `day` (default: the sandbox's current date)."""
        return ground_truth(self.scenarios, day or self.today(), self.shops.start_date)

    def advance_days(self, days: int) -> None:
        """Fast-forward the clock by whole days and apply renames and deaths at once."""
        self.world.clock.advance(days * 86400)
        self.shops.apply_day()


def recall(truth: dict[str, Any] | list[dict[str, Any]], found: Iterable[str]) -> dict[str, Any]:
    """Compare found requisite values with ground truth (one day or a list of days).

    Returns counts, recall, the truth values missed and the found values no shop hands out.
    """
    docs = truth if isinstance(truth, list) else [truth]
    expected = {r["value"] for doc in docs for shop in doc["shops"] if shop["is_shop"] for r in shop["requisites"]}
    got = set(found)
    hits = expected & got
    return {
        "expected": len(expected),
        "found": len(got),
        "hits": len(hits),
        "recall": len(hits) / len(expected) if expected else 1.0,
        "missed": sorted(expected - got),
        "unexpected": sorted(got - expected),
    }


@asynccontextmanager
async def shop_sandbox(
    folder: str | Path | None = None,
    *,
    scenarios: list[LoadedScenario] | None = None,
    world: World | None = None,
    accounts: int = 0,
    phone_prefix: str = "+7701990",
    host: str = "127.0.0.1",
    port: int = 0,
) -> AsyncIterator[ShopSandbox]:
    """Serve shops (a folder, or already loaded scenarios) with `accounts` buyer accounts ready.

    The world defaults to a fresh one on an anchored clock (01:00 of the day after tomorrow).
    """
    loaded = scenarios if scenarios is not None else load_folder(folder or DEFAULT_SCENARIOS)
    if world is None:
        world = World(clock=anchored_clock()[0])
    shops = ShopWorld(world, loaded).install()
    phones = []
    for i in range(accounts):
        phone = f"{phone_prefix}{i:04d}"
        world.add_account(phone, f"Buyer {i}")
        phones.append(phone)
    shops.start()
    server = SandboxServer(world, host, port)
    await server.start()
    try:
        yield ShopSandbox(world, shops, server, phones)
    finally:
        await server.close()
        await shops.stop()
