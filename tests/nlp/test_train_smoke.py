"""`prokai nlp train --tiny` finishes quickly and produces a model the inference API loads."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from prokai.cli import app


def test_tiny_training_produces_a_loadable_model(tmp_path, no_network) -> None:  # type: ignore[no-untyped-def]
    out = tmp_path / "models"
    result = CliRunner().invoke(
        app, ["nlp", "train", "--tiny", "--epochs", "2", "--out", str(out), "--threads", "1"]
    )
    assert result.exit_code == 0, result.output
    for task in ("shop", "intent"):
        assert (out / task / "config.json").is_file()
        assert (out / task / "tokenizer.json").is_file()
    assert (out / "DATA_CARD.md").read_text(encoding="utf-8").startswith("# Data card")
    report = json.loads((out / "training.json").read_text(encoding="utf-8"))
    assert set(report["tasks"]) == {"shop", "intent"}
    for task in ("shop", "intent"):
        rec = report["tasks"][task]
        # The shipped epoch is the one that did best on the hand-written dev split (last on ties).
        scores = [h["dev_f1"] for h in rec["history"]]
        assert rec["dev_examples"] > 0 and len(scores) == 2
        assert rec["selected_epoch"] == max(i + 1 for i, f in enumerate(scores) if f == max(scores))

    from prokai.nlp.infer import Classifier

    clf = Classifier(out)
    scores = clf.shop_scores(["меф 1г клад", "новости"])
    assert len(scores) == 2 and all(0 <= s <= 1 for s in scores)
    assert len(clf.intents(["Выберите город"])) == 1
