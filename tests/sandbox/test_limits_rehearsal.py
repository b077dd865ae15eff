"""A rehearsal under the limits profile: a careless pacing policy (no pauses between actions or
polls, one fresh account at every shop at once) meets FloodWait and PEER_FLOOD; the crawler's own pacing, over the same shops,
meets neither and no account is restricted."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from prokai.config import Settings
from prokai.crawl.campaigns import create_campaign
from prokai.crawl.engine import Budget
from prokai.crawl.models import load_model
from prokai.crawl.rehearsal import REHEARSAL_BUDGET, SCENARIOS, entry_targets, login_sandbox_client, rehearsal
from prokai.crawl.runner import CampaignRunner, Leased, StaticClients
from prokai.intake.targets import parse_targets
from prokai.sandbox.shops.loader import load_folder
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Account, AccountState

pytestmark = pytest.mark.timeout(150)

SHOPS = ("kristall-almaty", "dala-shymkent", "snezhok-astana", "tsvetnoy-showcase", "balance-topup",
         "kurier-commands", "orbita-renamed")
class NoWaitPacer:
    """A careless pacing policy: it never lets time pass between actions or polls."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock

    def now(self) -> float:
        return float(self.clock.now())

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)


CARELESS = Budget(max_steps=40, max_seconds=3600, reply_timeout=3.0, operator_timeout=3.0,
                  min_delay=0.0, max_delay=0.0)


def _shops() -> list[Any]:
    return [sc for sc in load_folder(SCENARIOS) if sc.id in SHOPS]


async def _campaign(db: Database, rh: Any, provider: Any, budget: Budget, concurrency: int, model: Any,
                    pacer: Any) -> None:
    specs, _ = parse_targets(entry_targets(rh.scenarios))
    campaign_id, _ = create_campaign(db, f"CASE-{id(provider)}", "limits", specs, actor="test")
    runner = CampaignRunner(db, provider, model, city="Алматы", budget=budget, max_depth=0,
                            concurrency=concurrency, pacer=pacer)
    await runner.run(campaign_id)


def test_careless_pacing_meets_limits_and_the_crawler_does_not(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/crawl.db"
    upgrade(url)
    db = Database(url)
    model = load_model(Settings(), "keywords")
    assert len(_shops()) == len(SHOPS)

    async def careless() -> dict[str, Any]:
        async with rehearsal(db, accounts=0, scenarios=_shops()) as rh:
            phone = "+77059990001"  # registered an hour ago
            rh.world.add_account(phone, "Hasty", created=rh.world.clock.now() - 3600)
            client = await login_sandbox_client(rh.server, phone)
            with db.session() as s:
                acc = Account(phone=phone, state=AccountState.ACTIVE.value, meta={"rehearsal": True})
                s.add(acc)
                s.flush()
                # every shop at once on that one account
                provider = StaticClients([Leased(acc.id, client) for _ in SHOPS])
            try:
                await _campaign(db, rh, provider, CARELESS, len(SHOPS), model, NoWaitPacer(rh.world.clock))
            finally:
                await client.disconnect()
            assert rh.world.limiter is not None
            return rh.world.limiter.stats.as_dict()

    async def crawler() -> dict[str, Any]:
        async with rehearsal(db, accounts=4, scenarios=_shops()) as rh:
            await _campaign(db, rh, rh.provider, REHEARSAL_BUDGET, 4, model, rh.pacer)
            assert rh.handed_out()  # it did crawl the shops
            assert rh.world.limiter is not None
            return rh.world.limiter.stats.as_dict()

    hasty = asyncio.run(asyncio.wait_for(careless(), 70))
    assert hasty["flood_wait_total"] > 0, hasty
    assert hasty["peer_floods"] > 0 and hasty["restricted_accounts"] == 1, hasty
    paced = asyncio.run(asyncio.wait_for(crawler(), 70))
    assert paced["flood_wait_total"] == 0 and paced["peer_floods"] == 0, paced
    assert paced["restricted_accounts"] == 0
    db.dispose()
