"""Captcha solvers for shop bots: arithmetic (digits or words, ru/kk/en), "press the X", images.

Each solver is a pure function of the captcha message (text, buttons, image bytes) returning a
`Solution` (what to answer and how it was found) or None. `solve` tries them in order; the engine
presses a button whose text is the answer, or sends the answer as text.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

from prokai.crawl.buttons import Button

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
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50,
}
OPERATOR_WORDS = {
    "плюс": "+", "прибавить": "+", "қосу": "+", "қосқанда": "+", "plus": "+",
    "минус": "-", "отнять": "-", "алу": "-", "minus": "-",
    "умножить": "*", "умноженное": "*", "көбейту": "*", "times": "*", "multiplied": "*",
    "разделить": "/", "бөлу": "/", "divided": "/",
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


@dataclass(frozen=True)
class Solution:
    answer: str
    method: str
    button: Button | None = None


_NUM = r"(\d{1,4})"
_ARITH = re.compile(rf"{_NUM}\s*([+\-−–*×xх·/:÷])\s*{_NUM}")


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
            acc = value if acc is None else (acc + value if acc % 10 == 0 and value < 10 and acc >= 10 else value)
            continue
        if acc is not None:
            out.append(str(acc))
            acc = None
        out.append(OPERATOR_WORDS.get(tok, tok))
    if acc is not None:
        out.append(str(acc))
    return " ".join(out)


def solve_arithmetic(text: str) -> Solution | None:
    """'7 + 5 = ?', 'Сколько будет семь плюс пять?', 'жеті қосу бес', '12 × 3'."""
    for candidate, method in ((text, "arithmetic-digits"), (_words_to_numbers(text), "arithmetic-words")):
        m = _ARITH.search(candidate)
        if m:
            result = _apply(int(m.group(1)), SYMBOLS[m.group(2)], int(m.group(3)))
            if result is not None:
                return Solution(str(result), method)
    return None


def solve_press(text: str, buttons: list[Button]) -> Solution | None:
    """'Нажмите на 🍎' / 'Выберите яблоко' / 'Алманы басыңыз': the button that shows that object."""
    lowered = text.casefold()
    wanted: list[str] = [e for e in OBJECTS if e in text]
    for emoji, words in OBJECTS.items():
        if any(re.search(rf"\b{re.escape(w)}\w*", lowered) for w in words):
            wanted.append(emoji)
    for emoji in wanted:
        names = OBJECTS[emoji]
        for btn in buttons:
            label = btn.text.casefold()
            if emoji.rstrip("\ufe0f") in btn.text or any(re.search(rf"\b{re.escape(w)}", label) for w in names):
                return Solution(btn.text, "press-object", btn)
    return None


# Captcha alphabets leave out look-alikes (0/O, 1/I/l, Q); so does the reader.
_OCR_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"


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
    """Distorted-text image captchas: split the picture into glyphs, OCR each one upright and
    slightly turned (letters are rotated), keep the most confident reading of each."""
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
    return Solution(text, "image-ocr") if 3 <= len(text) <= 10 else None


def solve(text: str, buttons: list[Button], image: bytes | None = None) -> Solution | None:
    """Try every solver; the answer as a button when one matches, else as text."""
    solution = solve_arithmetic(text)
    if solution is not None:
        for btn in buttons:
            if btn.text.strip() == solution.answer:
                return Solution(solution.answer, solution.method, btn)
        return solution
    solution = solve_press(text, buttons)
    if solution is not None:
        return solution
    if image is not None:
        return solve_image(image)
    return None
