"""Every captcha kind the sandbox draws (with real generators: the `captcha` library's
ImageCaptcha for images) answered by the crawler's solvers, plus prompts written the way other
constructors word them, and the per-bot memory that keeps a failing method from being repeated."""

from __future__ import annotations

import random

import pytest

from prokai.crawl.captcha import CaptchaMemory, candidates, solve, solve_image_dddd
from prokai.intake.buttons import Button, ButtonKind
from prokai.sandbox.shops.captcha import library_image, make
from prokai.sandbox.shops.spec import CaptchaSpec


def _buttons(choices: tuple[str, ...], reply: bool) -> list[Button]:
    kind = ButtonKind.REPLY if reply else ButtonKind.CALLBACK
    return [Button(c, kind, i // 4, i % 4, data=None if reply else f"cap:{i}".encode()) for i, c in enumerate(choices)]


@pytest.mark.parametrize("lang", ["ru", "kk"])
@pytest.mark.parametrize(
    "spec",
    [
        {"kind": "arithmetic"},
        {"kind": "arithmetic", "words": True},
        {"kind": "arithmetic", "ops": "*"},
        {"kind": "arithmetic", "words": True, "ops": "+-*"},
        {"kind": "press", "choices": ["🍎", "🍌", "🍒", "🍇"]},
        {"kind": "color", "show": 3},
        {"kind": "color", "show": 5, "keyboard": "reply"},
        {"kind": "shape"},
        {"kind": "number", "show": 6},
        {"kind": "letter", "keyboard": "reply"},
        {"kind": "checkbox"},
    ],
    ids=lambda s: "-".join(str(v) for v in s.values()),
)
def test_sandbox_captchas_are_solved(spec: dict[str, object], lang: str) -> None:
    cap = CaptchaSpec(**spec)  # type: ignore[arg-type]
    rng = random.Random(5)
    for _ in range(15):
        challenge = make(cap, lang, rng)
        buttons = _buttons(challenge.choices, challenge.keyboard == "reply")
        solution = solve(challenge.prompt, buttons)
        assert solution is not None, challenge.prompt
        answer = solution.button.text if solution.button is not None else solution.answer
        assert challenge.check(answer), (challenge.prompt, answer, challenge.answer)


@pytest.mark.parametrize(
    ("prompt", "labels", "answer"),
    [
        ("Нажмите на зелёный квадрат", ["🟥", "🟩", "🟢", "🟦"], "🟩"),
        ("Press the blue circle", ["🔴", "🔵", "🟦"], "🔵"),
        ("Көк жүректі басыңыз", ["❤️", "💙", "💚"], "💙"),
        ("Выберите на клавиатуре ниже: Z", ["A", "K", "Z", "M"], "Z"),
        ("Нажмите семь", [str(i) for i in range(1, 10)], "7"),
        ("I am not a bot", ["✅ I'm not a robot"], "✅ I'm not a robot"),
        ("Сколько будет 9 − 4?", ["3", "5", "6"], "5"),
        ("Решите: 6 × 7 = ?", [], "42"),
        ("Сколько будет двадцать три плюс пять?", [], "28"),
        ("What is twelve minus seven?", [], "5"),
        ("Он екі қосу бес неше болады?", [], "17"),
    ],
)
def test_prompts_worded_otherwise(prompt: str, labels: list[str], answer: str) -> None:
    solution = solve(prompt, _buttons(tuple(labels), False))
    assert solution is not None
    assert (solution.button.text if solution.button else solution.answer) == answer


def test_library_images_are_read_by_ddddocr() -> None:
    rng = random.Random(3)
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"
    right = 0
    for _ in range(20):
        text = "".join(rng.choice(alphabet) for _ in range(rng.choice((4, 5, 6))))
        image = library_image(text, rng)
        assert image.data[:4] == b"\x89PNG" and image.width >= 160
        sol = solve_image_dddd(image.data)
        right += sol is not None and sol.answer == text
    assert right >= 5, f"ddddocr read {right}/20 ImageCaptcha pictures exactly"


def test_image_captcha_candidates_fall_back_to_tesseract() -> None:
    methods = [m for m, _ in candidates("Введите символы с картинки", [], b"\x89PNG...")]
    assert methods == ["image-crnn", "image-ddddocr-vote", "image-ddddocr", "image-ddddocr-beta", "image-tesseract"]


def test_a_method_that_failed_at_a_bot_is_not_tried_first_again() -> None:
    memory = CaptchaMemory()
    cands = candidates("Введите символы с картинки", [], b"not an image")
    tried: list[str] = []
    wrapped = [(m, (lambda m=m: tried.append(m))) for m, _ in cands]  # record the order, answer nothing
    memory.failed("bot1", "image-ddddocr")
    memory.pick("bot1", wrapped)  # type: ignore[arg-type]
    assert tried[0] == "image-crnn" and tried[-1] == "image-ddddocr"
    memory.failed("bot1", "image-crnn")
    tried.clear()
    memory.pick("bot1", wrapped)  # type: ignore[arg-type]
    assert tried[0] == "image-ddddocr-vote"
    tried.clear()
    memory.pick("bot2", wrapped)  # type: ignore[arg-type]
    assert tried[0] == "image-crnn"
