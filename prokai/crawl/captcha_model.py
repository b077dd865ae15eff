"""The project's own image-captcha reader: a small CRNN (convolutions, a bidirectional GRU, CTC)
trained by `python -m prokai.crawl.captcha_train` on pictures drawn by the `captcha` library's
ImageCaptcha, shipped in `models/captcha/` (weights in float16 and `config.json`).

The model is loaded lazily, once per process, on the CPU; without `models/captcha/` (or without
torch) `read` returns None and the crawler falls back to ddddocr.
"""

from __future__ import annotations

import io
import json
import threading
from functools import lru_cache
from pathlib import Path
from typing import Any

import torch
from torch import nn

MODEL_DIR = Path(__file__).resolve().parents[2] / "models" / "captcha"
WEIGHTS = "crnn.pt"
HEIGHT, WIDTH = 32, 128
# The characters the network is trained to read: what shop bots draw with ImageCaptcha (uppercase
# Latin letters and digits). Lowercase letters are read as their uppercase class (the training
# pictures include some, labelled folded): the crawler answers image captchas in uppercase.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
# From this best-path probability up the CRNN answers alone; below it the ddddocr vote is asked
# too (prokai/crawl/captcha.py). The probability is a product over 32 frames, low even for many
# right readings; no ImageCaptcha-unlike picture (the sandbox's classic renderer) reached 0.95.
SURE_CONFIDENCE = 0.95
_lock = threading.Lock()


def _block(cin: int, cout: int, pool: int | tuple[int, int] | None) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]
    if pool:
        layers.append(nn.MaxPool2d(pool))
    return layers


class CRNN(nn.Module):
    """32×128 grey picture → 32 frames of class scores (index 0 is the CTC blank)."""

    def __init__(self, classes: int, hidden: int = 128) -> None:
        super().__init__()
        self.cnn = nn.Sequential(*_block(1, 32, 2), *_block(32, 64, 2), *_block(64, 128, None),
                                 *_block(128, 128, (2, 1)), *_block(128, 192, (2, 1)))
        self.rnn = nn.GRU(192 * 2, hidden, bidirectional=True, batch_first=True)
        self.fc = nn.Linear(2 * hidden, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Scores shaped (batch, frames, classes)."""
        y = self.cnn(x)
        b, c, h, w = y.shape
        y, _ = self.rnn(y.permute(0, 3, 1, 2).reshape(b, w, c * h))
        return self.fc(y)


def preprocess(image: Any) -> torch.Tensor:
    """A PIL picture as the network's input (1, 32, 128), grey, scaled to [-1, 1]."""
    import numpy as np
    from PIL import Image

    grey = image.convert("L").resize((WIDTH, HEIGHT), Image.Resampling.BILINEAR)
    arr = np.asarray(grey, dtype=np.float32) / 127.5 - 1.0
    return torch.from_numpy(arr)[None]


def decode(scores: torch.Tensor, alphabet: str) -> tuple[str, float]:
    """Greedy CTC decoding of one picture's (frames, classes) scores: the text and the
    probability of the best path."""
    probs = scores.float().softmax(-1)
    best, idx = probs.max(-1)
    text, prev = "", 0
    for i in idx.tolist():
        if i != prev and i != 0:
            text += alphabet[i - 1]
        prev = i
    return text, float(best.log().sum().exp())


@lru_cache(maxsize=2)
def load(model_dir: Path = MODEL_DIR) -> tuple[CRNN, str] | None:
    """The shipped network and its alphabet, or None when `model_dir` holds none."""
    try:
        config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
        state = torch.load(model_dir / config.get("weights", WEIGHTS), map_location="cpu", weights_only=True)
    except (OSError, ValueError, RuntimeError):
        return None
    net = CRNN(len(config["alphabet"]) + 1, int(config.get("hidden", 128)))
    net.load_state_dict({k: v.float() if v.is_floating_point() else v for k, v in state.items()})
    net.eval()
    return net, str(config["alphabet"])


def read(image: bytes, model_dir: Path | None = None) -> tuple[str, float] | None:
    """The text on a captcha picture and the model's confidence in it (0..1), or None when no
    model is shipped or the bytes are not a picture."""
    from PIL import Image, UnidentifiedImageError

    model = load(model_dir or MODEL_DIR)
    if model is None:
        return None
    net, alphabet = model
    try:
        x = preprocess(Image.open(io.BytesIO(image)))[None]
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    with _lock, torch.inference_mode():
        threads = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            scores = net(x)[0]
        finally:
            torch.set_num_threads(threads)
    return decode(scores, alphabet)
