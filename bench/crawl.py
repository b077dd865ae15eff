"""Crawler benchmark: many generated sandbox shops, many accounts, one crawler process.

    .venv/bin/python bench/crawl.py [--shops 1000] [--accounts 200] [--concurrency 64] [--model transformer]
                                    [--heldout bench/data/crawl_heldout] [--card]

The shops are generated from the scenario files (different names, cities, prices, requisite
pools); pacing is on sandbox time; links (operator, backup bots, channels) are followed two deep,
as in campaigns. Prints shops completed per minute, resident memory, payment pools offered vs
harvested, recall against what the shops actually handed out and against the ground truth, and —
measured in the same run as a baseline — how fast the sandbox answers a scripted walker that
knows each path (so the crawler, not the sandbox, is what the crawler figures measure). The
held-out scenarios (never tuned on) are rehearsed too and printed beside the generated figures.
Goals: >= 98 % of generated shops yield, stuck <= 0.5 %, >= 95 % of offered pools harvested,
every held-out shop yields, no look-alike judged a shop, zero guardrail breaches, <= 2 GB.
`--card` records the figures in the crawler card (prokai/crawl/CARD.md).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prokai.config import Settings  # noqa: E402
from prokai.crawl.campaigns import create_campaign  # noqa: E402
from prokai.crawl.models import load_model  # noqa: E402
from prokai.crawl.rehearsal import (  # noqa: E402
    REHEARSAL_BUDGET,
    SCENARIOS,
    entry_targets,
    rehearsal,
    score_rehearsal,
)
from prokai.crawl.runner import CampaignRunner  # noqa: E402
from prokai.intake.targets import parse_targets  # noqa: E402
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


HELDOUT = Path(__file__).resolve().parent / "data" / "crawl_heldout"


async def run(shops: int, accounts: int, concurrency: int, model_kind: str, heldout: Path | None,
              card: bool, max_depth: int = 2) -> None:
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
            # No pause between two orders here: with dozens of conversations at once each pause
            # moves the one shared sandbox clock, which would run days ahead (rotations, deaths);
            # the templates with several pools have no repeat-order cooldown.
            budget = dataclasses.replace(REHEARSAL_BUDGET, order_gap=0.0)
            runner = CampaignRunner(db, rh.provider, model, city="Алматы", budget=budget,
                                    max_depth=max_depth, concurrency=concurrency, pacer=rh.pacer)
            t0 = time.perf_counter()
            report = await runner.run(campaign_id)
            elapsed = time.perf_counter() - t0
            limit_stats = rh.world.limiter.stats.as_dict() if rh.world.limiter is not None else None
            scored = score_rehearsal(db, rh, campaign_id, elapsed)
            handed = rh.handed_out()
            truth = rh.truth()
            from sqlalchemy import select

            from prokai.store.models import Requisite

            with db.session() as s:
                values = set(s.scalars(select(Requisite.value)))
            norm = {v.replace(" ", "") for v in values}
            captured = {(sid, v) for sid, v in handed if v.replace(" ", "") in norm}
            truth_values = {(shop["id"], r["value"]) for shop in truth["shops"] for r in shop["requisites"]}
            in_truth = {x for x in captured if x in truth_values}
            with rh.world.unthrottled():  # the sandbox's own speed: no limits, no latency
                baseline = await _baseline_walks(rh, min(50, shops))
        db.dispose()
    held = None
    if heldout is not None and heldout.is_dir() and any(heldout.glob("*.yaml")):
        from prokai.crawl.rehearsal import rehearse

        held = await rehearse([heldout], accounts=4, model_kind=model_kind, max_depth=max_depth)
    gen = scored.totals()
    ht = held.totals() if held is not None else None
    rate = report.done / elapsed * 60
    stuck = report.outcomes.get("stuck", 0)
    yielded = gen["shops_yielding"]
    live = gen["live_shops"] or 1
    print(f"shops {shops}, accounts {accounts}, concurrency {concurrency}, model {model_kind}, link depth {max_depth}, "
          "no pause between orders")
    print(f"setup (world, {accounts} logins): {setup:.1f} s")
    print(_limits_line(limit_stats, baseline, rate))
    print(f"{'':<36}{'generated':>14}{'held-out':>14}")

    def row(label: str, gen_value: str, held_value: str = "") -> None:
        print(f"{label:<36}{gen_value:>14}{held_value:>14}")

    def frac(a: int, b: int) -> str:
        return f"{a}/{b} {a / b:.0%}" if b else "-"

    row("crawler: shops completed / min", f"{rate:,.0f}")
    row("sandbox: scripted walks / min", f"{baseline:,.0f}")
    row("live shops yielding requisites", frac(yielded, gen["live_shops"]),
        frac(ht["shops_yielding"], ht["live_shops"]) if ht else "-")
    row("payment pools harvested / offered", frac(gen["pools_harvested"], gen["pools_offered"]),
        frac(ht["pools_harvested"], ht["pools_offered"]) if ht else "-")
    row("requisites stored / shown", frac(gen["requisites_stored"], gen["requisites_shown"]),
        frac(ht["requisites_stored"], ht["requisites_shown"]) if ht else "-")
    row("look-alikes judged a shop", "-", frac(ht["lookalikes_judged_shop"], ht["lookalikes"]) if ht else "-")
    row("guardrail breaches", str(gen["guardrail_breaches"]), str(ht["guardrail_breaches"]) if ht else "-")
    row("stuck conversations", frac(stuck, report.done))
    print(f"{'outcomes (generated)':<36}{dict(sorted(report.outcomes.items()))}")
    if ht:
        print(f"{'outcomes (held-out)':<36}{ht['outcomes']}")
    missed = [f"{sc.id} ({','.join(sorted(set(sc.outcomes.values())))}, {len(sc.pools_harvested)}/{len(sc.pools_offered)})"
              for sc in scored.scenarios if sc.pools_offered and len(sc.pools_harvested) < len(sc.pools_offered)]
    if missed:
        print(f"{'generated shops missing a pool':<36}{len(missed)}: {'; '.join(missed[:12])}")
    print(f"{'captured and in ground truth':<36}{len(in_truth):>12} / {len(captured)}")
    print(f"{'max resident memory':<36}{_rss_mb():>10,.0f} MB")
    ok = (yielded / live >= 0.98 and stuck / max(report.done, 1) <= 0.005 and _rss_mb() <= 2048
          and (gen["pool_recall"] or 0) >= 0.95 and gen["guardrail_breaches"] == 0)
    print(f"goals (generated): >=98% yield, stuck <=0.5%, >=95% pools, 0 breaches, <=2 GB -> {'met' if ok else 'MISSED'}")
    if ht:
        ok_h = (ht["shops_yielding"] == ht["live_shops"] and (ht["pool_recall"] or 0) >= 0.95
                and ht["lookalikes_judged_shop"] == 0 and ht["guardrail_breaches"] == 0)
        print(f"goals (held-out): every shop yields, >=95% pools, no look-alike, 0 breaches -> {'met' if ok_h else 'MISSED'}")
    if card:
        from prokai.crawl.card import update_metrics, write_card

        update_metrics("bench", {
            "command": " ".join(["bench/crawl.py", *sys.argv[1:]]), "order_gap_s": 0, "link_depth": max_depth,
            "shops": shops, "yield_rate": round(yielded / live, 4), "stuck_rate": round(stuck / max(report.done, 1), 4),
            "pool_recall": gen["pool_recall"], "pools": f"{gen['pools_harvested']}/{gen['pools_offered']}",
            "requisites": f"{gen['requisites_stored']}/{gen['requisites_shown']}",
            "guardrail_breaches": gen["guardrail_breaches"], "shops_per_min": round(rate, 1),
            "outcomes": dict(sorted(report.outcomes.items())), "max_rss_mb": round(_rss_mb()),
        })
        write_card()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shops", type=int, default=1000)
    ap.add_argument("--accounts", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--model", default="transformer", choices=["transformer", "keywords"])
    ap.add_argument("--heldout", type=Path, default=HELDOUT, help="held-out scenario folder rehearsed beside")
    ap.add_argument("--no-heldout", action="store_true", help="skip the held-out rehearsal")
    ap.add_argument("--max-depth", type=int, default=2, help="link depth (operators, backups, channels)")
    ap.add_argument("--card", action="store_true", help="record the figures in prokai/crawl/CARD.md")
    args = ap.parse_args()
    if args.shops < 1 or args.accounts < 1 or args.concurrency < 1:
        ap.error("--shops, --accounts and --concurrency must be at least 1")
    asyncio.run(run(args.shops, args.accounts, args.concurrency, args.model,
                    None if args.no_heldout else args.heldout, args.card, args.max_depth))


if __name__ == "__main__":
    main()
