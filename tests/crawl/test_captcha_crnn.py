"""The crawler's own image-captcha reader (models/captcha/, prokai/crawl/captcha_model.py) on
fresh pictures of the real `captcha` library, the training script's scoring and card, and the
solver chain without the model."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from prokai.crawl import captcha_model, captcha_train
from prokai.crawl.captcha import solve, solve_image_crnn
from prokai.sandbox.shops.captcha import _IMAGE_ALPHABET, library_image

PROMPT = "🤖 Введите символы с картинки:"


def _pictures(count: int, seed: int, alphabet: str = _IMAGE_ALPHABET) -> list[tuple[str, bytes]]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice((4, 5, 6))))
        out.append((text, library_image(text, rng).data))
    return out


def _read_right(pictures: list[tuple[str, bytes]]) -> int:
    right = 0
    for text, data in pictures:
        reading = captcha_model.read(data)
        assert reading is not None and 0.0 <= reading[1] <= 1.0
        right += reading[0] == text
    return right


def test_the_model_alphabet_is_its_own_and_covers_what_bots_draw() -> None:
    model = captcha_model.load()
    assert model is not None, "models/captcha/ holds no model"
    assert model[1] == captcha_model.ALPHABET
    assert set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") <= set(captcha_model.ALPHABET)
    # the sandbox draws a subset: the alphabet without the look-alikes, scored on its own
    assert set(_IMAGE_ALPHABET) <= set(captcha_model.ALPHABET)
    assert captcha_train.NO_LOOKALIKES == _IMAGE_ALPHABET


def test_the_shipped_model_reads_fresh_imagecaptcha_pictures() -> None:
    pictures = _pictures(40, seed=4_040_404)  # neither a training, validation nor card seed
    right = _read_right(pictures)
    assert right >= 34, f"the CRNN read {right}/40 pictures of the sandbox alphabet exactly"
    first = [solve(PROMPT, [], data) for _, data in pictures[:10]]
    assert sum(s is not None and s.method == "image-crnn" for s in first) >= 7  # the chain asks it first


def test_the_shipped_model_reads_the_whole_alphabet() -> None:
    pictures = _pictures(40, seed=6_060_606, alphabet=captcha_model.ALPHABET)
    assert any(set(text) & set("IOQ01") for text, _ in pictures)
    right = _read_right(pictures)
    assert right >= 30, f"the CRNN read {right}/40 pictures of the whole alphabet exactly"


def test_lowercase_letters_are_read_as_uppercase() -> None:
    rng = random.Random(6_060_607)
    right = 0
    for _ in range(20):
        text = "".join(rng.choice("ABCDEFGHJKMNPRTUVWXY") for _ in range(5))
        reading = captcha_model.read(library_image(text.lower(), rng).data)
        right += reading is not None and reading[0] == text
    assert right >= 12, f"the CRNN read {right}/20 lowercase pictures exactly (case folded)"


def test_not_an_image_is_no_reading() -> None:
    assert captcha_model.read(b"not an image") is None
    assert solve_image_crnn(b"not an image") is None


def test_without_the_model_the_chain_answers_through_ddddocr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(captcha_model, "MODEL_DIR", tmp_path)
    _, data = _pictures(1, seed=5_050_505)[0]
    assert captcha_model.read(data) is None and solve_image_crnn(data) is None
    sol = solve(PROMPT, [], data)
    assert sol is not None and sol.method == "image-ddddocr-vote", sol


def test_scoring_counts_confusions_position_by_position() -> None:
    s = captcha_train.score(["AB0D", "O1", "XYZ", "AB01"], ["ABOD", "OI", "XY", "AB01"])
    assert s["exact"] == 0.25 and s["wrong_length"] == 1 and s["count"] == 4
    assert s["characters"] == 4 + 2 + 4 and s["char_errors"] == 2
    assert s["ambiguous_pairs"]["O->0"] == "1/2" and s["ambiguous_pairs"]["I->1"] == "1/1"
    assert {"true": "O", "read": "0", "count": 1, "of": 2, "rate": 0.5} in s["top_confusions"]


def test_training_sets_fold_case_and_are_kept_in_the_cache(tmp_path: Path) -> None:
    fonts, _ = captcha_train.training_fonts()
    xs, texts = captcha_train.make_set(6, 123, fonts, lower_share=1.0, cache=tmp_path)
    assert xs.shape == (6, captcha_model.HEIGHT, captcha_model.WIDTH) and all(t == t.upper() for t in texts)
    assert len(list(tmp_path.glob("set-*.npz"))) == 1
    again, texts2 = captcha_train.make_set(6, 123, fonts, lower_share=1.0, cache=tmp_path)
    assert texts2 == texts and (again == xs).all()
    _, fresh = captcha_train.make_set(6, 123, fonts, lower_share=1.0)
    assert fresh == texts  # the texts follow the seed (captcha 0.7 draws the warps with `secrets`)


def test_the_model_card_is_the_training_run_s_own() -> None:
    config = json.loads((captcha_model.MODEL_DIR / "config.json").read_text(encoding="utf-8"))
    card = (captcha_model.MODEL_DIR / "README.md").read_text(encoding="utf-8")
    assert card == captcha_train.card_text(captcha_model.MODEL_DIR)
    tests = config["figures"]["test"]
    assert {"full alphabet", "without look-alikes (sandbox alphabet)"} <= set(tests)
    assert tests["without look-alikes (sandbox alphabet)"]["exact"] >= 0.9
    assert config["alphabet"] == captcha_model.ALPHABET
