"""Pictures shops send: requisites and price lists as images, distorted-text captchas (Pillow)."""

from __future__ import annotations

import io
import random
from functools import lru_cache
from pathlib import Path

from PIL import Image as PilImage
from PIL import ImageDraw, ImageFilter, ImageFont

from prokai.sandbox.bots import Image

_FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/share/fonts/TTF")


@lru_cache(maxsize=16)
def font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans (Cyrillic and Kazakh letters) when installed, else Pillow's built-in font."""
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    for folder in _FONT_DIRS:
        path = Path(folder) / name
        if path.exists():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size=size)


def _encode(img: PilImage.Image) -> Image:
    buf = io.BytesIO()
    img.convert("RGB").save(buf, format="JPEG", quality=92)
    return Image(buf.getvalue(), img.width, img.height, "image/jpeg")


def text_image(text: str, *, size: int = 26, seed: int = 0) -> Image:
    """A card-like picture with `text` (one or more lines), lightly noised like a screenshot."""
    rng = random.Random(seed)
    f = font(size, bold=True)
    lines = text.splitlines() or [" "]
    probe = ImageDraw.Draw(PilImage.new("RGB", (1, 1)))
    widths = [int(probe.textbbox((0, 0), line, font=f)[2]) for line in lines]
    width = max(widths) + 60
    height = len(lines) * int(size * 1.5) + 50
    bg = (rng.randint(230, 250), rng.randint(230, 250), rng.randint(225, 245))
    img = PilImage.new("RGB", (width, height), bg)
    draw = ImageDraw.Draw(img)
    for _ in range(40):
        x, y = rng.randrange(width), rng.randrange(height)
        draw.point((x, y), fill=(rng.randint(150, 220),) * 3)
    for i, line in enumerate(lines):
        draw.text((30, 25 + i * int(size * 1.5)), line, font=f, fill=(25, 25, 40))
    return _encode(img)


def captcha_image(text: str, seed: int) -> Image:
    """Distorted text: letters rotated and shifted, crossing lines, dots and a slight blur."""
    rng = random.Random(seed)
    width, height = 60 + 42 * len(text), 90
    img = PilImage.new("RGB", (width, height), (rng.randint(200, 240), rng.randint(200, 240), rng.randint(200, 240)))
    for i, ch in enumerate(text):
        glyph = PilImage.new("RGBA", (60, 70), (0, 0, 0, 0))
        gd = ImageDraw.Draw(glyph)
        color = (rng.randint(0, 110), rng.randint(0, 110), rng.randint(0, 110), 255)
        gd.text((10, 5), ch, font=font(rng.randint(38, 48), bold=True), fill=color)
        glyph = glyph.rotate(rng.uniform(-28, 28), resample=PilImage.Resampling.BICUBIC, expand=False)
        img.paste(glyph, (30 + 42 * i + rng.randint(-4, 4), rng.randint(0, 18)), glyph)
    draw = ImageDraw.Draw(img)
    for _ in range(5):
        draw.line(
            [(rng.randrange(width), rng.randrange(height)) for _ in range(3)],
            fill=(rng.randint(40, 160), rng.randint(40, 160), rng.randint(40, 160)),
            width=2,
        )
    for _ in range(250):
        draw.point((rng.randrange(width), rng.randrange(height)), fill=(rng.randint(0, 255),) * 3)
    return _encode(img.filter(ImageFilter.GaussianBlur(0.6)))
