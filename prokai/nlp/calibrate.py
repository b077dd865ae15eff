"""Calibrated shop scores: temperature scaling fitted on the development split, and reliability tables.

The crawler and `prokai classify` threshold the shop score, and prosecutors read it, so a score of
0.8 should mean "about 8 in 10 such texts come from shops". A small encoder trained with
cross-entropy on noisy, repeated lines is over-confident; one temperature `T` (the shop logit
margin divided by `T` before the sigmoid) fitted by likelihood on the hand-written development
split fixes most of that. Dividing by `T` keeps every decision at the 0.5 threshold (the margin's
sign does not change), so calibration changes what scores mean, never which side of 0.5 a text is.

`shop/calibration.json` holds `T`; `Classifier` applies it when the file is there.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

CALIBRATION_FILE = "calibration.json"


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def nll(margins: Sequence[float], gold: Sequence[bool], temperature: float) -> float:
    """Mean negative log-likelihood of `gold` (True = shop) under sigmoid(margin / T)."""
    eps = 1e-12
    total = 0.0
    for m, y in zip(margins, gold, strict=True):
        p = _sigmoid(m / temperature)
        total -= math.log(max(eps, p if y else 1.0 - p))
    return total / max(1, len(margins))


def fit_temperature(margins: Sequence[float], gold: Sequence[bool]) -> float:
    """The temperature in [0.05, 50] (log-spaced grid, then a finer grid) with the lowest NLL."""
    if not margins:
        return 1.0

    def best(lo: float, hi: float, n: int) -> float:
        grid = [math.exp(math.log(lo) + (math.log(hi) - math.log(lo)) * i / (n - 1)) for i in range(n)]
        return min(grid, key=lambda t: nll(margins, gold, t))

    coarse = best(0.05, 50.0, 120)
    return round(best(coarse / 1.1, coarse * 1.1, 41), 4)


def reliability(scores: Sequence[float], gold: Sequence[bool], bins: int = 10) -> dict[str, Any]:
    """Equal-width reliability table and expected calibration error (ECE) of `scores`."""
    rows: list[dict[str, Any]] = []
    ece = 0.0
    n = len(scores)
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        idx = [i for i, s in enumerate(scores) if lo <= s < hi or (b == bins - 1 and s == 1.0)]
        if not idx:
            rows.append({"lo": lo, "hi": hi, "n": 0, "mean_score": None, "shop_share": None})
            continue
        mean = sum(scores[i] for i in idx) / len(idx)
        share = sum(1 for i in idx if gold[i]) / len(idx)
        ece += len(idx) / max(1, n) * abs(mean - share)
        rows.append({"lo": lo, "hi": hi, "n": len(idx), "mean_score": round(mean, 3), "shop_share": round(share, 3)})
    return {"ece": round(ece, 4), "n": n, "bins": rows}


def read_temperature(model_folder: Path) -> float:
    """The fitted temperature of a model folder (1.0 when it has none)."""
    path = model_folder / CALIBRATION_FILE
    if not path.is_file():
        return 1.0
    value = float(json.loads(path.read_text(encoding="utf-8"))["temperature"])
    if not 0.01 <= value <= 100:
        raise ValueError(f"{path}: temperature {value} out of range")
    return value


def write_temperature(model_folder: Path, temperature: float, fitted_on: str, n: int, before: float, after: float) -> Path:
    """Store the temperature with what it was fitted on and the NLL it gave."""
    path = model_folder / CALIBRATION_FILE
    record = {
        "temperature": temperature,
        "fitted_on": fitted_on,
        "examples": n,
        "nll_before": round(before, 4),
        "nll_after": round(after, 4),
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def calibrate_shop_model(model_dir: Path) -> dict[str, Any]:
    """Fit the shop model's temperature on the development split and write `shop/calibration.json`."""
    from prokai.nlp.datagen import DEFAULT_SEED, build_datasets
    from prokai.nlp.infer import Classifier
    from prokai.nlp.labels import SHOP

    clf = Classifier(model_dir, calibrated=False)
    dev = build_datasets(DEFAULT_SEED)["shop"].dev
    margins = clf.shop_margins([e.text for e in dev])
    gold = [e.label == SHOP for e in dev]
    t = fit_temperature(margins, gold)
    before, after = nll(margins, gold, 1.0), nll(margins, gold, t)
    write_temperature(model_dir / "shop", t, "dev split (hand-written, never trained on)", len(dev), before, after)
    return {"temperature": t, "examples": len(dev), "nll_before": before, "nll_after": after}
