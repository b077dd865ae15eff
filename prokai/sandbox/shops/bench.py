"""Benchmark: many generated shops in one sandbox, walked concurrently by stock Telethon clients.

    python -m prokai.sandbox.shops.bench --shops 1000 --walkers 50

Prints one JSON line: generation, install and login times, walks per second, messages the shops
sent per second, server RSS. Every walk is checked against the ground truth (a mismatch fails).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import time
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession

from prokai.sandbox.connect import configure
from prokai.sandbox.shops.generate import generate_loaded
from prokai.sandbox.shops.harness import DEFAULT_SCENARIOS, shop_sandbox
from prokai.sandbox.shops.loader import load_folder
from prokai.sandbox.shops.truth import ground_truth
from prokai.sandbox.shops.walk import Walker

API_ID = 2040
API_HASH = "b18441a1ff607e10a989891a5462e627"


async def _login(sb: Any, phone: str) -> TelegramClient:
    client = TelegramClient(StringSession(), API_ID, API_HASH, flood_sleep_threshold=0, request_retries=1)
    configure(client, sb.server.host, sb.server.port, sb.server.dc_id)
    await client.connect()
    await client.send_code_request(phone)
    await client.sign_in(phone, sb.world.codes[phone.lstrip("+")].code)
    return client


async def run_bench(shops: int, walkers: int, walks_each: int, seed: int) -> dict[str, Any]:
    """Generate, install, log in, walk; returns the measurements."""
    t0 = time.perf_counter()
    generated = [sc for _, sc in generate_loaded(load_folder(DEFAULT_SCENARIOS), shops, seed)]
    t_gen = time.perf_counter() - t0
    rng = random.Random(seed)
    jobs = [(sc, w) for sc in generated if sc.is_shop for w in sc.spec.walks]
    t1 = time.perf_counter()
    async with shop_sandbox(scenarios=generated, accounts=walkers, phone_prefix="+7702990") as sb:
        t_install = time.perf_counter() - t1
        t2 = time.perf_counter()
        clients = await asyncio.gather(*(_login(sb, p) for p in sb.phones))
        t_login = time.perf_counter() - t2
        sent_before = len(sb.shops.sent)
        done = 0

        async def worker(client: TelegramClient) -> None:
            nonlocal done
            walker = Walker(client, sb.shops)
            for _ in range(walks_each):
                sc, walk = rng.choice(jobs)
                res = await walker.walk(sc, walk)
                if res.handout is None:
                    raise RuntimeError(f"{sc.id}: no requisite ({res.texts})")
                truth = {r["value"] for s in ground_truth([sc], sb.today(), sb.shops.start_date)["shops"]
                         for r in s["requisites"]}
                if res.handout.requisite.value not in truth:
                    raise RuntimeError(f"{sc.id}: {res.handout.requisite.value} is not in the ground truth")
                done += 1

        t3 = time.perf_counter()
        await asyncio.gather(*(worker(c) for c in clients))
        t_walk = time.perf_counter() - t3
        shop_messages = len(sb.shops.sent) - sent_before
        for c in clients:
            await c.disconnect()
    return {
        "shops": shops,
        "walkers": walkers,
        "walks": done,
        "generate_s": round(t_gen, 2),
        "install_s": round(t_install, 2),
        "login_s": round(t_login, 2),
        "walk_s": round(t_walk, 2),
        "walks_per_s": round(done / t_walk, 1) if t_walk else None,
        "shop_messages_per_s": round(shop_messages / t_walk, 1) if t_walk else None,
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    """Command-line entry."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--shops", type=int, default=1000)
    ap.add_argument("--walkers", type=int, default=50)
    ap.add_argument("--walks-each", type=int, default=4)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.shops < 1 or args.walkers < 1 or args.walks_each < 1:
        ap.error("--shops, --walkers and --walks-each must be at least 1")
    print(json.dumps(asyncio.run(run_bench(args.shops, args.walkers, args.walks_each, args.seed))))


if __name__ == "__main__":
    main()
