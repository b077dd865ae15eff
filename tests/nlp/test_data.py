"""The data generator is deterministic, fills every template, and keeps held-out cases out of training."""

from __future__ import annotations

import random
from dataclasses import replace
from pathlib import Path

import pytest

from prokai.nlp.datagen import DataSizes, build_datasets, fill, heldout, read_tsv, text_key
from prokai.nlp.labels import INTENT_LABELS, LANGS, NOT_SHOP, SHOP, TEMPLATE_LANGS
from prokai.nlp.templates_intent import INTENT_TEMPLATES
from prokai.nlp.templates_shop import SHOP_NEGATIVE, SHOP_POSITIVE

SMALL = DataSizes(shop_train=400, shop_eval=80, intent_train_per_label=30, intent_eval_per_label=6)


def test_same_seed_same_data_other_seed_other_data() -> None:
    a = build_datasets(7, SMALL)
    b = build_datasets(7, SMALL)
    c = build_datasets(8, SMALL)
    assert [e.text for e in a["shop"].train] == [e.text for e in b["shop"].train]
    assert [e.text for e in a["intent"].test] == [e.text for e in b["intent"].test]
    assert [e.text for e in a["shop"].train] != [e.text for e in c["shop"].train]


def test_every_template_fills_without_leftover_slots() -> None:
    rng = random.Random(1)
    templates = [t for _, t in SHOP_POSITIVE] + [t for _, _, t in SHOP_NEGATIVE]
    templates += [t for items in INTENT_TEMPLATES.values() for _, t in items]
    for template in templates:
        text = fill(template, rng)
        assert "{" not in text and "}" not in text, template


def test_every_intent_and_language_has_templates() -> None:
    assert set(INTENT_TEMPLATES) == set(INTENT_LABELS)
    for label, items in INTENT_TEMPLATES.items():
        assert {lang for lang, _ in items} == set(TEMPLATE_LANGS), label


def test_heldout_is_never_in_training_and_covers_every_class() -> None:
    ds = build_datasets(7, SMALL)
    for task in ("shop", "intent"):
        train = {text_key(e.text) for e in ds[task].train}
        held = heldout(task)
        assert held, task
        assert not [e.text for e in held if text_key(e.text) in train]
        assert {e.label for e in held} == set(ds[task].labels)
        # Shop held-out sets cover English too; intents are held out in the template languages.
        assert {e.lang for e in held} == set(LANGS if task == "shop" else TEMPLATE_LANGS)
    kinds = {e.kind for e in heldout("shop") if e.label == NOT_SHOP}
    assert {"news", "antidrug", "legit", "bank", "crypto", "garden", "chem", "cosm", "music"} <= kinds
    assert any(e.label == SHOP and e.lang == "kk" for e in heldout("shop"))


def test_bad_tsv_line_is_reported_with_its_line_number(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("# comment\nshop\tru\tx\tok text\nshop\tfr\tx\tbad language\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.tsv:3:"):
        read_tsv(path, "test")


def test_dev_split_is_hand_written_never_trained_on_and_stable() -> None:
    from prokai.nlp.datagen import handwritten, is_dev

    ds = build_datasets(7, SMALL)
    for task in ("shop", "intent"):
        dev = ds[task].dev
        train = {text_key(e.text) for e in ds[task].train}
        assert dev and all(e.source == "handwritten" for e in dev)
        assert not [e.text for e in dev if text_key(e.text) in train]
        assert {e.label for e in dev} == set(ds[task].labels)  # every class can be selected on
        # Membership depends on the text alone (another seed or more lines never move a case);
        # only a case that a template happens to produce too is dropped.
        hand = handwritten(task)
        chosen = [e.text for e in hand if is_dev(e)]
        assert 0.10 < len(chosen) / len(hand) < 0.20
        assert {e.text for e in dev} <= set(chosen) and len(dev) > 0.9 * len(chosen)
        other = build_datasets(8, SMALL)[task].dev
        assert {e.text for e in other} <= set(chosen) and len(other) > 0.9 * len(chosen)


def test_heldout_sets_are_named_by_their_file() -> None:
    for task in ("shop", "intent"):
        sets = {e.source for e in heldout(task)}
        assert {"heldout", "heldout2"} <= sets, task


def test_hand_written_lines_are_trained_as_written_noisy_and_as_harder_copies() -> None:
    plain = build_datasets(7, replace(SMALL, handwritten_repeat=1, handwritten_variants=0))["intent"]
    more = build_datasets(7, replace(SMALL, handwritten_repeat=2, handwritten_variants=2))["intent"]
    hand = [e for e in plain.train if e.source == "handwritten"]
    hand_more = [e for e in more.train if e.source == "handwritten"]
    # Every line once as written, once more (noisy or not), then two harder copies; a copy can
    # only be lost by coinciding with a held-out text.
    assert 3.9 * len(hand) <= len(hand_more) <= 4 * len(hand)
    written = {e.text for e in hand}
    assert written <= {e.text for e in hand_more}
    changed = [e for e in hand_more if e.text not in written]
    assert len(changed) > len(hand)  # the harder copies differ from what was written
