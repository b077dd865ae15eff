"""Network benchmark: the graph of 100,000 sightings, an incremental update after a sweep, and the
admin bot's `/links` answer time (python-telegram-bot against the sandbox Bot API server).

    .venv/bin/python bench/network.py [--sightings 100000] [--orgs 150] [--links-runs 5] [--db PATH]

A generated store (SQLite): `--orgs` organisations with 1-16 shops each (bots, backup bots,
operators, showcase channels), each with its own pool of droppers' cards, phones and wallets
that all its shops hand out; one organisation is much larger (a quarter of the requisites).
Every sighting has its payment message with the holder's name, every bot a menu message naming
its backup and its operator. Rows are bulk-inserted (no evidence chain: the chain is not what is
measured here). Goals: building the graph (first `update` from nothing + `build_graph` of
everything) < 10 s; `/links` < 2 s.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prokai.config import Settings  # noqa: E402
from prokai.network import build_graph, update  # noqa: E402
from prokai.store.db import Database  # noqa: E402
from prokai.store.migrate import upgrade  # noqa: E402
from prokai.store.models import (  # noqa: E402
    Account,
    Campaign,
    Case,
    Conversation,
    Message,
    Requisite,
    Shop,
    ShopFamily,
    ShopUsername,
    Sighting,
)

DAY0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
HOLDERS = ["Ержан К.", "Айдана С.", "Марат Т.", "Бекзат О.", "Әсем Қ.", "Жанна Б.", "Тимур Ж.", "Алия М."]


def generate(db: Database, sightings: int, orgs: int, seed: int = 24) -> dict[str, Any]:
    """Fill an empty store; returns what was made."""
    rnd = random.Random(seed)
    now = DAY0
    with db.engine.begin() as conn:
        case_id = conn.execute(sa.insert(Case).values(number="BENCH-24", legal_basis="bench", created_at=now)
                               .returning(Case.id)).scalar_one()
        camp_id = conn.execute(sa.insert(Campaign).values(case_id=case_id, name="bench", status="done", created_at=now,
                                                          settings={}).returning(Campaign.id)).scalar_one()
        acc_ids = [conn.execute(sa.insert(Account).values(phone=f"+7701{i:07d}", state="active", device={}, meta={},
                                                          created_at=now, updated_at=now).returning(Account.id)).scalar_one()
                   for i in range(20)]
    shops: list[dict[str, Any]] = []
    org_shops: list[list[int]] = []
    org_reqs: list[list[int]] = []
    req_rows: list[dict[str, Any]] = []
    big = 0
    per_org = max(1, sightings // 5 // orgs)  # requisites per organisation
    for o in range(orgs):
        n = 16 if o == big else rnd.randint(1, 6)
        members = []
        for k in range(n):
            kind = "bot" if k == 0 or k % 3 else ("operator" if k % 2 else "channel")
            sid = len(shops) + 1
            shops.append({"id": sid, "telegram_id": 9_000_000 + sid, "username": f"org{o}_shop{k}_bot", "kind": kind,
                          "status": "alive", "title": f"org {o}", "first_seen": now + timedelta(minutes=sid),
                          "last_seen": now + timedelta(minutes=sid), "meta": {}})
            members.append(sid)
        org_shops.append(members)
        count = per_org * 40 if o == big else per_org
        ids = []
        for _ in range(count):
            rid = len(req_rows) + 1
            kind = rnd.choices(["card", "phone", "trx", "iban"], [70, 15, 10, 5])[0]
            value = {"card": f"4400{rid:012d}", "phone": f"+7707{rid:07d}", "trx": f"T{rid:033d}",
                     "iban": f"KZ{rid:018d}"}[kind]
            req_rows.append({"id": rid, "kind": kind, "value": value, "issuer": "Kaspi Bank" if kind != "trx" else None,
                             "network": "TRC20" if kind == "trx" else None, "status": "pending",
                             "first_seen": now, "last_seen": now, "meta": {}})
            ids.append(rid)
        org_reqs.append(ids)
    conv_rows, msg_rows, sight_rows = [], [], []
    mid = 0
    for members in org_shops:
        ops = [s for s in members if shops[s - 1]["kind"] == "operator"]
        for s in members:  # menus naming the backup and the operator: the org's links
            if len(members) == 1:
                break
            mid += 1
            conv_rows.append({"id": mid, "campaign_id": camp_id, "shop_id": s, "account_id": acc_ids[mid % 20],
                              "peer_id": 9_000_000 + s, "kind": "crawl", "started_at": now, "state": {}})
            nxt = members[(members.index(s) + 1) % len(members)]
            text = f"Меню. Резерв: @{shops[nxt - 1]['username']}"
            buttons = [{"text": "📞 Оператор", "kind": "url", "row": 0, "col": 0,
                        "url": f"https://t.me/{shops[ops[0] - 1]['username']}"}] if ops else []
            msg_rows.append({"id": mid, "conversation_id": mid, "account_id": acc_ids[mid % 20], "direction": "in",
                             "telegram_message_id": mid, "peer_id": 9_000_000 + s, "text": text, "entities": [],
                             "buttons": buttons, "sent_at": now, "stored_at": now})
    first_pay = mid + 1
    for i in range(sightings):
        o = 0 if rnd.random() < 0.25 else rnd.randrange(orgs)
        s = rnd.choice(org_shops[o])
        rid = rnd.choice(org_reqs[o])
        mid += 1
        at = now + timedelta(days=rnd.randrange(30), minutes=rnd.randrange(1440))
        spaced = req_rows[rid - 1]["value"]
        conv_rows.append({"id": mid, "campaign_id": camp_id, "shop_id": s, "account_id": acc_ids[mid % 20],
                          "peer_id": 9_000_000 + s, "kind": "crawl", "started_at": at, "state": {}})
        text = f"✅ Заказ #{mid}.\nПереведите 25 000 ₸:\n{spaced}\nПолучатель: {HOLDERS[rid % len(HOLDERS)]}\n⏳ 30 минут."
        msg_rows.append({"id": mid, "conversation_id": mid, "account_id": acc_ids[mid % 20], "direction": "in",
                         "telegram_message_id": mid, "peer_id": 9_000_000 + s, "text": text, "entities": [],
                         "buttons": [], "sent_at": at, "stored_at": at})
        start = text.index(spaced)
        sight_rows.append({"id": i + 1, "requisite_id": rid, "message_id": mid, "shop_id": s, "conversation_id": mid,
                           "seen_at": at, "amount": 25000, "currency": "KZT", "method": "pattern",
                           "span_start": start, "span_end": start + len(spaced), "details": {}})
    # One sighting per (requisite, message): the unique constraint holds by construction.
    with db.engine.begin() as conn:
        conn.execute(sa.insert(Shop), shops)
        conn.execute(sa.insert(ShopUsername), [{"shop_id": s["id"], "username": s["username"],
                                                "first_seen": s["first_seen"], "last_seen": s["last_seen"]} for s in shops])
        conn.execute(sa.insert(Requisite), req_rows)
        for chunk in range(0, len(conv_rows), 20000):
            conn.execute(sa.insert(Conversation), conv_rows[chunk:chunk + 20000])
            conn.execute(sa.insert(Message), msg_rows[chunk:chunk + 20000])
        for chunk in range(0, len(sight_rows), 20000):
            conn.execute(sa.insert(Sighting), sight_rows[chunk:chunk + 20000])
    return {"shops": len(shops), "requisites": len(req_rows), "messages": len(msg_rows), "sightings": len(sight_rows),
            "orgs": sum(1 for m, r in zip(org_shops, org_reqs, strict=True) if m), "org_shops": org_shops,
            "first_pay_message": first_pay, "next_message": mid + 1, "next_sighting": len(sight_rows) + 1,
            "reqs_of": org_reqs, "camp": camp_id, "account": acc_ids[0]}


def sweep(db: Database, made: dict[str, Any], n: int, seed: int = 25) -> None:
    """A night's sweep: `n` more sightings (with their messages) at the existing shops."""
    rnd = random.Random(seed)
    at = DAY0 + timedelta(days=31)
    mid, sid = made["next_message"], made["next_sighting"]
    convs, msgs, sights = [], [], []
    for i in range(n):
        o = rnd.randrange(len(made["org_shops"]))
        s = rnd.choice(made["org_shops"][o])
        rid = rnd.choice(made["reqs_of"][o])
        convs.append({"id": mid + i, "campaign_id": made["camp"], "shop_id": s, "account_id": made["account"],
                      "peer_id": 9_000_000 + s, "kind": "crawl", "started_at": at, "state": {}})
        msgs.append({"id": mid + i, "conversation_id": mid + i, "account_id": made["account"], "direction": "in",
                     "telegram_message_id": mid + i, "peer_id": 9_000_000 + s, "text": f"Оплата на {rid}. Получатель: Ерлан Д.",
                     "entities": [], "buttons": [], "sent_at": at, "stored_at": at})
        sights.append({"id": sid + i, "requisite_id": rid, "message_id": mid + i, "shop_id": s, "conversation_id": mid + i,
                       "seen_at": at, "amount": 30000, "currency": "KZT", "method": "pattern", "details": {}})
    with db.engine.begin() as conn:
        conn.execute(sa.insert(Conversation), convs)
        conn.execute(sa.insert(Message), msgs)
        conn.execute(sa.insert(Sighting), sights)


async def links_times(db: Database, queries: list[str], runs: int, tmp: Path,
                      cpu: dict[str, list[float]]) -> dict[str, list[float]]:
    """Seconds from a reviewer's `/links QUERY` to the picture arriving, through the sandbox Bot API
    (wall time; this process's CPU time, bot and sandbox server together, into `cpu`)."""
    from prokai.review.bot import running_bot
    from prokai.sandbox.botapi import BotApiServer, make_token

    reviewer = 1001
    settings = Settings.model_validate({
        "data_dir": str(tmp),
        "review": {"reviewers": [{"telegram_id": reviewer, "name": "Bench", "role": "prosecutor"}], "metrics_port": None},
        "scheduler": {"health_interval_min": 0, "archive_time": None},
    })
    token = make_token()
    server = BotApiServer("127.0.0.1", 0, token)
    await server.start()
    out: dict[str, list[float]] = {q: [] for q in queries}
    try:
        server.add_user(reviewer, "Bench", started=True)
        async with running_bot(settings, db, token=token, base_url=server.url):
            for q in queries:
                for _ in range(runs):
                    t0, c0 = time.perf_counter(), time.process_time()
                    await server.user_says(reviewer, None, f"/links {q}")
                    text = await server.next_message(reviewer, timeout=60)
                    picture = await server.next_message(reviewer, timeout=60)
                    out[q].append(time.perf_counter() - t0)
                    cpu.setdefault(q, []).append(time.process_time() - c0)
                    assert text.text and picture.photo, (text, picture)
    finally:
        await server.stop()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sightings", type=int, default=100_000)
    ap.add_argument("--orgs", type=int, default=150)
    ap.add_argument("--sweep", type=int, default=2_000, help="sightings added by the simulated night's sweep")
    ap.add_argument("--links-runs", type=int, default=5)
    ap.add_argument("--db", type=Path, default=None, help="SQLite file to use (default: a temporary one)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="prokai-bench-network-"))
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    """Generate, build, update, ask; print the figures."""
    path = args.db or tmp / "network.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    db = Database(url)
    t0 = time.perf_counter()
    made = generate(db, args.sightings, args.orgs)
    print(f"store: {made['shops']} shops, {made['requisites']} requisites, {made['messages']} messages, "
          f"{made['sightings']} sightings in {made['orgs']} organisations (generated in {time.perf_counter() - t0:.1f} s)")

    t0, c0 = time.perf_counter(), time.process_time()
    first = update(db)
    t_update, c_update = time.perf_counter() - t0, time.process_time() - c0
    t0, c0 = time.perf_counter(), time.process_time()
    with db.session() as s:
        graph = build_graph(s)
        families = s.scalar(sa.select(sa.func.count()).select_from(ShopFamily).where(ShopFamily.members > 0))
    t_graph, c_graph = time.perf_counter() - t0, time.process_time() - c0
    print(f"first update (holders, links, families): {t_update:.2f} s (CPU {c_update:.2f} s) — {first.sightings} sightings, "
          f"{first.messages} messages, {first.holders} holders, {first.links} links, {families} families "
          f"(expected {made['orgs']})")
    print(f"build_graph (everything): {t_graph:.2f} s (CPU {c_graph:.2f} s) — {graph.number_of_nodes()} nodes, "
          f"{graph.number_of_edges()} edges")
    total = t_update + t_graph
    print(f"GRAPH BUILD for {made['sightings']} sightings: {total:.2f} s wall, {c_update + c_graph:.2f} s CPU "
          f"(goal < 10 s) {'OK' if total < 10 else 'MISSED'}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")

    t0 = time.perf_counter()
    noop = update(db)
    t_noop = time.perf_counter() - t0
    sweep(db, made, args.sweep)
    t0 = time.perf_counter()
    inc = update(db)
    t_inc = time.perf_counter() - t0
    print(f"update with nothing new: {t_noop * 1000:.0f} ms (families {'recomputed' if noop.families else 'unchanged'}); "
          f"after a sweep of {args.sweep} sightings: {t_inc:.2f} s ({inc.sightings} sightings, {inc.messages} messages read)")

    with db.session() as s:
        big = made["org_shops"][0][0]
        small = next(m[0] for m in made["org_shops"][1:] if len(m) >= 3)
        names = dict(s.execute(sa.select(Shop.id, Shop.username).where(Shop.id.in_([big, small]))).all())
        card = s.scalar(sa.select(Requisite.value).where(Requisite.id == made["reqs_of"][1][0]))
    queries = [f"@{names[small]}", str(card), f"@{names[big]}"]
    cpu: dict[str, list[float]] = {}
    times = asyncio.run(links_times(db, queries, args.links_runs, tmp, cpu))
    worst = 0.0
    for q, ts in times.items():
        what = "largest family" if q == f"@{names[big]}" else ("a requisite" if not q.startswith("@") else "a family")
        warm = ts[1:] or ts  # the very first answer also imports matplotlib
        worst = max(worst, max(warm))
        print(f"/links {q} ({what}): median {statistics.median(warm):.2f} s, max {max(warm):.2f} s wall "
              f"(CPU median {statistics.median(cpu[q][1:] or cpu[q]):.2f} s) over {len(warm)} warm runs; "
              f"first {ts[0]:.2f} s")
    print(f"/LINKS answer (text + picture): worst warm {worst:.2f} s wall (goal < 2 s) {'OK' if worst < 2 else 'MISSED'}; "
          f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
