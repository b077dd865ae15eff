"""Crawler benchmark: many generated sandbox shops, many accounts, one crawler process.

    .venv/bin/python bench/crawl.py [--shops 1000] [--accounts 200] [--concurrency 64] [--model transformer]

The shops are generated from the scenario files (different names, cities, prices, requisite
pools); pacing is on sandbox time. Prints shops completed per minute, resident memory, recall
against what the shops actually handed out and against the ground truth, and — measured in the
same run as a baseline — how fast the sandbox answers a scripted walker that knows each path (so
the crawler, not the sandbox, is what the crawler figures measure). Goals: ≥ 95 % of reachable
shops yield requisites in one sweep; ≤ 2 GB resident memory; the sandbox is not the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prokai.config import Settings  # noqa: E402
from prokai.crawl.campaigns import create_campaign  # noqa: E402
from prokai.crawl.models import load_model  # noqa: E402
from prokai.crawl.rehearsal import REHEARSAL_BUDGET, SCENARIOS, entry_targets, rehearsal  # noqa: E402
from prokai.crawl.runner import CampaignRunner  # noqa: E402
from prokai.crawl.targets import parse_targets  # noqa: E402
from prokai.store.db import Database  # noqa: E402
from prokai.store.migrate import upgrade  # noqa: E402


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _limits_line(stats: dict[str, object] | None, baseline: float, rate: float) -> str:
    """Telegram's limits the crawler met (prokai.sandbox.limits) and the sandbox/crawler speed ratio."""
    ratio = f"ratio sandbox/crawler {baseline / rate if rate else 0:.1f}x"
    if stats is None:
        return f"limits: off; {ratio}"
    return (f"limits (Telegram profile): FloodWaits met {stats['flood_wait_total']} {stats['flood_waits']}, "
            f"PEER_FLOOD {stats['peer_floods']}, accounts restricted {stats['restricted_accounts']}; {ratio}")


async def _baseline_walks(rh: object, count: int) -> float:
    """Scripted walks (the path known in advance) per minute: the sandbox's own speed."""
    from prokai.crawl.rehearsal import login_sandbox_client
    from prokai.sandbox.shops.walk import Walker

    walks = [(sc, w) for sc in rh.scenarios for w in sc.spec.walks if w.via == "bot"][:count]  # type: ignore[attr-defined]
    rh.world.add_account("+77099999999", "Walker")  # type: ignore[attr-defined]
    client = await login_sandbox_client(rh.server, "+77099999999")  # type: ignore[attr-defined]
    walker = Walker(client, rh.shops, pause=0.0)  # type: ignore[attr-defined]
    t0 = time.perf_counter()
    done = 0
    for sc, walk in walks:
        try:
            await walker.walk(sc, walk)
            done += 1
        except Exception:  # a walk that trips an anti-bot rule still counts its time
            pass
    elapsed = time.perf_counter() - t0
    await client.disconnect()
    return done / elapsed * 60 if elapsed else 0.0


async def run(shops: int, accounts: int, concurrency: int, model_kind: str) -> None:
    from prokai.sandbox.shops.generate import generate_loaded
    from prokai.sandbox.shops.loader import load_folder

    templates = [sc for sc in load_folder(SCENARIOS) if sc.is_shop and sc.spec.bot is not None]
    scenarios = [sc for _, sc in generate_loaded(templates, shops, seed=7)]
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/bench.db"
        upgrade(url)
        db = Database(url)
        model = load_model(Settings(), model_kind)
        t_setup = time.perf_counter()
        async with rehearsal(db, accounts=accounts, scenarios=scenarios) as rh:
            setup = time.perf_counter() - t_setup
            specs, _ = parse_targets(entry_targets(rh.scenarios))
            campaign_id, _ = create_campaign(db, "BENCH", "bench", specs, actor="bench")
            runner = CampaignRunner(db, rh.provider, model, city="Алматы", budget=REHEARSAL_BUDGET, max_depth=0,
                                    concurrency=concurrency, pacer=rh.pacer)
            t0 = time.perf_counter()
            report = await runner.run(campaign_id)
            elapsed = time.perf_counter() - t0
            limit_stats = rh.world.limiter.stats.as_dict() if rh.world.limiter is not None else None
            handed = rh.handed_out()
            truth = rh.truth()
            from sqlalchemy import select

            from prokai.store.models import Requisite

            with db.session() as s:
                values = set(s.scalars(select(Requisite.value)))
            norm = {v.replace(" ", "") for v in values}
            captured = {(sid, v) for sid, v in handed if v.replace(" ", "") in norm}
            shops_with = {sid for sid, _ in captured}
            truth_values = {(shop["id"], r["value"]) for shop in truth["shops"] for r in shop["requisites"]}
            in_truth = {x for x in captured if x in truth_values}
            with rh.world.unthrottled():  # the sandbox's own speed: no limits, no latency
                baseline = await _baseline_walks(rh, min(50, shops))
        rate = report.done / elapsed * 60
        print(f"shops {shops}, accounts {accounts}, concurrency {concurrency}, model {model_kind}")
        print(f"setup (world, {accounts} logins): {setup:.1f} s")
        print(_limits_line(limit_stats, baseline, rate))
        print(f"{'':<34}{'value':>12}")
        print(f"{'crawler: shops completed / min':<34}{rate:>12,.0f}")
        print(f"{'sandbox: scripted walks / min':<34}{baseline:>12,.0f}   (ratio sandbox/crawler {baseline / rate if rate else 0:.1f}x)")
        print(f"{'outcomes':<34}{dict(sorted(report.outcomes.items()))}")
        print(f"{'shops yielding requisites':<34}{len(shops_with):>12} / {shops}  ({len(shops_with) / shops:.1%})")
        print(f"{'handed out and captured':<34}{len(captured):>12} / {len(handed)}  "
              f"({len(captured) / len(handed) if handed else 0:.1%})")
        print(f"{'captured and in ground truth':<34}{len(in_truth):>12} / {len(captured)}")
        print(f"{'max resident memory':<34}{_rss_mb():>10,.0f} MB")
        ok = len(shops_with) / shops >= 0.95 and _rss_mb() <= 2048
        print(f"goals: ≥95% shops yield requisites, ≤2 GB -> {'met' if ok else 'MISSED'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shops", type=int, default=1000)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--model", default="transformer", choices=["transformer", "keywords"])
    args = ap.parse_args()
    asyncio.run(run(args.shops, args.accounts, args.concurrency, args.model))


if __name__ == "__main__":
    main()
