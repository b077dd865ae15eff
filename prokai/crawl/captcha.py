"""Captcha solvers for shop bots, an open set: arithmetic (digits or words, ru/kk/en, ×, −),
press the named object, colour, shape, number or letter ("choose on the keyboard below: X"), the
"I am not a bot" checkbox, and distorted-text images (the project's own CRNN trained on the
`captcha` library's pictures, then ddddocr's ONNX model, Tesseract fallback).

Each solver is a pure function of the captcha message (text, buttons, image bytes) returning a
`Solution` (what to answer and how it was found) or None. `candidates` lists the solvers that
apply, lazily (OCR is slow); `solve_all`/`solve` evaluate them. The engine presses a button
whose text is the answer, or sends the answer as text. `FAILED_CAPTCHAS` remembers, per bot,
which methods gave wrong answers, so the next try (and the next account) starts with another.
"""

from __future__ import annotations

import io
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from prokai.intake.buttons import Button

NUMBER_WORDS = {
    # Russian
    "ноль": 0, "один": 1, "одна": 1, "два": 2, "две": 2, "три": 3, "четыре": 4, "пять": 5, "шесть": 6,
    "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11, "двенадцать": 12,
    "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17,
    "восемнадцать": 18, "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    # Kazakh
    "нөл": 0, "бір": 1, "екі": 2, "үш": 3, "төрт": 4, "бес": 5, "алты": 6, "жеті": 7, "сегіз": 8,
    "тоғыз": 9, "он": 10, "жиырма": 20, "отыз": 30, "қырық": 40, "елу": 50,
    # English
    "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90, "сто": 100,
    "алпыс": 60, "жетпіс": 70, "сексен": 80, "тоқсан": 90, "жүз": 100,
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
}
OPERATOR_WORDS = {
    "плюс": "+", "прибавить": "+", "сложить": "+", "қосу": "+", "қосқанда": "+", "қосып": "+", "plus": "+",
    "add": "+", "минус": "-", "отнять": "-", "вычесть": "-", "алу": "-", "алғанда": "-", "азайту": "-",
    "minus": "-", "subtract": "-", "умножить": "*", "умноженное": "*", "умножь": "*", "көбейту": "*",
    "көбейткенде": "*", "times": "*", "multiplied": "*", "разделить": "/", "бөлу": "/", "divided": "/",
}
SYMBOLS = {"+": "+", "-": "-", "−": "-", "–": "-", "*": "*", "×": "*", "x": "*", "х": "*", "·": "*", "/": "/", ":": "/", "÷": "/"}

# Words a "press the X" captcha names, with the emoji a button may show instead.
OBJECTS = {
    "🍎": ("яблоко", "яблочко", "алма", "apple"),
    "🍌": ("банан", "banana"),
    "🍒": ("вишня", "вишню", "черешня", "черешню", "шие", "cherry"),
    "🍋": ("лимон", "lemon"),
    "🍉": ("арбуз", "қарбыз", "watermelon"),
    "🍇": ("виноград", "жүзім", "grapes"),
    "🍓": ("клубника", "клубнику", "құлпынай", "strawberry"),
    "🐱": ("кошка", "кошку", "кот", "кота", "мысық", "cat"),
    "🐶": ("собака", "собаку", "пёс", "пес", "ит", "dog"),
    "🚗": ("машина", "машину", "автомобиль", "көлік", "car"),
    "🏠": ("дом", "домик", "үй", "house"),
    "⭐": ("звезда", "звезду", "звёздочку", "жұлдыз", "star"),
    "🔥": ("огонь", "fire"),
    "❤️": ("сердце", "сердечко", "жүрек", "heart"),
    "🌲": ("ёлка", "ёлку", "елка", "елку", "шырша", "tree"),
    "⚽": ("мяч", "доп", "ball"),
}


# Colours and shapes a press-captcha names, in words (stems) and as the emoji buttons show.
COLOURS = {
    "red": ("красн", "қызыл", "red"),
    "green": ("зелён", "зелен", "жасыл", "green"),
    "blue": ("син", "голуб", "көк", "blue"),
    "yellow": ("жёлт", "желт", "сары", "yellow"),
    "orange": ("оранж", "қызғылт сары", "orange"),
    "purple": ("фиолет", "сирен", "күлгін", "purple", "violet"),
    "black": ("чёрн", "черн", "қара", "black"),
    "white": ("бел", "ақ", "white"),
    "brown": ("коричн", "қоңыр", "brown"),
}
SHAPES = {
    "circle": ("круг", "кружок", "кружоч", "шар", "дөңгелек", "шеңбер", "circle", "round"),
    "square": ("квадрат", "шаршы", "square"),
    "triangle": ("треугольн", "үшбұрыш", "triangle"),
    "star": ("звезд", "звёзд", "жұлдыз", "star"),
    "heart": ("сердц", "сердеч", "жүрек", "heart"),
    "diamond": ("ромб", "diamond", "rhombus"),
}
# emoji (variation selectors dropped) -> (colour, shape)
GLYPHS: dict[str, tuple[str | None, str | None]] = {
    "🔴": ("red", "circle"), "🟢": ("green", "circle"), "🔵": ("blue", "circle"), "🟡": ("yellow", "circle"),
    "🟠": ("orange", "circle"), "🟣": ("purple", "circle"), "⚫": ("black", "circle"), "⚪": ("white", "circle"),
    "🟤": ("brown", "circle"), "🟥": ("red", "square"), "🟩": ("green", "square"), "🟦": ("blue", "square"),
    "🟨": ("yellow", "square"), "🟧": ("orange", "square"), "🟪": ("purple", "square"), "⬛": ("black", "square"),
    "⬜": ("white", "square"), "🟫": ("brown", "square"), "❤": ("red", "heart"), "💚": ("green", "heart"),
    "💙": ("blue", "heart"), "💛": ("yellow", "heart"), "🧡": ("orange", "heart"), "💜": ("purple", "heart"),
    "🖤": ("black", "heart"), "🤍": ("white", "heart"), "🤎": ("brown", "heart"), "♥": ("red", "heart"),
    "🔺": ("red", "triangle"), "🔻": ("red", "triangle"), "▲": (None, "triangle"), "△": (None, "triangle"),
    "🔼": (None, "triangle"), "●": (None, "circle"), "○": (None, "circle"), "■": (None, "square"),
    "□": (None, "square"), "◼": ("black", "square"), "◻": ("white", "square"), "★": (None, "star"),
    "☆": (None, "star"), "⭐": ("yellow", "star"), "🌟": ("yellow", "star"), "◆": (None, "diamond"),
    "♦": ("red", "diamond"), "🔷": ("blue", "diamond"), "🔶": ("orange", "diamond"), "🔹": ("blue", "diamond"),
    "🔸": ("orange", "diamond"), "💎": ("blue", "diamond"),
}
_NOT_BOT = re.compile(
    r"не\s*(?:робот|бот)|not\s+a\s+(?:ro)?bot|i\W?a?m\s+human|я\s+человек|человек|робот\s+емес|адаммын|human|"
    r"подтвер|verify|растау|☑|✅|✔|\[\s*\]|☐",
    re.I,
)
_PRESS_WORDS = re.compile(
    r"нажм|жми|выбер|кликн|тапн|press|tap|click|choose|select|pick|басыңыз|бас\b|таңдаңыз|таңда", re.I
)


@dataclass(frozen=True)
class Solution:
    """An answer to a captcha: typed (`answer`) or a button to press; `method` names the solver."""

    answer: str
    method: str
    button: Button | None = None


_NUM = r"(\d{1,4})"
_ARITH = re.compile(rf"{_NUM}\s*([+\-−–*×xх·/:÷])\s*{_NUM}")
_FILLER = {"на", "by", "to", "from", "и", "with"}


def _apply(a: int, op: str, b: int) -> int | None:
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/" and b and a % b == 0:
        return a // b
    return None


def _words_to_numbers(text: str) -> str:
    """'двадцать три плюс пять' -> '23 + 5' (numbers and operator words replaced)."""
    tokens = re.findall(r"\w+|[^\w\s]", text.casefold())
    out: list[str] = []
    acc: int | None = None
    for tok in tokens:
        if tok in NUMBER_WORDS:
            value = NUMBER_WORDS[tok]
            if acc is None:
                acc = value
            elif acc % 100 == 0 and acc >= 100 and value < 100 or acc % 10 == 0 and acc >= 10 and value < 10:
                acc += value
            else:
                out.append(str(acc))
                acc = value
            continue
        if acc is not None:
            out.append(str(acc))
            acc = None
        if tok in _FILLER and out and out[-1] in "+-*/":
            continue
        out.append(OPERATOR_WORDS.get(tok, tok))
    if acc is not None:
        out.append(str(acc))
    return " ".join(out)


def solve_arithmetic(text: str) -> Solution | None:
    """'7 + 5 = ?', 'Сколько будет семь плюс пять?', 'жеті қосу бес', '12 × 3', 'nine minus four'."""
    for candidate, method in ((text, "arithmetic-digits"), (_words_to_numbers(text), "arithmetic-words")):
        m = _ARITH.search(candidate)
        if m:
            result = _apply(int(m.group(1)), SYMBOLS[m.group(2)], int(m.group(3)))
            if result is not None:
                return Solution(str(result), method)
    return None


def _bare(text: str) -> str:
    return text.replace("\ufe0f", "").replace("\u200d", "").strip()


def solve_press(text: str, buttons: list[Button]) -> Solution | None:
    """'Нажмите на 🍎' / 'Выберите яблоко' / 'Алманы басыңыз': the button that shows that object."""
    lowered = text.casefold()
    wanted: list[str] = [e for e in OBJECTS if _bare(e) in _bare(text)]
    for emoji, words in OBJECTS.items():
        if any(re.search(rf"\b{re.escape(w)}\w*", lowered) for w in words):
            wanted.append(emoji)
    for emoji in wanted:
        names = OBJECTS[emoji]
        for btn in buttons:
            label = btn.text.casefold()
            if _bare(emoji) in _bare(btn.text) or any(re.search(rf"\b{re.escape(w)}", label) for w in names):
                return Solution(btn.text, "press-object", btn)
    return None


def _attributes(text: str) -> tuple[set[str], set[str]]:
    """Colours and shapes named in `text`, in words."""
    low = text.casefold()
    found: dict[str, set[str]] = {"colour": set(), "shape": set()}
    # Longest names first, each match blanked out: "қызғылт сары" is orange, not also yellow.
    stems = sorted(((stem, "colour", c) for c, ss in COLOURS.items() for stem in ss),
                   key=lambda x: -len(x[0]))
    stems += sorted(((stem, "shape", sh) for sh, ss in SHAPES.items() for stem in ss), key=lambda x: -len(x[0]))
    for stem, what, name in stems:
        pattern = re.compile(rf"(?<!\w){re.escape(stem)}")
        if pattern.search(low):
            found[what].add(name)
            low = pattern.sub(" ", low)
    return found["colour"], found["shape"]


def _glyph(label: str) -> tuple[str | None, str | None] | None:
    bare = _bare(label)
    for g, attrs in GLYPHS.items():
        if _bare(g) in bare:
            return attrs
    return None


def solve_colour_shape(text: str, buttons: list[Button]) -> Solution | None:
    """'Нажмите на красный круг' / 'көк шаршыны басыңыз' / 'press the triangle' with buttons
    🔴🟢🔵 / 🟥▲★: the one button whose colour and shape are the named ones."""
    # An emoji in the prompt itself names the answer.
    for btn in buttons:
        attrs = _glyph(btn.text)
        if attrs is not None and _bare(btn.text) and _bare(btn.text) in _bare(text):
            return Solution(btn.text, "press-glyph", btn)
    colours, shapes = _attributes(text)
    if not colours and not shapes:
        return None
    fits = []
    for btn in buttons:
        attrs = _glyph(btn.text)
        b_colours, b_shapes = _attributes(btn.text)
        colour = attrs[0] if attrs else None
        shape = attrs[1] if attrs else None
        have_colours = b_colours | ({colour} if colour else set())
        have_shapes = b_shapes | ({shape} if shape else set())
        if colours and not colours & have_colours:
            continue
        if shapes and not shapes & have_shapes:
            continue
        if have_colours or have_shapes:
            fits.append(btn)
    if len(fits) == 1:
        return Solution(fits[0].text, "press-colour-shape", fits[0])
    return None


def solve_named(text: str, buttons: list[Button]) -> Solution | None:
    """'Нажмите на цифру 7', 'выберите букву К', 'choose on the keyboard below: X', 'нажмите семь':
    the one button whose whole label the prompt names (the last one named, when several)."""
    if len(buttons) < 2:
        return None
    prompt = _bare(text)
    spoken = _words_to_numbers(text)
    best: tuple[int, Button] | None = None
    for btn in buttons:
        label = _bare(btn.text)
        if not label:
            continue
        pattern = re.compile(rf"(?<![\w]){re.escape(label)}(?![\w])", re.I)
        hits = [m.start() for m in pattern.finditer(prompt)]
        if not hits and label.isdigit():
            hits = [m.start() + len(prompt) for m in pattern.finditer(spoken)]
        if hits:
            at = max(hits)
            if best is None or at > best[0]:
                best = (at, btn)
    if best is None:
        return None
    # The label must not be just a common word of the prompt ("на", "и").
    if len(_bare(best[1].text)) == 1 and not _PRESS_WORDS.search(text) and ":" not in text:
        return None
    return Solution(best[1].text, "press-named", best[1])


def solve_checkbox(text: str, buttons: list[Button]) -> Solution | None:
    """'☑️ Я не робот' / 'I am not a bot' / 'Я человек': the one button that says so."""
    fits = [b for b in buttons if _NOT_BOT.search(b.text)]
    if len(fits) == 1 and (len(buttons) <= 3 or _NOT_BOT.search(text)):
        return Solution(fits[0].text, "press-checkbox", fits[0])
    return None


# ---------------------------------------------------------------------- images

# What image captchas are written in: Latin letters and digits (read case-insensitively).
_OCR_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"
_DDDD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_ocr_lock = threading.Lock()


@lru_cache(maxsize=2)
def _dddd(beta: bool) -> Any:
    """ddddocr's recognizer (its ONNX model ships in the wheel; nothing is downloaded)."""
    import contextlib
    import os

    import ddddocr

    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        ocr = ddddocr.DdddOcr(show_ad=False, beta=beta)
    return ocr


def _dddd_read(image: bytes, beta: bool = False) -> str:
    """ddddocr's reading restricted to Latin letters and digits: the model's scores for other
    characters are masked before the best path is decoded (not dropped after it)."""
    import numpy as np
    from PIL import Image

    engine = _dddd(beta).ocr_engine
    charset = engine.charset_manager.get_charset()
    img = Image.open(io.BytesIO(image)).convert("RGB")
    img = img.resize((max(1, int(img.width * 64 / img.height)), 64), Image.Resampling.LANCZOS).convert("L")
    arr = (np.asarray(img, dtype=np.float32) / 255.0)[None, None]
    with _ocr_lock:
        out = engine.session.run(None, {engine.session.get_inputs()[0].name: arr})[0]
    logits = out[:, 0, :] if out.shape[1] == 1 else out[0]
    allowed = _allowed_mask(tuple(charset))[: logits.shape[1]]
    logits = np.where(allowed[None, :], logits, -1e9)
    text, prev = "", None
    for idx in logits.argmax(axis=1):
        i = int(idx)
        if i != prev and i != 0 and i < len(charset):
            text += charset[i]
        prev = i
    return text.upper()


@lru_cache(maxsize=4)
def _allowed_mask(charset: tuple[str, ...]) -> Any:
    import numpy as np

    return np.array([c == "" or c in _DDDD_CHARS for c in charset])


def solve_image_dddd(image: bytes, beta: bool = False) -> Solution | None:
    """Distorted-text image captchas read by ddddocr's CRNN."""
    try:
        text = _dddd_read(image, beta)
    except Exception:  # not an image, or the model could not run: other solvers may
        return None
    return Solution(text, "image-ddddocr-beta" if beta else "image-ddddocr") if 3 <= len(text) <= 10 else None


def _variants(image: bytes) -> list[bytes]:
    """The picture and a few harmless changes of it (denoised, narrower, wider, contrast
    stretched, margins cut or added): a reading that survives them is more likely right."""
    from PIL import Image, ImageFilter, ImageOps

    img = Image.open(io.BytesIO(image)).convert("RGB")
    w, h = img.size

    def png(im: Image.Image) -> bytes:
        buf = io.BytesIO()
        im.save(buf, format="PNG")
        return buf.getvalue()

    return [image, png(img.filter(ImageFilter.MedianFilter(3))), png(img.resize((max(1, int(w * 0.85)), h))),
            png(img.resize((int(w * 1.15), h))), png(ImageOps.autocontrast(img.convert("L")).convert("RGB")),
            png(img.crop((4, 4, max(5, w - 4), max(5, h - 4)))), png(ImageOps.expand(img, border=8, fill=(255, 255, 255)))]


def solve_image_crnn(image: bytes) -> Solution | None:
    """Distorted-text image captchas read by the project's CRNN (`models/captcha/`, trained on
    ImageCaptcha pictures). A reading below the model's sure confidence is put to the ddddocr
    vote as `CRNN_VOTES` readings of the fourteen: the vote overrules it only when more of its
    readings agree on another text (pictures of styles the CRNN never saw). None when no model
    is shipped: the plain ddddocr vote answers then."""
    from prokai.crawl import captcha_model

    reading = captcha_model.read(image)
    if reading is None:
        return None
    text, confidence = reading
    if confidence >= captcha_model.SURE_CONFIDENCE and 3 <= len(text) <= 10:
        return Solution(text, "image-crnn")
    try:
        votes = Counter(r for r in _vote_readings(image) if 3 <= len(r) <= 10)
    except Exception:  # the ddddocr model could not run: the CRNN's reading stands alone
        votes = Counter()
    if 3 <= len(text) <= 10:
        votes[text] += CRNN_VOTES
    if not votes:
        return None
    best = max(votes.items(), key=lambda kv: (kv[1], kv[0] == text))[0]
    if best != text and best.translate(_LOOKALIKE) == text.translate(_LOOKALIKE):
        best = text  # ddddocr reads O and Q as 0 (and I, L as 1) whatever the font: no evidence against the CRNN
    return Solution(best, "image-crnn" if best == text else "image-crnn-vote")


# Chosen on the training script's own pictures (200 ImageCaptcha pictures of the whole alphabet
# from its validation seed and 100 of the sandbox's classic renderer), never the card's: 9 of 23
# votes keep the CRNN's reading on most ImageCaptcha pictures and let a near-unanimous ddddocr win
# on the classic style, which the CRNN never saw. Measured there: 7 votes and no look-alike rule
# 81 % / 93 %; 9 votes with it 88.5 % / 92 %; 10 votes 90.5 % / 87 %.
CRNN_VOTES = 9
_LOOKALIKE = str.maketrans({"O": "0", "Q": "0", "I": "1", "L": "1"})


def _vote_readings(image: bytes) -> list[str]:
    return [_dddd_read(v, beta) for beta in (False, True) for v in _variants(image)]


def solve_image_vote(image: bytes) -> Solution | None:
    """Both ddddocr models on the picture and its variants; the most frequent reading wins
    (ties: the first model on the picture itself). Measured: a few points above one reading."""
    try:
        readings = _vote_readings(image)
    except Exception:  # not an image, or the model could not run
        return None
    votes = Counter(r for r in readings if 3 <= len(r) <= 10)
    if not votes:
        return None
    best = max(votes.items(), key=lambda kv: (kv[1], kv[0] == readings[0]))[0]
    return Solution(best, "image-ddddocr-vote")


def _glyph_columns(ink: list[int], width: int, pitch: int = 42) -> list[tuple[int, int]]:
    """Column ranges holding one glyph each: runs of inked columns, wide runs split evenly."""
    runs: list[tuple[int, int]] = []
    start = None
    for x, count in enumerate([*ink, 0]):
        if count > 2 and start is None:
            start = x
        elif count <= 2 and start is not None:
            if x - start >= 6:
                runs.append((start, x))
            start = None
    out: list[tuple[int, int]] = []
    for x0, x1 in runs:
        parts = max(1, round((x1 - x0) / pitch))
        out.extend((x0 + j * (x1 - x0) // parts, x0 + (j + 1) * (x1 - x0) // parts) for j in range(parts))
    return out


def solve_image(image: bytes) -> Solution | None:
    """Tesseract fallback: split the picture into glyphs, OCR each one upright and slightly
    turned (letters are rotated), keep the most confident reading of each."""
    import numpy as np
    import pytesseract
    from PIL import Image, ImageFilter, ImageOps

    try:
        img = Image.open(io.BytesIO(image)).convert("L").filter(ImageFilter.MedianFilter(3))
    except OSError:
        return None
    ink = [int(c) for c in (np.asarray(img) < 110).sum(axis=0)]
    text = ""
    for x0, x1 in _glyph_columns(ink, img.width):
        crop = img.crop((max(0, x0 - 4), 0, min(img.width, x1 + 4), img.height))
        best, confidence = "", -1.0
        for angle in (0, -15, 15):
            glyph = crop.rotate(angle, expand=True, fillcolor=255).point(lambda p: 0 if p < 110 else 255)
            glyph = ImageOps.expand(glyph.resize((glyph.width * 2, glyph.height * 2)), border=20, fill=255)
            try:
                data = pytesseract.image_to_data(
                    glyph, config=f"--psm 10 -c tessedit_char_whitelist={_OCR_CHARS}",
                    output_type=pytesseract.Output.DICT,
                )
            except pytesseract.TesseractError:
                continue
            for word, conf in zip(data["text"], data["conf"], strict=False):
                if len(word.strip()) == 1 and float(conf) > confidence:
                    best, confidence = word.strip(), float(conf)
        text += best
    return Solution(text, "image-tesseract") if 3 <= len(text) <= 10 else None


# ---------------------------------------------------------------------- all together

Candidate = tuple[str, Callable[[], Solution | None]]


def candidates(text: str, buttons: list[Button], image: bytes | None = None) -> list[Candidate]:
    """The solvers that may answer this captcha, best first, each as (method, thunk)."""
    out: list[Candidate] = []
    arithmetic = solve_arithmetic(text)
    if arithmetic is not None:
        def as_button(sol: Solution = arithmetic) -> Solution:
            for btn in buttons:
                if _bare(btn.text) == sol.answer:
                    return Solution(sol.answer, sol.method, btn)
            return sol
        out.append((arithmetic.method, as_button))
    if buttons:
        out += [
            ("press-colour-shape", lambda: solve_colour_shape(text, buttons)),
            ("press-object", lambda: solve_press(text, buttons)),
            ("press-named", lambda: solve_named(text, buttons)),
            ("press-checkbox", lambda: solve_checkbox(text, buttons)),
        ]
    if image is not None:
        out += [
            ("image-crnn", lambda: solve_image_crnn(image)),
            ("image-ddddocr-vote", lambda: solve_image_vote(image)),
            ("image-ddddocr", lambda: solve_image_dddd(image)),
            ("image-ddddocr-beta", lambda: solve_image_dddd(image, beta=True)),
            ("image-tesseract", lambda: solve_image(image)),
        ]
    return out


def _evaluate(cands: list[Candidate]) -> Iterator[Solution]:
    for _, thunk in cands:
        solution = thunk()
        if solution is not None:
            yield solution


def solve_all(text: str, buttons: list[Button], image: bytes | None = None) -> list[Candidate]:
    """The candidates for this captcha (evaluate them with `FAILED_CAPTCHAS.pick` or `solve`)."""
    return candidates(text, buttons, image)


def solve(text: str, buttons: list[Button], image: bytes | None = None) -> Solution | None:
    """The first solver's answer: the answer as a button when one matches, else as text."""
    return next(_evaluate(candidates(text, buttons, image)), None)


@dataclass
class CaptchaMemory:
    """Which solving methods gave wrong answers at which bot (this process, all accounts).

    The next try, by this account or the next, starts with the method that failed least there,
    so a failing attempt is not repeated blindly.
    """

    failures: dict[str, Counter[str]] = field(default_factory=dict)

    def failed(self, bot: str, method: str) -> None:
        self.failures.setdefault(bot, Counter())[method] += 1

    def passed(self, bot: str, method: str) -> None:
        counts = self.failures.get(bot)
        if counts is not None and counts.get(method):
            counts[method] -= 1

    def pick(self, bot: str, cands: list[Candidate]) -> Solution | None:
        """The first answer of the candidates, those that failed least at `bot` first."""
        counts = self.failures.get(bot, Counter())
        ranked = sorted(enumerate(cands), key=lambda ic: (counts.get(ic[1][0], 0), ic[0]))
        return next(_evaluate([c for _, c in ranked]), None)


FAILED_CAPTCHAS = CaptchaMemory()
