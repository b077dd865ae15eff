"""The crawler's own image-captcha reader (models/captcha/, prokai/crawl/captcha_model.py) on
fresh pictures of the real `captcha` library, and the solver chain without it."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from prokai.crawl import captcha_model
from prokai.crawl.captcha import solve, solve_image_crnn
from prokai.sandbox.shops.captcha import _IMAGE_ALPHABET, library_image

PROMPT = "🤖 Введите символы с картинки:"


def _pictures(count: int, seed: int) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(rng.choice((4, 5, 6))))
        out.append((text, library_image(text, rng).data))
    return out


def test_the_shipped_model_reads_fresh_imagecaptcha_pictures() -> None:
    assert captcha_model.load() is not None, "models/captcha/ holds no model"
    pictures = _pictures(40, seed=4_040_404)  # neither a training, validation nor card seed
    right = 0
    for text, data in pictures:
        reading = captcha_model.read(data)
        assert reading is not None and 0.0 <= reading[1] <= 1.0
        right += reading[0] == text
    assert right >= 32, f"the CRNN read {right}/40 pictures exactly"
    first = [solve(PROMPT, [], data) for _, data in pictures[:10]]
    assert sum(s is not None and s.method == "image-crnn" for s in first) >= 7  # the chain asks it first


def test_not_an_image_is_no_reading() -> None:
    assert captcha_model.read(b"not an image") is None
    assert solve_image_crnn(b"not an image") is None


def test_without_the_model_the_chain_answers_through_ddddocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(captcha_model, "MODEL_DIR", tmp_path)
    _, data = _pictures(1, seed=5_050_505)[0]
    assert captcha_model.read(data) is None and solve_image_crnn(data) is None
    sol = solve(PROMPT, [], data)
    assert sol is not None and sol.method == "image-ddddocr-vote", sol
