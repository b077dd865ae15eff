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


def test_tiny_pretraining_on_a_corpus_reaches_both_architectures(tmp_path, no_network) -> None:  # type: ignore[no-untyped-def]
    """Both encoders (BERT for shop, ModernBERT for intents) start from their own pre-trained
    weights; before, the intent model silently loaded none of a BERT encoder's keys."""
    corpus = tmp_path / "corpus.txt"
    corpus.write_text(
        "\n".join(["Указать размер шрифта", "Сілтемені қолдану", "Бас тарту", "Пусть сапожник судит не выше сапога."] * 20)
        + "\n",
        encoding="utf-8",
    )
    out = tmp_path / "models"
    args = ["nlp", "train", "--tiny", "--epochs", "1", "--out", str(out), "--threads", "1"]
    args += ["--pretrain-corpus", str(corpus), "--pretrain-task", "shop", "--pretrain-task", "intent"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    report = json.loads((out / "training.json").read_text(encoding="utf-8"))
    assert report["pretrain_texts"]["corpus"] == 4  # deduplicated lines of the file
    assert all(report["tasks"][t]["pretrained_encoder"] for t in ("shop", "intent"))
    assert "pretrain bert" in result.output and "pretrain modernbert" in result.output


def test_missing_pretrain_corpus_is_a_one_line_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["nlp", "train", "--tiny", "--pretrain-corpus", str(tmp_path / "nope.txt")])
    assert result.exit_code != 0
    assert "no such file" in result.output and "Traceback" not in result.output
