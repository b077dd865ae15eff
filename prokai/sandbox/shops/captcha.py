"""Captchas shop bots put before their menus: arithmetic (digits or words), press-the-X, images."""

from __future__ import annotations

import random
from dataclasses import dataclass

from prokai.sandbox.bots import Image
from prokai.sandbox.shops.render import captcha_image
from prokai.sandbox.shops.spec import CaptchaSpec

_RU = [
    "ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять", "десять",
    "одиннадцать", "двенадцать", "тринадцать", "четырнадцать", "пятнадцать", "шестнадцать",
    "семнадцать", "восемнадцать", "девятнадцать", "двадцать",
]
_KK = [
    "нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз", "он",
    "он бір", "он екі", "он үш", "он төрт", "он бес", "он алты", "он жеті", "он сегіз", "он тоғыз", "жиырма",
]
_OPS = {"ru": {"+": "плюс", "-": "минус"}, "kk": {"+": "қосу", "-": "алу"}}
_PROMPTS = {
    ("arithmetic", "ru"): "🤖 Проверка на робота. Сколько будет {question}? Напишите ответ числом.",
    ("arithmetic", "kk"): "🤖 Роботқа тексеру. {question} неше болады? Жауапты санмен жазыңыз.",
    ("press", "ru"): "🤖 Подтвердите, что вы человек: нажмите на {question}",
    ("press", "kk"): "🤖 Адам екеніңізді растаңыз: {question} батырмасын басыңыз",
    ("image", "ru"): "🤖 Введите символы с картинки:",
    ("image", "kk"): "🤖 Суреттегі таңбаларды енгізіңіз:",
}
_IMAGE_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"


@dataclass(frozen=True)
class Challenge:
    """One captcha shown to one buyer: the prompt, the expected answer, buttons or an image."""

    kind: str
    prompt: str
    answer: str
    choices: tuple[str, ...] = ()
    image: Image | None = None

    def check(self, reply: str) -> bool:
        """True when a typed reply (or a pressed choice) answers the captcha."""
        got = reply.strip().lower().replace(" ", "")
        return got == self.answer.lower().replace(" ", "")


def number_words(n: int, lang: str) -> str:
    """0..20 in Russian or Kazakh words."""
    return (_KK if lang == "kk" else _RU)[n]


def make(spec: CaptchaSpec, lang: str, rng: random.Random) -> Challenge:
    """A fresh challenge of the kind the spec names."""
    template = spec.prompt or _PROMPTS[(spec.kind, lang)]
    if spec.kind == "arithmetic":
        a, b = rng.randint(2, 12), rng.randint(1, 8)
        op = rng.choice("+-")
        if op == "-" and b > a:
            a, b = b, a  # shops keep answers positive
        result = a + b if op == "+" else a - b
        if spec.words:
            question = f"{number_words(a, lang)} {_OPS[lang][op]} {number_words(b, lang)}"
        else:
            question = f"{a} {op} {b}"
        return Challenge("arithmetic", template.format(question=question), str(result))
    if spec.kind == "press":
        shown = rng.sample(spec.choices, min(spec.show, len(spec.choices)))
        target = rng.choice(shown)
        return Challenge("press", template.format(question=target), target, tuple(shown))
    text = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(spec.length))
    return Challenge("image", template.format(question=""), text, image=captcha_image(text, rng.getrandbits(32)))
