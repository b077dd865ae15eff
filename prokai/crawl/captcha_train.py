"""Train the crawler's image-captcha reader (`prokai/crawl/captcha_model.py`) on pictures drawn by
the real `captcha` library (ImageCaptcha), on the CPU, and write `models/captcha/`.

    python -m prokai.crawl.captcha_train [--out models/captcha] [--images N] [--epochs E]

Training pictures come from their own seed (never 11, the card's, nor the tests'): sizes, font
sizes and 4–6 characters (a few 3 and 7) of the sandbox alphabet as the sandbox draws them, one
font per picture from the sandbox's fonts (the library's DroidSansMono and DejaVu bold faces) and
other installed DejaVu faces. Two font families are held out of training entirely (DejaVu Serif
Condensed and matplotlib's STIX General) and only scored, so the figures show how the reader
does on a font it never saw. Figures are measured on a validation split of fresh pictures.
Deterministic given the seed and the number of threads.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from prokai.crawl.captcha_model import CRNN, HEIGHT, WEIGHTS, WIDTH, decode, preprocess
from prokai.sandbox.shops.captcha import _IMAGE_ALPHABET, available_fonts

TRAIN_SEED = 20261207
VAL_SEED = 7_000_001
HELDOUT_SEED = 7_000_002
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# Faces a shop bot might pick besides the sandbox's: same families, other weights and slants.
EXTRA_FACES = ("DejaVuSans.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf",
               "DejaVuSansMono-BoldOblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-BoldItalic.ttf",
               "DejaVuSansCondensed-Bold.ttf", "DejaVuSansCondensed.ttf")
HELDOUT_FACES = ("DejaVuSerifCondensed-Bold.ttf", "STIXGeneralBol.ttf")
LENGTHS, LENGTH_WEIGHTS = (3, 4, 5, 6, 7), (1, 4, 4, 4, 1)


def training_fonts() -> tuple[list[str], list[str]]:
    """(the sandbox's fonts, other installed faces used in training)."""
    extra = [str(DEJAVU / f) for f in EXTRA_FACES if (DEJAVU / f).is_file()]
    return available_fonts(), extra


def heldout_fonts() -> dict[str, str]:
    """The held-out families' files that are installed, by family name."""
    out = {}
    condensed = DEJAVU / HELDOUT_FACES[0]
    if condensed.is_file():
        out["DejaVu Serif Condensed Bold"] = str(condensed)
    try:
        import matplotlib

        stix = Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / HELDOUT_FACES[1]
        if stix.is_file():
            out["STIX General Bold"] = str(stix)
    except ImportError:
        pass
    return out


@lru_cache(maxsize=128)
def _generator(width: int, height: int, font: str) -> Any:
    from captcha.image import ImageCaptcha

    return ImageCaptcha(width=width, height=height, fonts=[font], font_sizes=tuple(int(height * f) for f in (0.7, 0.78, 0.85)))


def draw(text: str, font: str, rng: random.Random) -> Any:
    """`text` drawn by ImageCaptcha as the sandbox draws it (PIL picture)."""
    gen = _generator(rng.choice((160, 200, 240)), rng.choice((60, 70, 80)), font)
    state = random.getstate()
    random.seed(rng.getrandbits(32))  # ImageCaptcha draws with the global random module
    try:
        return gen.generate_image(text)
    finally:
        random.setstate(state)


def make_set(count: int, seed: int, fonts: list[str], extra: list[str] | None = None, extra_share: float = 0.0,
             lengths: tuple[int, ...] = LENGTHS, weights: tuple[int, ...] = LENGTH_WEIGHTS) -> tuple[np.ndarray, list[str]]:
    """`count` pictures (uint8, count×32×128) and their texts."""
    rng = random.Random(seed)
    xs = np.empty((count, HEIGHT, WIDTH), dtype=np.uint8)
    texts = []
    for i in range(count):
        n = rng.choices(lengths, weights)[0]
        text = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(n))
        font = rng.choice(extra) if extra and rng.random() < extra_share else rng.choice(fonts)
        xs[i] = ((preprocess(draw(text, font, rng))[0].numpy() + 1.0) * 127.5).round().astype(np.uint8)
        texts.append(text)
    return xs, texts


def _batch(xs: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(xs.astype(np.float32) / 127.5 - 1.0)[:, None]


def exact_rate(net: CRNN, xs: np.ndarray, texts: list[str], alphabet: str) -> float:
    """Share of pictures read exactly."""
    net.eval()
    right = 0
    with torch.inference_mode():
        for i in range(0, len(texts), 256):
            scores = net(_batch(xs[i:i + 256]))
            right += sum(decode(s, alphabet)[0] == t for s, t in zip(scores, texts[i:i + 256], strict=True))
    net.train()
    return right / max(1, len(texts))


def train(out: Path, images: int, epochs: int, seed: int = TRAIN_SEED, minutes: float = 30.0,
          batch: int = 64, extra_share: float = 0.3, max_steps: int = 0) -> dict[str, Any]:
    """Generate, train, score on the validation and held-out sets, write `out`; the figures."""
    t0 = time.time()
    torch.manual_seed(seed)
    alphabet = _IMAGE_ALPHABET
    fonts, extra = training_fonts()
    xs, texts = make_set(images, seed, fonts, extra, extra_share)
    val_x, val_t = make_set(1000, VAL_SEED, fonts, lengths=(4, 5, 6), weights=(1, 1, 1))
    held = {name: make_set(500, HELDOUT_SEED, [path], lengths=(4, 5, 6), weights=(1, 1, 1))
            for name, path in heldout_fonts().items()}
    gen_s = time.time() - t0
    print(f"generated {images} training pictures in {gen_s:.0f} s", flush=True)
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    targets = [torch.tensor([index[c] for c in t]) for t in texts]
    net = CRNN(len(alphabet) + 1)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    steps = epochs * (images // batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.15)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    order_rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    best, best_state, step, log = -1.0, None, 0, []
    deadline = t0 + minutes * 60 if minutes > 0 else float("inf")

    def spent() -> bool:  # the time budget, or the step count that replays a budgeted run exactly
        return time.time() > deadline or 0 < max_steps <= step
    for epoch in range(epochs):
        order = order_rng.permutation(images)
        for j in range(0, images - batch + 1, batch):
            ids = order[j:j + batch]
            scores = net(_batch(xs[ids]))  # (b, frames, classes)
            logp = scores.log_softmax(-1).permute(1, 0, 2)
            tgt = [targets[i] for i in ids]
            loss = ctc(logp, torch.cat(tgt), torch.full((len(ids),), logp.shape[0], dtype=torch.long),
                       torch.tensor([len(t) for t in tgt]))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(net.parameters(), 5.0)
            opt.step()
            sched.step()
            step += 1
            if step % 200 == 0:
                print(f"epoch {epoch} step {step}/{steps} loss {loss.item():.3f} {time.time() - t0:.0f} s", flush=True)
            if spent():
                break
        rate = exact_rate(net, val_x, val_t, alphabet)
        log.append({"epoch": epoch, "step": step, "val_exact": round(rate, 4), "seconds": round(time.time() - t0)})
        print(f"epoch {epoch}: validation exact {rate:.3f}", flush=True)
        if rate > best:
            best, best_state = rate, {k: v.detach().clone() for k, v in net.state_dict().items()}
            _write(out, best_state, alphabet, {})
        if spent():
            print("budget spent: keeping the best checkpoint", flush=True)
            break
    assert best_state is not None
    net.load_state_dict(best_state)
    figures = {
        "validation_exact": round(best, 4),
        "validation_count": len(val_t),
        "heldout_font_exact": {name: round(exact_rate(net, hx, ht, alphabet), 4) for name, (hx, ht) in held.items()},
        "heldout_count": 500,
        "epochs_run": len(log),
        "steps": step,
        "train_seconds": round(time.time() - t0),
        "log": log,
    }
    data = {
        "images": images, "seed": seed, "validation_seed": VAL_SEED, "heldout_seed": HELDOUT_SEED,
        "generator": "captcha.image.ImageCaptcha (captcha 0.7), width 160/200/240, height 60/70/80, "
                     "font sizes 0.7/0.78/0.85 of the height, one font per picture",
        "lengths": dict(zip(LENGTHS, LENGTH_WEIGHTS, strict=True)),
        "sandbox_fonts": [Path(f).name for f in fonts],
        "extra_fonts": [Path(f).name for f in extra], "extra_share": extra_share,
        "heldout_fonts": {name: Path(p).name for name, p in heldout_fonts().items()},
    }
    _write(out, best_state, alphabet, {"training_data": data, "figures": figures})
    return figures


def _write(out: Path, state: dict[str, torch.Tensor], alphabet: str, extra: dict[str, Any]) -> None:
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, out / WEIGHTS)
    config = {"weights": WEIGHTS, "alphabet": alphabet, "input": {"height": HEIGHT, "width": WIDTH, "grey": True,
              "scale": "x / 127.5 - 1"}, "hidden": 128, "architecture": "CRNN: 5 conv (32-64-128-128-192) + BiGRU 128 + CTC",
              "dtype": "float16", **extra}
    (out / "config.json").write_text(json.dumps(config, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("models/captcha"))
    parser.add_argument("--images", type=int, default=50000)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=TRAIN_SEED)
    parser.add_argument("--minutes", type=float, default=30.0, help="stop after this long (0: no limit), keeping the best epoch")
    parser.add_argument("--max-steps", type=int, default=0, help="stop after this many batches (0: all epochs)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    figures = train(args.out, args.images, args.epochs, args.seed, args.minutes, max_steps=args.max_steps)
    print(json.dumps({k: v for k, v in figures.items() if k != "log"}, indent=1))


if __name__ == "__main__":
    main()
