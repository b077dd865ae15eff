"""Benchmark: shop/intent transformer vs the char TF-IDF + LR baseline, measured in the same run.

    .venv/bin/python bench/nlp.py [--model-dir models] [--messages 2000]

Prints messages/s (batched, 2 threads) and p50/p99 latency of one message on one thread for the
transformer (shop only, and shop + intent) and for the TF-IDF baseline, with ratios, and checks
the issue's goals (p50 <= 10 ms, >= 300 msgs/s batched).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def _percentile(sorted_ms: list[float], q: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(len(sorted_ms) * q))]


def _single(fn: Callable[[Sequence[str]], object], texts: list[str]) -> tuple[float, float]:
    fn(texts[:3])
    times = []
    for text in texts:
        t0 = time.perf_counter()
        fn([text])
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    return statistics.median(times), _percentile(times, 0.99)


def _batched(fn: Callable[[Sequence[str]], object], texts: list[str]) -> float:
    fn(texts[:64])
    t0 = time.perf_counter()
    fn(texts)
    return len(texts) / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, default=REPO / "models")
    parser.add_argument("--messages", type=int, default=2000, help="messages in the batched run")
    parser.add_argument("--singles", type=int, default=300, help="messages timed one at a time")
    args = parser.parse_args(argv)

    import torch

    from prokai.nlp.baselines import TfidfBaseline
    from prokai.nlp.datagen import DEFAULT_SEED, build_datasets, heldout
    from prokai.nlp.infer import Classifier

    ds = build_datasets(DEFAULT_SEED)
    pool = [e.text for e in heldout("shop")] + [e.text for e in heldout("intent")]
    pool += [e.text for e in ds["shop"].test] + [e.text for e in ds["intent"].test]
    batch = (pool * (1 + args.messages // len(pool)))[: args.messages]
    singles = pool[: args.singles]

    clf = Classifier(args.model_dir)
    t0 = time.perf_counter()
    tfidf = TfidfBaseline(ds["shop"].labels).fit(
        [e.text for e in ds["shop"].train], [e.label for e in ds["shop"].train]
    )
    fit_s = time.perf_counter() - t0

    rows = []
    for name, fn in (
        ("transformer shop", clf.shop_scores),
        ("transformer shop+intent", lambda t: clf.classify(t)),
        ("tfidf+LR shop (baseline)", tfidf.shop_scores),
    ):
        torch.set_num_threads(1)
        p50, p99 = _single(fn, singles)
        torch.set_num_threads(2)
        rate = _batched(fn, batch)
        rows.append((name, p50, p99, rate))

    base = rows[-1]
    print(
        f"nlp bench: {len(singles)} single messages (1 thread), {len(batch)} batched (2 threads, batch {clf.batch_size})"
    )
    print(f"TF-IDF baseline fitted on {len(ds['shop'].train)} texts in {fit_s:.1f}s")
    print(f"{'method':<28}{'p50 ms':>9}{'p99 ms':>9}{'msgs/s':>10}{'p50 vs base':>13}{'msgs/s vs base':>16}")
    for name, p50, p99, rate in rows:
        print(f"{name:<28}{p50:>9.2f}{p99:>9.2f}{rate:>10.0f}{p50 / base[1]:>12.1f}x{rate / base[3]:>15.2f}x")
    shop = rows[0]
    print(f"goal p50 <= 10 ms (shop, 1 thread): {'met' if shop[1] <= 10 else 'MISSED'} ({shop[1]:.2f} ms)")
    print(
        f"goal >= 300 msgs/s batched (shop, 2 threads): {'met' if shop[3] >= 300 else 'MISSED'} ({shop[3]:.0f})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
