"""The crawler card keeps the sections written into it by hand when its figures are rendered again."""

from __future__ import annotations

from pathlib import Path

from prokai.crawl.card import render, write_card


def test_hand_written_sections_survive_a_render(tmp_path: Path) -> None:
    card = tmp_path / "CARD.md"
    metrics = {"image_captchas": {"count": 2, "seed": 1, "fonts": ["a.ttf"], "tesseract_sample": 1,
                                  "exact": {"crnn": 1.0}, "ms_per_image": {"crnn": 3.0}, "exact_first_solver": 1.0,
                                  "heldout_fonts": {"X Bold": {"file": "x.ttf", "count": 2, "seed": 13, "crnn": 0.5,
                                                               "ddddocr-vote": 0.5, "first_try": 0.5}}}}
    old = render({}).replace("## Goals", "## A note by hand\n\nKeep me.\n\n## Goals")
    card.write_text(old, encoding="utf-8")
    write_card(card, metrics)
    text = card.read_text(encoding="utf-8")
    assert "## A note by hand\n\nKeep me.\n\n## Goals" in text
    assert "| X Bold (x.ttf) | 2 (13) | 50.0% |" in text and "(not recorded yet)" in text
    assert text.count("## Image captchas") == 1
    write_card(card, metrics)  # a second render changes nothing
    assert card.read_text(encoding="utf-8") == text


def test_only_the_named_sections_are_replaced(tmp_path: Path) -> None:
    card = tmp_path / "CARD.md"
    old = render({}).replace("## Image captchas", "### A note inside a rendered section\n\nKeep me.\n\n## Image captchas")
    card.write_text(old, encoding="utf-8")
    write_card(card, {"image_captchas": {"count": 2, "seed": 1, "fonts": ["a.ttf"], "tesseract_sample": 1,
                                         "exact": {"crnn": 1.0}, "ms_per_image": {"crnn": 3.0},
                                         "exact_first_solver": 1.0}}, only=("## Image captchas", "## Goals"))
    text = card.read_text(encoding="utf-8")
    assert "### A note inside a rendered section\n\nKeep me.\n\n## Image captchas" in text
    assert "| crnn | 100.0% | 3.0 |" in text and "| captcha-library images read exactly >= 90 % per try | 100.0% | yes |" in text
    assert text.replace("\n", "").count("(not recorded yet)") == old.count("(not recorded yet)") - 1
