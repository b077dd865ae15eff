"""Requisite rotation and shop lifecycles as pure functions of the sandbox date.

Sandbox days are calendar days in Kazakhstan time (UTC+5). Rotation keys on the calendar date
itself (its ordinal), so a pool shows the same card on the same date in every run; lifecycles
(renames, deaths) count days from the world's start date (day 0). The running shops and the
ground-truth export both call these functions, which is what makes the ground truth exact.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

from prokai.sandbox.shops.loader import Requisite
from prokai.sandbox.shops.spec import PoolSpec, Scenario

KZ_TZ = timezone(timedelta(hours=5), "Asia/Almaty")


def sandbox_date(ts: float) -> date:
    """The calendar date in Kazakhstan at Unix time `ts`."""
    return datetime.fromtimestamp(ts, KZ_TZ).date()


def day_start(day: date) -> float:
    """Unix time of 00:00 Kazakhstan time on `day`."""
    return datetime(day.year, day.month, day.day, tzinfo=KZ_TZ).timestamp()


def day_bounds_iso(day: date) -> tuple[str, str]:
    """ISO timestamps (UTC+5) of the start of `day` and of the next day."""
    start = datetime(day.year, day.month, day.day, tzinfo=KZ_TZ)
    return start.isoformat(), (start + timedelta(days=1)).isoformat()


def today_kz() -> date:
    """Today's date in Kazakhstan (real time)."""
    return datetime.now(UTC).astimezone(KZ_TZ).date()


def active_items(pool: PoolSpec, items: list[Requisite], day: date) -> list[Requisite]:
    """The requisites a pool can hand out on `day`, in the order per-order rotation uses them."""
    if not items:
        return []
    n = len(items)
    o = day.toordinal()
    if pool.rotate == "fixed":
        return [items[0]]
    if pool.rotate == "per_day":
        return [items[o % n]]
    k = min(pool.active_per_day or n, n)
    first = (o * k) % n
    return [items[(first + i) % n] for i in range(k)]


def buyer_slot(scenario_id: str, pool: str, buyer_id: int, size: int) -> int:
    """Which active item a per-buyer pool gives this buyer (stable hash of shop, pool, buyer)."""
    digest = hashlib.sha256(f"{scenario_id}/{pool}/{buyer_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % size


def pick(
    scenario_id: str, pool_name: str, pool: PoolSpec, items: list[Requisite], day: date, order_no: int, buyer_id: int
) -> Requisite:
    """The requisite for the `order_no`-th order (0-based, counted per pool per day) of `buyer_id`."""
    active = active_items(pool, items, day)
    if not active:
        raise ValueError(f"pool '{pool_name}' of '{scenario_id}' is empty")
    if pool.rotate == "per_order":
        return active[order_no % len(active)]
    if pool.rotate == "per_buyer":
        return active[buyer_slot(scenario_id, pool_name, buyer_id, len(active))]
    return active[0]


@dataclass(frozen=True)
class LifeState:
    """What a shop looks like on one day: alive or how it died, and its current usernames."""

    alive: bool
    death: str | None
    bot: str | None
    bot_name: str | None
    channels: tuple[str, ...]
    renamed: bool


def life_state(spec: Scenario, day_index: int) -> LifeState:
    """The shop's state `day_index` days after the world's start."""
    life = spec.lifecycle
    bot = spec.bot.username if spec.bot else None
    bot_name = spec.bot.name if spec.bot else None
    channels = [c.username for c in spec.channels]
    renamed = False
    if life is not None and life.rename is not None and day_index >= life.rename.day:
        renamed = True
        if life.rename.bot:
            bot = life.rename.bot
        if life.rename.name:
            bot_name = life.rename.name
        if life.rename.channel and channels:
            channels[0] = life.rename.channel
    dead = life is not None and life.dies_on_day is not None and day_index >= life.dies_on_day
    return LifeState(
        alive=not dead,
        death=life.death if dead and life is not None else None,
        bot=bot,
        bot_name=bot_name,
        channels=tuple(channels),
        renamed=renamed,
    )
