"""Calibrated shop scores: the temperature fit, the reliability table, and the shipped model."""

from __future__ import annotations

import math
import random

from prokai.nlp.calibrate import fit_temperature, nll, read_temperature, reliability
from prokai.nlp.datagen import heldout
from prokai.nlp.infer import Classifier
from prokai.nlp.labels import SHOP

from .conftest import MODELS


def test_fit_recovers_the_temperature_that_made_over_confident_margins() -> None:
    rng = random.Random(7)
    true_logits = [rng.gauss(0, 2.0) for _ in range(4000)]
    gold = [rng.random() < 1 / (1 + math.exp(-z)) for z in true_logits]
    margins = [3.0 * z for z in true_logits]  # a model three times too sure of itself
    t = fit_temperature(margins, gold)
    assert 2.6 < t < 3.4
    assert nll(margins, gold, t) < nll(margins, gold, 1.0)


def test_reliability_table_counts_and_ece() -> None:
    table = reliability([0.05, 0.15, 0.95, 0.95, 1.0], [False, True, True, True, False], bins=10)
    assert [b["n"] for b in table["bins"]] == [1, 1, 0, 0, 0, 0, 0, 0, 0, 3]
    assert table["bins"][9]["shop_share"] == round(2 / 3, 3)
    # |0.05-0| + |0.15-1| + 3 * |0.9667-0.6667|, over 5 texts
    assert abs(table["ece"] - (0.05 + 0.85 + 3 * (2.9 / 3 - 2 / 3)) / 5) < 1e-3


def test_shipped_calibration_keeps_every_decision_and_lowers_heldout_error() -> None:
    """Dividing the margin by T never moves a text across 0.5, and the held-out cases (never used
    to fit T) are better calibrated with it than without."""
    assert read_temperature(MODELS / "shop") != 1.0
    cases = heldout("shop")
    texts = [e.text for e in cases]
    gold = [e.label == SHOP for e in cases]
    raw = Classifier(MODELS, calibrated=False).shop_scores(texts)
    cal = Classifier(MODELS).shop_scores(texts)
    assert [s >= 0.5 for s in raw] == [s >= 0.5 for s in cal]
    assert reliability(cal, gold)["ece"] < reliability(raw, gold)["ece"]
