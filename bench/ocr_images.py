"""Rendered images of what shops send, for the OCR benchmark: bank-app payment screenshots,
photos of cards, chat bubbles, text on noisy backgrounds and QR codes, in several fonts and
sizes, some saved as low-quality JPEG. Every image carries the requisites drawn on it.

    .venv/bin/python bench/ocr_images.py OUT_DIR [--images 120] [--seed 11]

writes OUT_DIR/NNN_<style>_<kind>.{png,jpg} and OUT_DIR/expected.jsonl
({"file", "style", "expected": [{"kind", "value"}]}). `bench/extract.py --ocr-images N` renders
the same images in memory and scores them. Fonts: the DejaVu family under
/usr/share/fonts/truetype/dejavu (Debian's fonts-dejavu-core/-extra), so the images need no
download.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

sys.path.insert(0, str(Path(__file__).resolve().parent))

from extract import Values  # noqa: E402  (bench/extract.py: the same value generators)

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ["DejaVuSans.ttf", "DejaVuSansMono.ttf", "DejaVuSerif.ttf", "DejaVuSans-Bold.ttf",
         "DejaVuSansCondensed.ttf", "DejaVuSansMono-Bold.ttf", "DejaVuSerifCondensed.ttf"]
STYLES = ("screenshot", "card_photo", "chat", "noisy", "qr")
BANKS = [("Kaspi", (241, 70, 53)), ("Halyk", (0, 133, 82)), ("Jusan", (230, 120, 30)),
         ("Сбербанк", (33, 160, 56)), ("Freedom", (60, 170, 80)), ("Т-Банк", (255, 221, 45))]


@dataclass
class Rendered:
    """One benchmark image: encoded bytes, its style, and the requisites drawn on it."""

    name: str
    data: bytes
    style: str
    expected: list[tuple[str, str]]


def _font(name: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size)


def _shown(kind: str, value: str, rnd: random.Random) -> str:
    """How the value is printed: cards and IBANs in groups, phones formatted, wallets whole."""
    if kind == "card":
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    if kind == "iban":
        return " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if rnd.random() < 0.6 else value
    if kind == "phone":
        n = value[2:]
        return rnd.choice([f"+7 {n[:3]} {n[3:6]} {n[6:8]} {n[8:]}", f"+7 ({n[:3]}) {n[3:6]}-{n[6:8]}-{n[8:]}",
                           f"8 {n[:3]} {n[3:6]} {n[6:8]} {n[8:]}"])
    return value


def _wrap(value: str, width: int) -> list[str]:
    return [value[i : i + width] for i in range(0, len(value), width)]


def _noise(img: Image.Image, rnd: random.Random, amount: float) -> None:
    draw = ImageDraw.Draw(img)
    w, h = img.size
    for _ in range(int(w * h * amount / 40)):
        x, y = rnd.randrange(w), rnd.randrange(h)
        c = tuple(rnd.randrange(120, 256) for _ in range(3))
        draw.ellipse((x, y, x + rnd.randrange(1, 4), y + rnd.randrange(1, 4)), fill=c)
    for _ in range(rnd.randrange(3, 9)):
        c = tuple(rnd.randrange(150, 240) for _ in range(3))
        draw.line((rnd.randrange(w), rnd.randrange(h), rnd.randrange(w), rnd.randrange(h)), fill=c, width=1)


def _gradient(w: int, h: int, c1: tuple[int, int, int], c2: tuple[int, int, int]) -> Image.Image:
    base = Image.new("RGB", (w, h), c1)
    top = Image.new("RGB", (w, h), c2)
    mask = Image.linear_gradient("L").resize((w, h)).rotate(90, expand=False).resize((w, h))
    return Image.composite(base, top, mask)


def _encode(img: Image.Image, rnd: random.Random, jpeg: bool) -> tuple[bytes, str]:
    buf = io.BytesIO()
    if jpeg:
        img.convert("RGB").save(buf, "JPEG", quality=rnd.choice([35, 50, 65, 80]))
        return buf.getvalue(), "jpg"
    img.save(buf, "PNG")
    return buf.getvalue(), "png"


def screenshot(kind: str, value: str, rnd: random.Random, font: str) -> Image.Image:
    """A bank app's transfer receipt: coloured header, amount, recipient, the requisite."""
    bank, colour = rnd.choice(BANKS)
    w = rnd.choice([540, 600, 720])
    size = rnd.choice([20, 24, 28])
    img = Image.new("RGB", (w, int(w * 1.2)), (246, 246, 248))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, 0, w, 90), fill=colour)
    draw.text((24, 28), f"{bank} · Переводы", font=_font("DejaVuSans-Bold.ttf", 28), fill="white")
    y = 120
    draw.text((24, y), "Перевод клиенту", font=_font(font, size), fill=(90, 90, 90))
    y += size + 20
    draw.text((24, y), f"{rnd.randrange(2, 90)} {rnd.randrange(100, 999)} ₸", font=_font("DejaVuSans-Bold.ttf", 44), fill=(20, 20, 20))
    y += 80
    label = {"card": "Карта получателя", "iban": "Счёт получателя (IBAN)", "phone": "Перевод по номеру телефона"}.get(
        kind, "Адрес кошелька")
    draw.text((24, y), label, font=_font(font, size - 4), fill=(120, 120, 120))
    y += size + 8
    f = _font(font, size)
    shown = _shown(kind, value, rnd)
    lines = [shown] if f.getlength(shown) < w - 48 else _wrap(shown, max(8, int(len(shown) * (w - 48) / f.getlength(shown))))
    for line in lines:
        draw.text((24, y), line, font=f, fill=(20, 20, 20))
        y += size + 8
    y += 20
    draw.text((24, y), f"Получатель: {rnd.choice(['Айгерим К.', 'Ержан Б.', 'Дмитрий С.', 'Асель Н.'])}",
              font=_font(font, size - 4), fill=(60, 60, 60))
    draw.text((24, y + size + 10), f"{rnd.randrange(1, 28):02d}.{rnd.randrange(1, 12):02d}.2025 {rnd.randrange(10, 23)}:{rnd.randrange(10, 59)}",
              font=_font(font, size - 6), fill=(140, 140, 140))
    return img


def card_photo(value: str, rnd: random.Random, font: str) -> Image.Image:
    """A payment card on a table: gradient card, chip, embossed-looking number, slight tilt."""
    cw, ch = 856, 540
    c1 = tuple(rnd.randrange(20, 120) for _ in range(3))
    c2 = tuple(min(255, c + rnd.randrange(40, 120)) for c in c1)
    card = _gradient(cw, ch, c1, c2)  # type: ignore[arg-type]
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((90, 170, 200, 250), radius=12, fill=(212, 175, 55))
    draw.text((60, 50), rnd.choice(["Kaspi Gold", "Halyk Bonus", "Jusan Pay", "Сбербанк", "Freedom Card"]),
              font=_font("DejaVuSans-Bold.ttf", 40), fill="white")
    f = _font(rnd.choice(["DejaVuSansMono-Bold.ttf", "DejaVuSansMono.ttf", font]), rnd.choice([54, 60, 66]))
    num = " ".join(value[i : i + 4] for i in range(0, len(value), 4))
    draw.text((62, 302), num, font=f, fill=(30, 30, 30))  # shadow: an embossed look
    draw.text((60, 300), num, font=f, fill=(245, 245, 245))
    draw.text((60, 420), f"{rnd.randrange(1, 12):02d}/{rnd.randrange(26, 31)}   AIGERIM K", font=_font(font, 32), fill="white")
    mask = Image.new("L", (cw, ch), 0)
    ImageDraw.Draw(mask).rounded_rectangle((0, 0, cw, ch), radius=40, fill=255)
    bg = Image.new("RGB", (cw + 160, ch + 160), tuple(rnd.randrange(90, 200) for _ in range(3)))  # type: ignore[arg-type]
    _noise(bg, rnd, 0.3)
    bg.paste(card, (80, 80), mask)
    bg = bg.rotate(rnd.uniform(-4, 4), resample=Image.Resampling.BICUBIC, expand=False, fillcolor=(120, 120, 120))
    scale = rnd.choice([0.6, 0.8, 1.0])
    bg = bg.resize((int(bg.width * scale), int(bg.height * scale)), Image.Resampling.LANCZOS)
    if rnd.random() < 0.5:
        bg = bg.filter(ImageFilter.GaussianBlur(rnd.choice([0.6, 1.0])))
    return bg


def chat(kind: str, value: str, rnd: random.Random, font: str) -> Image.Image:
    """A messenger screenshot: a bubble with the shop's payment message."""
    size = rnd.choice([16, 18, 22, 26])
    f = _font(font, size)
    intro = {"card": "Оплата на карту:", "iban": "Реквизиты для перевода, IBAN:",
             "phone": "Kaspi перевод по номеру:"}.get(kind, "Оплата криптой, адрес:")
    shown = _shown(kind, value, rnd)
    lines = [intro] + (_wrap(shown, 48) if len(shown) > 52 else [shown]) + [f"Сумма {rnd.randrange(5, 60)} 000 ₸"]
    w = int(max(f.getlength(line) for line in lines)) + 80
    h = (size + 10) * len(lines) + 70
    img = Image.new("RGB", (w + 40, h + 40), rnd.choice([(210, 225, 200), (230, 235, 240), (30, 40, 50)]))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((20, 20, w + 20, h + 20), radius=18, fill=(255, 255, 255))
    for k, line in enumerate(lines):
        draw.text((50, 45 + k * (size + 10)), line, font=f, fill=(20, 20, 20))
    return img


def noisy(kind: str, value: str, rnd: random.Random, font: str) -> Image.Image:
    """Requisite text over a busy background (speckles, lines, gradient)."""
    size = rnd.choice([22, 28, 34])
    f = _font(font, size)
    shown = _shown(kind, value, rnd)
    lines = ["Реквизиты:"] + (_wrap(shown, 48) if len(shown) > 52 else [shown])
    w = int(max(f.getlength(line) for line in lines)) + 60
    h = (size + 14) * len(lines) + 40
    img = _gradient(w, h, tuple(rnd.randrange(200, 256) for _ in range(3)), tuple(rnd.randrange(170, 230) for _ in range(3)))  # type: ignore[arg-type]
    _noise(img, rnd, rnd.choice([0.2, 0.5, 0.8]))
    draw = ImageDraw.Draw(img)
    for k, line in enumerate(lines):
        draw.text((30, 20 + k * (size + 14)), line, font=f, fill=(rnd.randrange(0, 60),) * 3)
    return img


_URI = {"btc": "bitcoin:{v}?amount=0.0{a}", "ltc": "litecoin:{v}", "eth": "ethereum:{v}",
        "trx": "tron:{v}", "ton": "ton://transfer/{v}?amount={a}000000000", "xmr": "monero:{v}"}


def qr(kind: str, value: str, rnd: random.Random, font: str) -> Image.Image:
    """A QR code of the address (or payment URI) with a caption, as wallets show it."""
    import zxingcpp

    payload = _URI.get(kind, "{v}").format(v=value, a=rnd.randrange(1, 9)) if rnd.random() < 0.7 else value
    bm = zxingcpp.write_barcode_to_image(zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.QRCode), scale=4)
    code = Image.fromarray(np.array(bm)).convert("RGB").resize((300, 300), Image.Resampling.NEAREST)
    img = Image.new("RGB", (420, 420), "white")
    img.paste(code, (60, 20))
    ImageDraw.Draw(img).text((60, 340), f"Сканируйте для оплаты ({kind.upper()})", font=_font(font, 18), fill="black")
    return img


def generate(n: int = 120, seed: int = 11) -> list[Rendered]:
    """`n` images cycling through styles, kinds, fonts and sizes; deterministic for a seed."""
    rnd = random.Random(seed)
    vals = Values(rnd)
    text_kinds = ["card", "card", "iban", "phone", "btc", "trx", "eth", "ltc", "ton", "xmr"]
    qr_kinds = ["btc", "trx", "eth", "ltc", "ton", "xmr"]
    out: list[Rendered] = []
    for i in range(n):
        style = STYLES[i % len(STYLES)]
        font = FONTS[(i // len(STYLES)) % len(FONTS)]
        if style == "card_photo":
            kind, value = "card", vals.card()
        else:
            kind = (qr_kinds if style == "qr" else text_kinds)[(i // len(STYLES)) % (len(qr_kinds) if style == "qr" else len(text_kinds))]
            value = getattr(vals, kind)()
        if style == "screenshot":
            img = screenshot(kind, value, rnd, font)
        elif style == "card_photo":
            img = card_photo(value, rnd, font)
        elif style == "chat":
            img = chat(kind, value, rnd, font)
        elif style == "noisy":
            img = noisy(kind, value, rnd, font)
        else:
            img = qr(kind, value, rnd, font)
        data, ext = _encode(img, rnd, jpeg=style in ("card_photo", "screenshot") and rnd.random() < 0.6)
        out.append(Rendered(f"{i:03d}_{style}_{kind}.{ext}", data, style, [(kind, value)]))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("--images", type=int, default=120)
    ap.add_argument("--seed", type=int, default=11)
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "expected.jsonl").open("w", encoding="utf-8") as fh:
        for r in generate(args.images, args.seed):
            (args.out / r.name).write_bytes(r.data)
            fh.write(json.dumps({"file": r.name, "style": r.style,
                                 "expected": [{"kind": k, "value": v} for k, v in r.expected]}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
