"""Ground truth: which requisites each shop can hand out on a given sandbox date, and how.

Computed from the scenarios alone with the same rotation functions the running shops use, so a
crawl's recall can be measured exactly: every requisite listed for a date is one a buyer could
have received that day; nothing else could have been.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from prokai.sandbox.shops.loader import LoadedScenario
from prokai.sandbox.shops.rotation import active_items, buyer_slot, day_bounds_iso, life_state
from prokai.sandbox.shops.spec import PaymentSpec, Scenario

FORMAT_VERSION = 1


def payments_of(spec: Scenario) -> list[tuple[str, PaymentSpec]]:
    """(via, payment) for every place a scenario hands out requisites ('bot' or 'operator')."""
    out: list[tuple[str, PaymentSpec]] = []
    if spec.bot is not None:
        out += [("bot", s.payment) for s in spec.bot.screens.values() if s.payment is not None]
    if spec.operator is not None:
        out += [("operator", r.payment) for r in spec.operator.replies if r.payment is not None]
    return out


def shop_truth(sc: LoadedScenario, day: date, start: date) -> dict[str, Any]:
    """One scenario's entry for `day`."""
    spec = sc.spec
    life = life_state(spec, (day - start).days)
    entry: dict[str, Any] = {
        "id": spec.id,
        "title": spec.title,
        "file": sc.path.name,
        "is_shop": spec.kind == "shop",
        "lang": spec.lang,
        "alive": life.alive,
        "death": life.death,
        "renamed": life.renamed,
        "bot": life.bot if spec.bot is not None else None,
        "backup_bots": [b.username for b in spec.bot.backups] if spec.bot is not None else [],
        "operator": spec.operator.username if spec.operator is not None else None,
        "channels": list(life.channels),
        "requisites": [],
    }
    if not life.alive:
        return entry
    valid_from, valid_to = day_bounds_iso(day)
    uses: dict[str, dict[str, set[str]]] = {}
    for via, pay in payments_of(spec):
        u = uses.setdefault(pay.pool, {"via": set(), "delivery": set()})
        u["via"].add(via)
        u["delivery"].add(pay.delivery)
    for pool_name, u in uses.items():
        pool = spec.requisites[pool_name]
        active = active_items(pool, sc.pools[pool_name], day)
        for position, item in enumerate(active):
            entry["requisites"].append({
                "kind": item.kind,
                "value": item.value,
                "bank": item.bank,
                "holder": item.holder,
                "asset": item.asset,
                "pool": pool_name,
                "rotate": pool.rotate,
                "position": position,
                "of": len(active),
                "via": sorted(u["via"]),
                "delivery": sorted(u["delivery"]),
                "valid_from": valid_from,
                "valid_to": valid_to,
            })
    return entry


def ground_truth(scenarios: list[LoadedScenario], day: date, start: date | None = None) -> dict[str, Any]:
    """JSON-able ground truth for `day` (day 0 of lifecycles = `start`, default `day`).

    Rotation rules in the output: `fixed` and `per_day` list exactly one requisite per pool;
    `per_order` lists the day's active requisites in the order orders get them (the n-th order of
    the day, counted per pool from 0, gets position n mod `of`); `per_buyer` lists the active
    requisites, each buyer always getting `position = buyer_position(...)`.
    """
    start = start or day
    return {
        "format": FORMAT_VERSION,
        "date": day.isoformat(),
        "start": start.isoformat(),
        "day_index": (day - start).days,
        "timezone": "+05:00",
        "shops": [shop_truth(sc, day, start) for sc in scenarios],
    }


def ground_truth_range(scenarios: list[LoadedScenario], first: date, days: int, start: date | None = None) -> list[dict[str, Any]]:
    """Ground truth for `days` consecutive dates from `first`."""
    return [ground_truth(scenarios, first + timedelta(days=i), start or first) for i in range(days)]


def buyer_position(scenario_id: str, pool: str, buyer_id: int, of: int) -> int:
    """The position a per-buyer pool gives buyer `buyer_id` (a sandbox user id)."""
    return buyer_slot(scenario_id, pool, buyer_id, of)


def expected_values(truth: dict[str, Any], scenario_id: str, pool: str | None = None) -> list[str]:
    """The requisite values a shop lists in one day's truth (optionally one pool), in order."""
    for shop in truth["shops"]:
        if shop["id"] == scenario_id:
            return [r["value"] for r in shop["requisites"] if pool is None or r["pool"] == pool]
    raise KeyError(scenario_id)
