"""`prokai nlp evaluate`: the transformer against both baselines, written as the model card.

Quality figures are computed on fixed data (generated test split with the training seed, and the
committed hand-written held-out cases) with fixed thread counts, so they reproduce exactly;
latency figures depend on the machine and are kept in a separate section of `metrics.json`.
"""

from __future__ import annotations

import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from prokai.nlp.baselines import TfidfBaseline, keyword_intent, keyword_shop
from prokai.nlp.datagen import DEFAULT_SEED, Example, build_datasets, heldout
from prokai.nlp.infer import Classifier
from prokai.nlp.labels import INTENT_LABELS, LANGS, NOT_SHOP, SHOP
from prokai.nlp.model_card import render_card

METHODS = ("transformer", "tfidf_lr", "keywords")
GOALS = {  # issue 20's goals
    "shop_f1": 0.97,
    "shop_f1_per_lang": 0.95,  # each of ru, kk, mixed
    "shop_specificity_misleading": 0.95,  # the hard negatives: share of not_shop texts kept not_shop
    "shop_margin_over_tfidf": 0.02,
    "intent_macro_f1": 0.96,
    "p50_ms": 10.0,
    "batched_msgs_per_s": 300.0,
}


def _r(x: float) -> float:
    return round(float(x), 4)


def binary_prf(gold: Sequence[str], pred: Sequence[str], positive: str = SHOP) -> dict[str, float]:
    """Precision, recall, F1 of `positive`, accuracy and count."""
    tp = sum(g == positive and p == positive for g, p in zip(gold, pred, strict=True))
    fp = sum(g != positive and p == positive for g, p in zip(gold, pred, strict=True))
    fn = sum(g == positive and p != positive for g, p in zip(gold, pred, strict=True))
    prec = tp / (tp + fp) if tp + fp else 0.0
    rec = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    return {"precision": _r(prec), "recall": _r(rec), "f1": _r(f1), "accuracy": _r(acc), "n": len(gold)}


def macro_prf(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    """Macro precision/recall/F1 over the labels present in `gold`, plus per-label F1."""
    per: dict[str, dict[str, float]] = {}
    for label in labels:
        if label in gold:
            per[label] = binary_prf(gold, pred, label)
    n = len(per) or 1
    acc = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    return {
        "precision": _r(sum(v["precision"] for v in per.values()) / n),
        "recall": _r(sum(v["recall"] for v in per.values()) / n),
        "f1": _r(sum(v["f1"] for v in per.values()) / n),
        "accuracy": _r(acc),
        "n": len(gold),
        "per_label_f1": {k: v["f1"] for k, v in per.items()},
    }


def _slices(items: list[Example]) -> dict[str, list[int]]:
    out = {"all": list(range(len(items)))}
    for lang in LANGS:
        out[lang] = [i for i, e in enumerate(items) if e.lang == lang]
    return out


def _score_task(task: str, items: list[Example], preds: dict[str, list[str]]) -> dict[str, Any]:
    gold = [e.label for e in items]
    result: dict[str, Any] = {}
    for method, pred in preds.items():
        per_slice = {}
        for name, idx in _slices(items).items():
            g, p = [gold[i] for i in idx], [pred[i] for i in idx]
            per_slice[name] = binary_prf(g, p) if task == "shop" else macro_prf(g, p, INTENT_LABELS)
        if task == "shop":
            neg = [i for i, e in enumerate(items) if e.label == NOT_SHOP]
            fp = sum(pred[i] == SHOP for i in neg)
            per_slice["hard_negatives"] = {
                "n": len(neg),
                "false_positives": fp,
                "specificity": _r(1 - fp / len(neg)) if neg else 0.0,
                "by_kind": _by_kind(items, pred, neg),
            }
        result[method] = per_slice
    return result


def _by_kind(items: list[Example], pred: list[str], neg: list[int]) -> dict[str, dict[str, int]]:
    kinds: dict[str, dict[str, int]] = {}
    for i in neg:
        slot = kinds.setdefault(items[i].kind or "other", {"n": 0, "false_positives": 0})
        slot["n"] += 1
        slot["false_positives"] += int(pred[i] == SHOP)
    return dict(sorted(kinds.items()))


def _by_set(task: str, items: list[Example], preds: dict[str, list[str]]) -> dict[str, Any]:
    """Each held-out set's F1 per method (sets are written at different times, see the data card)."""
    out: dict[str, Any] = {}
    for name in dict.fromkeys(e.source for e in items):
        idx = [i for i, e in enumerate(items) if e.source == name]
        sub = [items[i] for i in idx]
        out[name] = _score_task(task, sub, {method: [pred[i] for i in idx] for method, pred in preds.items()})
    return out


def _latency(clf: Classifier, texts: list[str]) -> dict[str, Any]:
    import torch

    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        clf.classify(texts[:5])  # warm-up
        singles = []
        for text in texts[:200]:
            t0 = time.perf_counter()
            clf.shop_scores([text])
            singles.append((time.perf_counter() - t0) * 1000)
        singles.sort()
        torch.set_num_threads(2)
        batch = (texts * (1 + 1000 // max(1, len(texts))))[:1000]
        clf.shop_scores(batch[:64])
        t0 = time.perf_counter()
        clf.shop_scores(batch)
        shop_rate = len(batch) / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        clf.classify(batch)
        both_rate = len(batch) / (time.perf_counter() - t0)
    finally:
        torch.set_num_threads(before)
    return {
        "single_thread_p50_ms": round(statistics.median(singles), 2),
        "single_thread_p99_ms": round(singles[min(len(singles) - 1, int(len(singles) * 0.99))], 2),
        "batched_2_threads_shop_msgs_per_s": round(shop_rate, 1),
        "batched_2_threads_shop_and_intent_msgs_per_s": round(both_rate, 1),
        "batch_size": clf.batch_size,
        "messages": len(singles),
    }


def _calibration(clf: Classifier, items: list[Example]) -> dict[str, Any]:
    """Reliability of the shop scores on `items`, before and after the model's temperature."""
    from prokai.nlp.calibrate import reliability

    margins = clf.shop_margins([e.text for e in items])
    gold = [e.label == SHOP for e in items]
    t = clf.shop_temperature

    def scores(temp: float) -> list[float]:
        return [1 / (1 + math.exp(-max(-60.0, min(60.0, m / temp)))) for m in margins]

    return {"temperature": t, "heldout_raw": reliability(scores(1.0), gold), "heldout": reliability(scores(t), gold)}


@dataclass
class EvalResult:
    """What `evaluate` computed, and where it wrote it."""

    metrics: dict[str, Any]
    card: Path
    metrics_path: Path

    def summary(self) -> str:
        """A few lines for the terminal."""
        q = self.metrics["quality"]
        lines = []
        for task in ("shop", "intent"):
            for split in ("test", "dev", "heldout"):
                row = ", ".join(f"{m} {q[task][split][m]['all']['f1']:.3f}" for m in METHODS)
                lines.append(f"{task} {split} F1: {row}")
        lat = self.metrics.get("latency")
        if lat:
            lines.append(
                f"latency p50 {lat['single_thread_p50_ms']} ms, p99 {lat['single_thread_p99_ms']} ms, "
                f"batched {lat['batched_2_threads_shop_msgs_per_s']} msgs/s"
            )
        lines.append(f"wrote {self.card} and {self.metrics_path}")
        return "\n".join(lines)


def evaluate(model_dir: Path, card_path: Path, metrics_path: Path, latency: bool = True) -> EvalResult:
    """Evaluate the shipped models and the baselines; write the card and metrics JSON."""
    import torch

    torch.set_num_threads(2)
    clf = Classifier(model_dir, batch_size=32, shop_threshold=0.5)
    datasets = build_datasets(DEFAULT_SEED)
    quality: dict[str, Any] = {}
    for task in ("shop", "intent"):
        ds = datasets[task]
        tfidf = TfidfBaseline(ds.labels).fit([e.text for e in ds.train], [e.label for e in ds.train])
        quality[task] = {}
        held = heldout(task)
        for split, items in (("test", ds.test), ("dev", ds.dev), ("heldout", held)):
            texts = [e.text for e in items]
            if task == "shop":
                preds = {
                    "transformer": [SHOP if s >= 0.5 else NOT_SHOP for s in clf.shop_scores(texts)],
                    "tfidf_lr": tfidf.predict(texts),
                    "keywords": [SHOP if s >= 0.5 else NOT_SHOP for s in keyword_shop(texts)],
                }
            else:
                preds = {
                    "transformer": [r.label for r in clf.intents(texts)],
                    "tfidf_lr": tfidf.predict(texts),
                    "keywords": keyword_intent(texts),
                }
            quality[task][split] = _score_task(task, items, preds)
            if split == "heldout":
                quality[task]["heldout_sets"] = _by_set(task, items, preds)
                quality[task]["heldout_errors"] = [
                    {"text": e.text, "gold": e.label, "pred": p, "lang": e.lang}
                    for e, p in zip(items, preds["transformer"], strict=True)
                    if p != e.label
                ]
    quality["shop"]["calibration"] = _calibration(clf, heldout("shop"))
    metrics: dict[str, Any] = {"seed": DEFAULT_SEED, "quality": quality}
    training = model_dir / "training.json"
    if training.is_file():
        metrics["training"] = json.loads(training.read_text(encoding="utf-8"))
    metrics["size_bytes"] = sum(
        p.stat().st_size for p in model_dir.rglob("*") if p.is_file() and p.parent != model_dir
    )
    if latency:
        lat_texts = [e.text for e in heldout("shop")] + [e.text for e in heldout("intent")]
        metrics["latency"] = _latency(clf, lat_texts)
    metrics_path.parent.mkdir(parents=True, exist_ok=True)
    metrics_path.write_text(json.dumps(metrics, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    card_path.write_text(render_card(metrics, GOALS), encoding="utf-8")
    return EvalResult(metrics, card_path, metrics_path)
