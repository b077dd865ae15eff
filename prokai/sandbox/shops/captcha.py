"""Captchas shop bots put before their menus, drawn as real shop constructors draw them:
arithmetic (digits or words, + − ×), press the named object, colour, shape, number or letter
(inline buttons or a reply keyboard), an "I am not a robot" checkbox, and distorted-text images
rendered by the `captcha` library (ImageCaptcha, as Python shop bots use) or by the sandbox's
own classic renderer."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

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
_OPS = {"ru": {"+": "плюс", "-": "минус", "*": "умножить на"}, "kk": {"+": "қосу", "-": "алу", "*": "көбейту"}}
_SIGNS = {"+": "+", "-": "-", "*": "×"}
_PROMPTS = {
    ("arithmetic", "ru"): "🤖 Проверка на робота. Сколько будет {question}? Напишите ответ числом.",
    ("arithmetic", "kk"): "🤖 Роботқа тексеру. {question} неше болады? Жауапты санмен жазыңыз.",
    ("press", "ru"): "🤖 Подтвердите, что вы человек: нажмите на {question}",
    ("press", "kk"): "🤖 Адам екеніңізді растаңыз: {question} батырмасын басыңыз",
    ("image", "ru"): "🤖 Введите символы с картинки:",
    ("image", "kk"): "🤖 Суреттегі таңбаларды енгізіңіз:",
    ("color", "ru"): "🤖 Антиспам: нажмите на {question} кружок",
    ("color", "kk"): "🤖 Антиспам: {question} дөңгелекті басыңыз",
    ("shape", "ru"): "🤖 Проверка: выберите {question}",
    ("shape", "kk"): "🤖 Тексеру: {question} таңдаңыз",
    ("number", "ru"): "🤖 Нажмите на цифру {question}",
    ("number", "kk"): "🤖 {question} санын басыңыз",
    ("letter", "ru"): "🤖 Выберите на клавиатуре ниже букву: {question}",
    ("letter", "kk"): "🤖 Төмендегі пернетақтадан әріпті таңдаңыз: {question}",
    ("checkbox", "ru"): "🤖 Подтвердите, что вы не робот 👇",
    ("checkbox", "kk"): "🤖 Робот емес екеніңізді растаңыз 👇",
}
_IMAGE_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"
# Colour press-captchas: the circle emoji and the colour's name as the prompt says it.
COLORS = {
    "🔴": {"ru": "красный", "kk": "қызыл"}, "🟢": {"ru": "зелёный", "kk": "жасыл"},
    "🔵": {"ru": "синий", "kk": "көк"}, "🟡": {"ru": "жёлтый", "kk": "сары"},
    "🟣": {"ru": "фиолетовый", "kk": "күлгін"}, "⚫": {"ru": "чёрный", "kk": "қара"},
    "🟠": {"ru": "оранжевый", "kk": "қызғылт сары"},
}
SHAPES = {
    "▲": {"ru": "треугольник", "kk": "үшбұрышты"}, "■": {"ru": "квадрат", "kk": "шаршыны"},
    "●": {"ru": "круг", "kk": "дөңгелекті"}, "★": {"ru": "звезду", "kk": "жұлдызды"},
    "♥": {"ru": "сердце", "kk": "жүректі"}, "◆": {"ru": "ромб", "kk": "ромбты"},
}
CHECKBOX = {"ru": "☑️ Я не робот", "kk": "☑️ Мен робот емеспін"}
_LETTERS = "ABCDEFGHKMNPRSTXZ"
_LIBRARY_FONTS = ("DroidSansMono.ttf",)
_SYSTEM_FONTS = ("DejaVuSans-Bold.ttf", "DejaVuSerif-Bold.ttf", "DejaVuSansMono-Bold.ttf")
_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")


@dataclass(frozen=True)
class Challenge:
    """One captcha shown to one buyer: the prompt, the expected answer, buttons or an image."""

    kind: str
    prompt: str
    answer: str
    choices: tuple[str, ...] = ()
    image: Image | None = None
    keyboard: str = "inline"

    def check(self, reply: str) -> bool:
        """True when a typed reply (or a pressed choice) answers the captcha."""
        got = reply.strip().lower().replace(" ", "")
        return got == self.answer.lower().replace(" ", "")


def number_words(n: int, lang: str) -> str:
    """0..20 in Russian or Kazakh words."""
    return (_KK if lang == "kk" else _RU)[n]


def available_fonts(names: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Font files for ImageCaptcha: the names given (paths, or files in the system font folders),
    else the library's own font and the DejaVu faces that are installed."""
    wanted = list(names) or [*_SYSTEM_FONTS, *_LIBRARY_FONTS]
    out = []
    import captcha as captcha_pkg

    library_dir = Path(captcha_pkg.__file__).parent / "data"
    for name in wanted:
        for folder in (Path(), library_dir, *map(Path, _FONT_DIRS)):
            path = folder / name
            if path.is_file():
                out.append(str(path))
                break
    return out


@lru_cache(maxsize=32)
def _generator(width: int, height: int, fonts: tuple[str, ...], sizes: tuple[int, ...]) -> object:
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=width, height=height, fonts=list(fonts) or None, font_sizes=sizes or None)


def library_image(text: str, rng: random.Random, spec: CaptchaSpec | None = None) -> Image:
    """`text` drawn by the `captcha` library's ImageCaptcha (warped glyphs, noise curve and dots)
    with the spec's size and fonts, or a size and font picked by `rng`."""
    from PIL import Image as PilImage

    fonts = available_fonts(spec.fonts if spec else [])
    width = spec.width if spec and spec.width else rng.choice((160, 200, 240))
    height = spec.height if spec and spec.height else rng.choice((60, 70, 80))
    sizes = tuple(spec.font_sizes) if spec and spec.font_sizes else tuple(
        int(height * f) for f in (0.7, 0.78, 0.85))
    font = (rng.choice(fonts),) if fonts and not (spec and spec.fonts) else tuple(fonts)
    gen = _generator(width, height, font, sizes)
    state = random.getstate()
    random.seed(rng.getrandbits(32))  # ImageCaptcha draws with the global random module
    try:
        data = gen.generate(text).getvalue()  # type: ignore[attr-defined]
    finally:
        random.setstate(state)
    img = PilImage.open(io.BytesIO(data))
    return Image(data, img.width, img.height, "image/png")


def _sample(rng: random.Random, items: list[str], show: int) -> tuple[list[str], str]:
    shown = rng.sample(items, min(show, len(items)))
    return shown, rng.choice(shown)


def make(spec: CaptchaSpec, lang: str, rng: random.Random) -> Challenge:
    """A fresh challenge of the kind the spec names."""
    template = spec.prompt or _PROMPTS[(spec.kind, lang)]
    kb = spec.keyboard
    if spec.kind == "arithmetic":
        op = rng.choice(spec.ops)
        if op == "*":
            a, b = rng.randint(2, 9), rng.randint(2, 5)
        else:
            a, b = rng.randint(2, 12), rng.randint(1, 8)
        if op == "-" and b > a:
            a, b = b, a  # shops keep answers positive
        result = a + b if op == "+" else a - b if op == "-" else a * b
        if spec.words and a <= 20 and b <= 20:
            question = f"{number_words(a, lang)} {_OPS[lang][op]} {number_words(b, lang)}"
        else:
            question = f"{a} {_SIGNS[op]} {b}"
        return Challenge("arithmetic", template.format(question=question), str(result))
    if spec.kind == "press":
        shown, target = _sample(rng, spec.choices, spec.show)
        return Challenge("press", template.format(question=target), target, tuple(shown), keyboard=kb)
    if spec.kind == "color":
        pool = spec.choices or list(COLORS)
        shown, target = _sample(rng, pool, spec.show)
        name = COLORS.get(target, {}).get(lang, target)
        return Challenge("color", template.format(question=name), target, tuple(shown), keyboard=kb)
    if spec.kind == "shape":
        pool = spec.choices or list(SHAPES)
        shown, target = _sample(rng, pool, spec.show)
        name = SHAPES.get(target, {}).get(lang, target)
        return Challenge("shape", template.format(question=name), target, tuple(shown), keyboard=kb)
    if spec.kind == "number":
        shown, target = _sample(rng, spec.choices or [str(i) for i in range(1, 10)], max(spec.show, 4))
        return Challenge("number", template.format(question=target), target, tuple(shown), keyboard=kb)
    if spec.kind == "letter":
        shown, target = _sample(rng, spec.choices or list(_LETTERS), max(spec.show, 4))
        return Challenge("letter", template.format(question=target), target, tuple(shown), keyboard=kb)
    if spec.kind == "checkbox":
        label = spec.choices[0] if spec.choices else CHECKBOX[lang]
        return Challenge("checkbox", template.format(question=""), label, (label,), keyboard=kb)
    text = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(spec.length))
    if spec.style == "library":
        picture = library_image(text, rng, spec)
    else:
        picture = captcha_image(text, rng.getrandbits(32))
    return Challenge("image", template.format(question=""), text, image=picture)
