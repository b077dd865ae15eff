"""Distributed mode against the in-process runner: one generated campaign, the same each run.

    .venv/bin/python bench/distributed.py [--shops 24] [--workers 1,2,4] [--concurrency 8] [--max-depth 0] [--speed 10]

The sandbox runs in a thread of this process with `--shops` shops generated from the scenario
templates as bench/crawl.py generates them (same seed), links followed `--max-depth` deep. Every
run gets a PostgreSQL schema of its own (migrated, dropped afterwards), fresh sandbox accounts
whose sessions are sealed in the vault, one campaign of the shops' entry targets, and, in
distributed runs, a RabbitMQ queue of its own (deleted afterwards). The crawler is the real
command line in subprocesses, the production account pool (the reliability probes' world,
tests/reliability/reliability_harness.py):

(a) in-process: `prokai campaign run N --concurrency C` in a subprocess;
(b) distributed: K `prokai worker --concurrency C` processes (started and consuming before the
    clock starts), then `prokai campaign run N --distributed`, for each K in `--workers`;
(c) kill test: 2 workers; once a quarter of the targets are done, the worker holding an open
    conversation is killed with `kill -9`; the other one finishes the campaign.

Time: `prokai worker` builds its runner from settings, so it paces conversations on the wall
clock. The sandbox clock here runs `--speed` times faster than the wall clock, and the crawler's
pauses are the rehearsals' (1.5-3 s of sandbox time, bench/crawl.py) divided by `--speed`: shops'
anti-bot rules and operators' delays are met in sandbox time at `--speed` times real speed.
Telegram's flood limits and the latency model are off (they are bench/crawl.py's subject; a
FloodWait counted in sandbox seconds would be waited out in wall seconds here).

Figures: targets done per minute (shops, and with `--max-depth` the operators, backups and
channels their conversations led to) over the work time, first conversation started to last one
ended as the database recorded them (process start-up left out in both modes: the in-process
command builds its runner after its clock starts, workers before; the command's wall time is
kept beside), ratios against the in-process run of the same invocation, queue overhead per job
(work time difference at one worker over the jobs), and for the kill test the lost jobs (targets
not done, or done in error) and the duplicate evidence (messages or sightings stored twice in one
conversation, counted as `Node.summary` counts them). Goals (issue 22): 0 lost, 0 duplicates,
queue costs <= 5 % at one worker. Results: bench/results/distributed.json. Needs RabbitMQ
(PROKAI_BENCH_AMQP_URL, default amqp://guest:guest@127.0.0.1:5672/) and PostgreSQL
(PROKAI_TEST_PG_URL, default postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "reliability"))

import sqlalchemy as sa  # noqa: E402
from reliability_harness import Node, SandboxThread, finish  # noqa: E402

from prokai.sandbox.clock import Clock  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "distributed.json"
BROKER = os.environ.get("PROKAI_BENCH_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
PG_URL = os.environ.get("PROKAI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
RUN_TIMEOUT_S = 420.0  # one campaign run at most (a hung run counts its open targets as lost)


class BenchNode(Node):
    """The reliability probes' node with no pause between two orders of one conversation
    (`crawl.order_gap_s` 0, as bench/crawl.py runs: 11 wall minutes each would be the whole bench)."""

    def env(self) -> dict[str, str]:
        """The node's environment, the order gap off."""
        return {**super().env(), "PROKAI_CRAWL__ORDER_GAP_S": "0"}


def duplicates(url: str) -> dict[str, int]:
    """Evidence stored twice: a sighting of one requisite twice in one conversation, an incoming
    message version stored again with the same content as the version before it (`edit_versions`
    says how many edited versions there were)."""
    from sqlalchemy import func, select

    from prokai.store.db import Database
    from prokai.store.models import Message, Sighting

    db = Database(url)
    try:
        with db.session() as s:
            sightings = len(s.execute(select(Sighting.conversation_id, Sighting.requisite_id)
                                      .group_by(Sighting.conversation_id, Sighting.requisite_id)
                                      .having(func.count() > 1)).all())
            rows = s.execute(select(Message.conversation_id, Message.telegram_message_id, Message.text,
                                    Message.buttons, Message.media_hash)
                             .where(Message.direction == "in", Message.telegram_message_id.is_not(None))
                             .order_by(Message.id)).all()
    finally:
        db.dispose()
    last: dict[tuple[Any, Any], tuple[Any, ...]] = {}
    again = versions = 0
    for conv, tg, *content in rows:
        key = (conv, tg)
        if key in last:
            versions += 1
            again += last[key] == tuple(content)
        last[key] = tuple(content)
    return {"sightings": sightings, "messages": again, "edit_versions": versions}


def work_span(url: str) -> float:
    """Seconds from the first conversation's start to the last one's end (the same clock, the
    database's, in both modes; process start-up, the runner's or a worker's, left out)."""
    from sqlalchemy import func, select

    from prokai.store.db import Database
    from prokai.store.models import Conversation

    db = Database(url)
    try:
        with db.session() as s:
            first, last = s.execute(select(func.min(Conversation.started_at), func.max(Conversation.ended_at))).one()
    finally:
        db.dispose()
    return (last - first).total_seconds() if first is not None and last is not None else 0.0


class ShopSandbox(SandboxThread):
    """The sandbox in a thread with generated shops (as `rehearsal` installs them) on a fast clock."""

    def __init__(self, scenarios: list[Any], speed: float) -> None:
        self.scenarios = scenarios
        self.speed = speed
        super().__init__()

    async def _start(self, extra: dict[str, Any]) -> None:
        from prokai.sandbox.server import SandboxServer
        from prokai.sandbox.shops.rotation import day_start
        from prokai.sandbox.shops.shopworld import ShopWorld
        from prokai.sandbox.world import World

        day = date.today() + timedelta(days=2)  # noon of the day after tomorrow: no midnight rotation mid-run
        self.world = World(clock=Clock(speed=self.speed, offset=day_start(day) + 12 * 3600 - time.time()))
        self.shops = ShopWorld(self.world, self.scenarios, start=day).install()
        self.shops.start()
        self.server = SandboxServer(self.world, "127.0.0.1", 0)
        await self.server.start()

    def stop(self) -> None:
        self.call(self.shops.stop())
        super().stop()


def _with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


class Run:
    """One campaign on a schema (and a queue) of its own: its node, its workers, its figures."""

    def __init__(self, name: str, index: int, root: Path, sandbox: ShopSandbox, targets: list[str],
                 args: argparse.Namespace, accounts: int) -> None:
        self.name = name
        self.args = args
        self.schema = f"bench_dist_{uuid.uuid4().hex[:10]}"
        self.queue = f"prokai.bench.{uuid.uuid4().hex[:10]}"
        self.admin = sa.create_engine(PG_URL)
        with self.admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{self.schema}"'))
        speed = args.speed
        phones = [f"+779{index}{k:07d}" for k in range(accounts)]
        self.node = BenchNode(root / name, sandbox, phones, targets, url=_with_schema(PG_URL, self.schema), config={
            "crawl": {"min_delay_s": 1.5 / speed, "max_delay_s": 3.0 / speed, "max_depth": args.max_depth,
                      "daily_cap_per_account": 10_000},
            "cluster": {"broker_url": BROKER, "queue": self.queue, "heartbeat_s": 1, "progress_interval_s": 0.2,
                        "worker_concurrency": args.concurrency},
        })
        self.workers: list[subprocess.Popen[str]] = []
        self.worker_logs: list[str] = []

    def start_workers(self, n: int) -> None:
        """`n` `prokai worker` processes, returned once every one consumes."""
        from prokai.cluster.presence import live_workers
        from prokai.store.db import Database

        self.workers = [self.node.start("worker", "--model", self.args.model, "--concurrency",
                                        str(self.args.concurrency), "--stop-grace", "2") for _ in range(n)]
        db = Database(self.node.url)
        try:
            deadline = time.monotonic() + 120
            while len(live_workers(db, 1.0)) < n:
                dead = [finish(p) for p in self.workers if p.poll() is not None]
                if dead or time.monotonic() > deadline:
                    raise RuntimeError(f"workers never came up: {[e[-2000:] for _, _, e in dead]}")
                time.sleep(0.1)
        finally:
            db.dispose()

    def campaign(self, distributed: bool) -> subprocess.Popen[str]:
        extra = ["--distributed"] if distributed else ["--model", self.args.model, "--concurrency",
                                                       str(self.args.concurrency)]
        return self.node.start("campaign", "run", str(self.node.campaign_id), "--no-progress", *extra)

    def timed(self, proc: subprocess.Popen[str], t0: float) -> tuple[int, float, str]:
        """Wait for a campaign run; exit code, wall seconds since `t0`, stderr's tail."""
        try:
            code, _, err = finish(proc, timeout=RUN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, err = proc.communicate()
            code = -9
        return code, time.perf_counter() - t0, err[-1500:]

    def stop_workers(self) -> None:
        """SIGTERM the live workers; keep what each said it did with its jobs."""
        live = [p for p in self.workers if p.poll() is None]
        for proc in live:
            proc.send_signal(signal.SIGTERM)
        for proc in live:
            try:
                code, out, err = finish(proc, timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
                code, out, err = proc.wait(), "", "killed after 60 s"
            self.worker_logs.append(f"exit {code}: {out.strip()[-300:]}" + (" [traceback]" if "Traceback" in err else ""))

    def figures(self, code: int, elapsed: float, err: str) -> dict[str, Any]:
        """Throughput, outcomes and the evidence checks of this run's database."""
        summary = self.node.summary()
        targets = summary["targets"]
        done = [o for status, o in targets.values() if status == "done"]
        outcomes: dict[str, int] = {}
        for o in done:
            outcomes[str(o)] = outcomes.get(str(o), 0) + 1
        dups = duplicates(self.node.url)
        span = work_span(self.node.url)
        lost = [raw for raw, (status, o) in targets.items() if status != "done" or o == "error"]
        return {
            "exit_code": code, "seconds": round(elapsed, 2), "work_seconds": round(span, 2),
            "targets": len(targets), "done": len(done),
            "per_min": round(len(done) / span * 60, 1) if span else 0.0,
            "per_min_wall": round(len(done) / elapsed * 60, 1) if elapsed else 0.0,
            "outcomes": dict(sorted(outcomes.items())), "lost": len(lost), "lost_targets": sorted(lost)[:20],
            "duplicates": dups["sightings"] + dups["messages"], "duplicate_detail": dups, "leased_after": len(summary["leased"]),
            "chain_intact": bool(summary["intact"]), "requisites": len(summary["requisites"]),
            "messages": summary["messages"], "stderr_tail": err[-600:] if code else "",
            "_targets": targets,
        }

    def close(self) -> None:
        """Kill what still runs, delete the queue, drop the schema."""
        from prokai.cluster.queue import delete_queue
        from prokai.config import ClusterSettings

        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        try:
            asyncio.run(delete_queue(ClusterSettings(broker_url=BROKER, queue=self.queue)))
        finally:
            with self.admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
            self.admin.dispose()


def _victim(run: Run, dispatch: subprocess.Popen[str], share: float = 0.25,
            timeout: float = 300) -> tuple[subprocess.Popen[str], int, int]:
    """Once `share` of the targets are done: a worker holding an open conversation (two answers
    stored in it); the worker, the conversation id and the targets done by then."""
    from sqlalchemy import func, select

    from prokai.store.db import Database
    from prokai.store.models import Account, Conversation, Message, Target

    db = Database(run.node.url)
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if dispatch.poll() is not None:
                raise RuntimeError("the campaign ended before a worker could be killed mid-run")
            with db.session() as s:
                total = s.scalar(select(func.count()).select_from(Target)) or 0
                done = s.scalar(select(func.count()).select_from(Target).where(Target.status == "done")) or 0
                rows = s.execute(
                    select(Conversation.id, Account.lease_owner)
                    .join(Account, Account.id == Conversation.account_id)
                    .where(Conversation.ended_at.is_(None), Account.lease_owner.is_not(None))).all()
                for conv_id, owner in rows:
                    answers = s.scalar(select(func.count()).select_from(Message).where(
                        Message.conversation_id == conv_id, Message.direction == "in")) or 0
                    pid = int(str(owner).split(":")[1]) if str(owner).count(":") >= 1 else -1
                    holder = next((p for p in run.workers if p.pid == pid and p.poll() is None), None)
                    if holder is not None and answers >= 2 and done >= share * total:
                        return holder, int(conv_id), done
            time.sleep(0.05)
    finally:
        db.dispose()
    raise RuntimeError("no worker was ever mid-conversation")


def _same(a: dict[str, Any], b: dict[str, Any]) -> int:
    """Targets whose (status, outcome) differ between two runs."""
    return sum(1 for raw in set(a) | set(b) if a.get(raw) != b.get(raw))


def bench(args: argparse.Namespace) -> dict[str, Any]:
    """Every run of one invocation; the results as plain data."""
    from prokai.crawl.rehearsal import SCENARIOS, entry_targets
    from prokai.sandbox.shops.generate import generate_loaded
    from prokai.sandbox.shops.loader import load_folder

    templates = [sc for sc in load_folder(SCENARIOS) if sc.is_shop and sc.spec.bot is not None]
    scenarios = [sc for _, sc in generate_loaded(templates, args.shops, seed=7)]
    targets = entry_targets(scenarios)
    accounts = max(args.workers + [2]) * args.concurrency
    sandbox = ShopSandbox(scenarios, args.speed)
    runs: dict[str, dict[str, Any]] = {}
    started = time.perf_counter()
    try:
        with tempfile.TemporaryDirectory(prefix="prokai-bench-dist-") as tmp:
            plan: list[tuple[str, int | None]] = [("in-process", None)]
            plan += [(f"{n} worker{'s' if n > 1 else ''}", n) for n in args.workers]
            plan.append(("kill test (2 workers)", 2))
            for index, (name, n) in enumerate(plan):
                run = Run(name.split(" ")[0] + str(index), index, Path(tmp), sandbox, targets, args, accounts)
                try:
                    killed: dict[str, Any] = {}
                    if n is None:
                        t0 = time.perf_counter()
                        code, elapsed, err = run.timed(run.campaign(distributed=False), t0)
                    else:
                        run.start_workers(n)
                        t0 = time.perf_counter()
                        dispatch = run.campaign(distributed=True)
                        if name.startswith("kill"):
                            victim, conv, done_then = _victim(run, dispatch)
                            os.kill(victim.pid, signal.SIGKILL)
                            victim.wait()
                            killed = {"at_s": round(time.perf_counter() - t0, 2), "conversation": conv,
                                      "targets_done_then": done_then}
                        code, elapsed, err = run.timed(dispatch, t0)
                        run.stop_workers()
                    fig = run.figures(code, elapsed, err)
                    fig.update(workers=n or 0, worker_exits=run.worker_logs, killed=killed or None)
                    runs[name] = fig
                    print(f"  {name:<24} {fig['done']:>4}/{fig['targets']} targets in {fig['work_seconds']:6.1f} s "
                          f"(command {elapsed:.1f} s)  "
                          f"{fig['per_min']:7.1f}/min  lost {fig['lost']}  duplicates {fig['duplicates']}"
                          f"  exit {code}", flush=True)
                finally:
                    run.close()
    finally:
        sandbox.stop()
    return _results(args, runs, len(targets), accounts, time.perf_counter() - started)


def _results(args: argparse.Namespace, runs: dict[str, dict[str, Any]], targets: int, accounts: int,
             total_s: float) -> dict[str, Any]:
    base = runs["in-process"]
    kill = runs["kill test (2 workers)"]
    for fig in runs.values():
        fig["ratio_vs_inprocess"] = round(fig["per_min"] / base["per_min"], 3) if base["per_min"] else None
        fig["differs_from_inprocess"] = _same(fig["_targets"], base["_targets"])
    one = runs.get("1 worker")
    overhead = None
    if one is not None and one["done"]:
        overhead = {
            "per_job_ms": round((one["work_seconds"] - base["work_seconds"]) / one["done"] * 1000, 1),
            "queue_cost_pct": round((one["work_seconds"] / base["work_seconds"] - 1) * 100, 1),
            "wall_per_job_ms": round((one["seconds"] - base["seconds"]) / one["done"] * 1000, 1),
        }
    distributed = [f for n, f in runs.items() if n != "in-process"]
    goals = {
        "0 lost jobs after kill -9": kill["lost"] == 0 and kill["done"] == kill["targets"],
        "0 duplicates (every distributed run)": all(f["duplicates"] == 0 for f in distributed),
        "queue costs <= 5 % at one worker": overhead is not None and overhead["queue_cost_pct"] <= 5.0,
    }
    for fig in runs.values():
        fig.pop("_targets")
    cores = os.cpu_count() or 0
    return {
        "command": " ".join(["bench/distributed.py", *sys.argv[1:]]),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": cores, "python": platform.python_version(), "platform": platform.platform()},
        "setup": {"shops": args.shops, "entry_targets": targets, "max_depth": args.max_depth,
                  "concurrency_per_node": args.concurrency, "accounts_per_run": accounts, "model": args.model,
                  "sandbox_speed": args.speed, "telegram_limits": False, "latency_model": False,
                  "in_process": "`prokai campaign run N` in a subprocess (build_runner over the account pool)",
                  "distributed": "`prokai worker` processes + `prokai campaign run N --distributed`, "
                                 "Taskiq over RabbitMQ, one quorum queue per run",
                  "timing": "per_min, ratios and overhead on work_seconds (first conversation started to last "
                            "ended, from the database); seconds: wall time of the campaign run command "
                            "(in-process: includes building the runner; distributed: workers already consuming)"},
        "runs": runs,
        "queue_overhead_one_worker": overhead,
        "goals": goals,
        "note": (f"{cores} CPU cores here: the sandbox, every worker and PostgreSQL share them, so throughput "
                 f"beyond {cores} workers cannot show what more nodes would give"),
        "total_seconds": round(total_s, 1),
    }


def report(results: dict[str, Any]) -> None:
    """The table and the goals, on stdout."""
    s = results["setup"]
    print(f"\n{s['shops']} generated shops ({s['entry_targets']} entry targets, links {s['max_depth']} deep), "
          f"concurrency {s['concurrency_per_node']} per node, {s['accounts_per_run']} accounts, model {s['model']}, "
          f"sandbox clock x{s['sandbox_speed']:g}, limits off")
    print(f"{'run':<24}{'done':>10}{'work s':>8}{'wall s':>8}{'/min':>8}{'ratio':>7}{'lost':>6}{'dups':>6}"
          f"{'differs':>9}")
    for name, f in results["runs"].items():
        print(f"{name:<24}{f['done']:>5}/{f['targets']:<4}{f['work_seconds']:>8.1f}{f['seconds']:>8.1f}{f['per_min']:>8.1f}"
              f"{f['ratio_vs_inprocess'] or 0:>7.2f}{f['lost']:>6}{f['duplicates']:>6}{f['differs_from_inprocess']:>9}")
    o = results["queue_overhead_one_worker"]
    if o:
        print(f"queue overhead at one worker: {o['per_job_ms']:+.1f} ms per job ({o['queue_cost_pct']:+.1f} % of the "
              f"in-process work time; wall time of the command: {o['wall_per_job_ms']:+.1f} ms per job)")
    k = results["runs"]["kill test (2 workers)"]
    if k.get("killed"):
        print(f"kill test: kill -9 at {k['killed']['at_s']} s (conversation {k['killed']['conversation']}, "
              f"{k['killed']['targets_done_then']} targets done then); lost {k['lost']}, duplicates {k['duplicates']}, "
              f"survivor: {'; '.join(k['worker_exits'])}")
    for goal, met in results["goals"].items():
        print(f"goal {goal}: {'met' if met else 'MISSED'}")
    print(f"note: {results['note']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shops", type=int, default=24)
    ap.add_argument("--workers", default="1,2,4", help="worker counts, comma-separated (1 is needed for the overhead)")
    ap.add_argument("--concurrency", type=int, default=8, help="conversations at once per node (in-process too)")
    ap.add_argument("--max-depth", type=int, default=0, help="link depth (operators, backups, channels)")
    ap.add_argument("--model", default="keywords", choices=["transformer", "keywords"])
    ap.add_argument("--speed", type=float, default=10.0, help="sandbox seconds per wall second")
    ap.add_argument("--json", type=Path, default=RESULTS, help="where to write the results")
    args = ap.parse_args()
    try:
        args.workers = sorted({int(w) for w in args.workers.split(",") if w.strip()})
    except ValueError:
        ap.error("--workers: comma-separated integers")
    if args.shops < 1 or args.concurrency < 1 or args.speed < 1 or not args.workers or min(args.workers) < 1:
        ap.error("--shops, --concurrency, --workers must be at least 1, --speed at least 1")
    results = bench(args)
    report(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"results: {args.json.relative_to(ROOT) if args.json.is_relative_to(ROOT) else args.json}")


if __name__ == "__main__":
    main()
