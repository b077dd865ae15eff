"""SimBox driver on the emulator: a 64-port scan, and the time from a modem's +CMTI to the login
code in the consumer's hands. Goals: scan ≤ 3 s; code handed over ≤ 0.5 s after +CMTI.

    .venv/bin/python bench/simbox.py [--ports 64] [--messages 40]

The emulator runs in its own process (`python -m simbox emulate`), as a real pool is on the
other side of a serial line, and each virtual modem takes `--latency` (default 20 ms) to answer a
command, as real 2G modules do at 115200 baud. Baselines measured in the same run: the same scan
one port after another (on 8 ports, scaled to all), and a polling reader (a sweep every 0.5 s
without +CMTI, what simple gateways do).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simbox.emulator.control import adeliver_sms  # noqa: E402
from simbox.pool import Pool, PoolOptions, scan  # noqa: E402

PROFILES = "sim800,m35,ec25,sim7600,huawei,wavecom"


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def bench_scan(paths: list[str], runs: int, subset: int = 8) -> tuple[list[float], float, int]:
    opts = PoolOptions(probe_timeout=2.0, use_ussd_for_number=False)
    times, ok = [], 0
    for _ in range(runs):
        t0 = time.perf_counter()
        reports = await scan(paths, opts)
        times.append(time.perf_counter() - t0)
        ok = sum(r.status == "ok" for r in reports)
    t0 = time.perf_counter()
    for p in paths[:subset]:  # baseline: one port after another, scaled to the whole pool
        await scan([p], opts)
    return times, (time.perf_counter() - t0) * len(paths) / min(subset, len(paths)), ok


async def bench_codes(paths: list[str], numbers: list[str], sock: str, n: int, polling: bool) -> list[float]:
    opts = PoolOptions(
        probe_timeout=2.0,
        use_ussd_for_number=False,
        watchdog_interval=None,
        sweep_interval=0.5 if polling else None,
        indications=not polling,
    )
    pool = Pool(paths, opts)
    await pool.start()
    lat: list[float] = []
    rnd = random.Random(1)
    try:
        for i in range(n):
            num = rnd.choice(numbers)
            code = f"{rnd.randrange(10000, 99999)}"
            text = f"Telegram code: {code}" if i % 2 else f"Код подтверждения Telegram: {code}. Никому не сообщайте."
            since = time.time()
            waiter = asyncio.create_task(pool.wait_code(num, timeout=10, since=since))
            resp = await adeliver_sms(sock, num, text)
            msg = await waiter
            got = time.time()
            assert msg.login_code == code, (msg.text, code)
            lat.append(got - resp["at"])  # from the emulator's +CMTI (taken just before it wrote it)
            await msg.ack()
    finally:
        await pool.stop()
    return lat


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--ports", type=int, default=64)
    ap.add_argument("--messages", type=int, default=40)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--latency", type=float, default=0.02, help="seconds per modem answer")
    args = ap.parse_args()
    work = tempfile.mkdtemp(prefix="simbox-bench-")
    sock = os.path.join(work, "ctl.sock")
    proc = subprocess.Popen(
        [sys.executable, "-m", "simbox", "emulate", "--ports", str(args.ports), "--profile", PROFILES,
         "--control", sock, "--workdir", os.path.join(work, "pool"), "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert proc.stdout is not None
        manifest = json.loads(proc.stdout.readline())
        paths = [p["path"] for p in manifest["ports"]]
        numbers = [p["sim"]["msisdn"] for p in manifest["ports"] if p["sim"]]
        scan_times, sequential, ok = asyncio.run(bench_scan(paths, args.runs))
        fast = asyncio.run(bench_codes(paths, numbers, sock, args.messages, polling=False))
        slow = asyncio.run(bench_codes(paths, numbers, sock, max(10, args.messages // 4), polling=True))
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    best, med = min(scan_times), statistics.median(scan_times)
    print(f"emulated pool: {args.ports} ports ({PROFILES}), {args.latency * 1000:.0f} ms per modem answer, "
          f"emulator in its own process; {os.cpu_count()} CPUs")
    print(f"{'measure':44} {'value':>10} {'baseline':>10} {'ratio':>8}  goal")
    print(f"{'scan ' + str(args.ports) + ' ports, concurrent (median of ' + str(args.runs) + ')':44} "
          f"{med:9.3f}s {sequential:9.3f}s {sequential / med:7.1f}x  <= 3 s: {'PASS' if med <= 3 else 'FAIL'}"
          f"   ({ok}/{args.ports} ok, best {best:.3f}s; baseline: one port after another, 8 ports scaled)")
    p50, p95, worst = pct(fast, 0.5), pct(fast, 0.95), max(fast)
    b50 = pct(slow, 0.5)
    print(f"{'+CMTI -> code handed over, p50':44} {p50 * 1000:8.1f}ms {b50 * 1000:8.1f}ms {b50 / p50:7.1f}x"
          f"  <= 500 ms: {'PASS' if worst <= 0.5 else 'FAIL'}   (baseline: 0.5 s polling sweep, no +CMTI)")
    print(f"{'+CMTI -> code handed over, p95 / max':44} {p95 * 1000:8.1f}ms {worst * 1000:8.1f}ms"
          f"           ({len(fast)} codes, mixed GSM7/UCS2 multipart)")
    return 0 if med <= 3 and worst <= 0.5 else 1


if __name__ == "__main__":
    sys.exit(main())
