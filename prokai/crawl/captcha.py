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


def solve_image(image: bytes) -> Solution | None:
    """Distorted-text image captchas: OCR the text (letters and digits only)."""
    try:
        import pytesseract
        from PIL import Image, ImageFilter, ImageOps
    except ImportError:  # pragma: no cover - both are dependencies
        return None
    try:
        img = Image.open(io.BytesIO(image)).convert("L")
    except OSError:
        return None
    img = ImageOps.autocontrast(img.resize((img.width * 2, img.height * 2)))
    img = img.filter(ImageFilter.MedianFilter(3))
    for psm in (7, 8, 6):
        raw = pytesseract.image_to_string(
            img, config=f"--psm {psm} -c tessedit_char_whitelist=ABCDEFGHJKLMNPQRSTUVWXYZabcdefghjkmnpqrstuvwxyz23456789"
        )
        text = re.sub(r"[^0-9A-Za-z]", "", raw)
        if 3 <= len(text) <= 10:
            return Solution(text, "image-ocr")
    return None


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
