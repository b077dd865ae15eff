"""`prokai nlp evaluate` reproduces the committed model card's quality figures exactly."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from prokai.cli import app

from .conftest import MODELS


def test_evaluate_reproduces_committed_metrics(tmp_path) -> None:  # type: ignore[no-untyped-def]
    committed = json.loads((MODELS / "metrics.json").read_text(encoding="utf-8"))
    card = tmp_path / "CARD.md"
    metrics = tmp_path / "metrics.json"
    result = CliRunner().invoke(
        app,
        [
            "nlp",
            "evaluate",
            "--model-dir",
            str(MODELS),
            "--card",
            str(card),
            "--metrics",
            str(metrics),
            "--no-latency",
        ],
    )
    assert result.exit_code == 0, result.output
    fresh = json.loads(metrics.read_text(encoding="utf-8"))
    assert fresh["quality"] == committed["quality"]
    # The committed card shows these figures: every quality row of the fresh card is in it.
    shipped_card = (MODELS / "MODEL_CARD.md").read_text(encoding="utf-8")
    rows = [line for line in card.read_text(encoding="utf-8").splitlines() if line.startswith("| ")]
    rows = [r for r in rows if "latency" not in r and "msgs/s" not in r]
    assert rows and all(r in shipped_card for r in rows)
