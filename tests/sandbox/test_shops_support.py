"""Helpers for the shop-scenario tests (no tests here): a world of scenarios on an anchored clock.

The clock is anchored at 01:00 Kazakhstan time of a future day (`harness.anchored_clock`), so the
few hours the tests move it forward never cross a midnight by accident: a day changes only when a
test says so.
"""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from mtsandbox import login
from PIL import Image as PilImage
from telethon import TelegramClient

from prokai.sandbox.server import SandboxServer
from prokai.sandbox.shops import ShopWorld, ground_truth, load_folder
from prokai.sandbox.shops import requisites as req
from prokai.sandbox.shops.harness import shop_sandbox
from prokai.sandbox.shops.loader import LoadedScenario
from prokai.sandbox.shops.runtime import Handout
from prokai.sandbox.shops.spec import WalkSpec
from prokai.sandbox.shops.truth import buyer_position, payments_of
from prokai.sandbox.shops.walk import WalkResult
from prokai.sandbox.world import World

SCENARIOS = Path(__file__).resolve().parents[2] / "prokai" / "sandbox" / "scenarios"


@dataclass
class Env:
    """A running sandbox with scenarios installed."""

    world: World
    shops: ShopWorld
    server: SandboxServer
    scenarios: list[LoadedScenario]
    start: date

    def scenario(self, scenario_id: str) -> LoadedScenario:
        return next(sc for sc in self.scenarios if sc.id == scenario_id)

    async def buyer(self, phone: str, *, created: float | None = None) -> TelegramClient:
        """A logged-in stock Telethon client on a fresh account."""
        user = self.world.add_account(phone, f"Buyer {phone[-4:]}")
        user.created = created
        return await login(self.server, phone)


@asynccontextmanager
async def shop_env(scenarios: list[LoadedScenario] | None = None) -> AsyncIterator[Env]:
    """World + scenarios + server + lifecycle task on an anchored clock (the package's harness)."""
    loaded = scenarios if scenarios is not None else load_folder(SCENARIOS)
    async with shop_sandbox(scenarios=loaded) as sb:
        yield Env(sb.world, sb.shops, sb.server, loaded, sb.shops.start_date)


def all_walks(scenarios: list[LoadedScenario]) -> list[tuple[LoadedScenario, WalkSpec]]:
    """Every (scenario, walk) pair."""
    return [(sc, w) for sc in scenarios for w in sc.spec.walks]


def payment_of(sc: LoadedScenario, walk: WalkSpec) -> Any:
    """The payment spec the walk ends at (the one using its pool and matching its target)."""
    via = "operator" if walk.via == "operator" else "bot"
    return next(p for v, p in payments_of(sc.spec) if v == via and p.pool == walk.pool)


def expected_from_truth(truth: dict[str, Any], handout: Handout, sc: LoadedScenario) -> str:
    """The value the ground truth says this order must get."""
    shop = next(s for s in truth["shops"] if s["id"] == sc.id)
    rows = [r for r in shop["requisites"] if r["pool"] == handout.pool]
    assert rows, f"{sc.id}: truth lists nothing for pool {handout.pool}"
    rotate = rows[0]["rotate"]
    if rotate == "per_order":
        return str(rows[handout.order_no % len(rows)]["value"])
    if rotate == "per_buyer":
        return str(rows[buyer_position(sc.id, handout.pool, handout.user_id, len(rows))]["value"])
    assert len(rows) == 1
    return str(rows[0]["value"])


async def check_received(client: TelegramClient, sc: LoadedScenario, walk: WalkSpec, res: WalkResult,
                         today: date, start: date) -> None:
    """The walk's last messages carry exactly the requisite the ground truth names for now."""
    assert res.handout is not None, f"{sc.id}/{walk.via}: no requisite handed out ({res.texts})"
    truth = ground_truth([sc], today, start)
    item = res.handout.requisite
    assert item.value == expected_from_truth(truth, res.handout, sc), f"{sc.id}: {item} not the truth"
    pay = payment_of(sc, walk)
    texts = res.texts
    if pay.delivery == "text":
        shown = req.display(item.kind, item.value, pay.style)
        assert any(shown in t for t in texts), f"{sc.id}: {shown!r} not in {texts}"
    elif pay.delivery == "split":
        parts = req.split_parts(item.kind, item.value, pay.parts)
        assert texts[-len(parts):] == parts, f"{sc.id}: split {parts} vs {texts}"
        joined = "".join(texts[-len(parts):])
        assert req.normalize(item.kind, joined) == item.value
    else:
        photos = [m for m in res.messages if m.photo]
        assert photos, f"{sc.id}: no picture with the requisite"
        data = await client.download_media(photos[-1], file=bytes)
        assert isinstance(data, bytes)
        picture = PilImage.open(io.BytesIO(data))
        assert picture.width > 200 and picture.height > 40
        assert not any(item.value in t for t in texts), "an image requisite must not also be in the text"
