"""Train the crawler's image-captcha reader (`prokai/crawl/captcha_model.py`) on pictures drawn by
the real `captcha` library (ImageCaptcha), on the CPU, and write `models/captcha/` (weights,
`config.json` and the model card `README.md`, all from the run's own figures).

    nice -n 10 python -m prokai.crawl.captcha_train [--out models/captcha] [--images N] [--epochs E]
        [--max-steps S] [--minutes M] [--threads T] [--cache DIR]
    python -m prokai.crawl.captcha_train --render [--out models/captcha] [--pilot RUN_DIR ...]
        # README.md from config.json (and pilots.json, summarized from the pilot runs' folders)

The model's alphabet is its own (`captcha_model.ALPHABET`: A–Z and 0–9, what shop bots draw).
Training pictures come from their own seed (never 11, the card's, nor the tests'): sizes, font
sizes and 4–6 characters (a few 3 and 7) drawn uniformly from the alphabet, one font per picture
from the sandbox's fonts (the library's DroidSansMono and DejaVu bold faces) and other installed
DejaVu faces; in a share of the pictures each letter is drawn in lowercase with even odds,
labelled in uppercase (the reader folds case). Two font families are held out of training
entirely (DejaVu Serif Condensed and matplotlib's STIX General) and only scored, so the figures
show how the reader does on a font it never saw. Figures are measured on fresh pictures of other
seeds: the full alphabet, the alphabet without the look-alikes I, O, Q, 0, 1 (the one the sandbox
draws), mixed case, and the held-out fonts, with the character confusions of each.
The texts, sizes and fonts follow the seeds; the drawing does not: captcha 0.7 places, warps and
colours glyphs and noise with `secrets`, which no seed reaches, so a rerun draws other pictures
and its figures differ within their sampling error.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from prokai.crawl.captcha_model import ALPHABET, CRNN, HEIGHT, WEIGHTS, WIDTH, decode, preprocess

TRAIN_SEED = 20261207
VAL_SEED = 7_000_001
HELDOUT_SEED = 7_000_002
TEST_SEED = 7_000_011
# The alphabet without the characters that look alike in many fonts (I/1, O/0/Q): what many
# captcha generators draw, the sandbox's shops included. Scored on its own.
LOOKALIKES = "IOQ01"
NO_LOOKALIKES = "".join(c for c in ALPHABET if c not in LOOKALIKES)
# Character pairs that are one glyph or nearly in some fonts: their confusions are reported by name.
AMBIGUOUS_PAIRS = (("O", "0"), ("I", "1"), ("O", "Q"), ("I", "L"), ("S", "5"), ("B", "8"), ("Z", "2"))
DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
# Faces a shop bot might pick besides the sandbox's: same families, other weights and slants.
EXTRA_FACES = ("DejaVuSans.ttf", "DejaVuSans-Oblique.ttf", "DejaVuSans-BoldOblique.ttf", "DejaVuSansMono.ttf",
               "DejaVuSansMono-BoldOblique.ttf", "DejaVuSerif.ttf", "DejaVuSerif-BoldItalic.ttf",
               "DejaVuSansCondensed-Bold.ttf", "DejaVuSansCondensed.ttf")
HELDOUT_FACES = ("DejaVuSerifCondensed-Bold.ttf", "STIXGeneralBol.ttf")
LENGTHS, LENGTH_WEIGHTS = (3, 4, 5, 6, 7), (1, 4, 4, 4, 1)
EVAL_LENGTHS, EVAL_WEIGHTS = (4, 5, 6), (1, 1, 1)
PILOTS = "pilots.json"
GENERATOR = ("captcha.image.ImageCaptcha (captcha 0.7), width 160/200/240, height 60/70/80, "
             "font sizes 0.7/0.78/0.85 of the height, one font per picture")


def training_fonts() -> tuple[list[str], list[str]]:
    """(the sandbox's fonts, other installed faces used in training)."""
    from prokai.sandbox.shops.captcha import available_fonts

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
    random.seed(rng.getrandbits(32))  # captcha < 0.7 drew with the global random module; 0.7 uses `secrets`, unseeded
    try:
        return gen.generate_image(text)
    finally:
        random.setstate(state)


def make_set(count: int, seed: int, fonts: list[str], extra: list[str] | None = None, extra_share: float = 0.0,
             lengths: tuple[int, ...] = LENGTHS, weights: tuple[int, ...] = LENGTH_WEIGHTS,
             alphabet: str = ALPHABET, lower_share: float = 0.0,
             cache: Path | None = None) -> tuple[np.ndarray, list[str]]:
    """`count` pictures (uint8, count×32×128) and their texts (in uppercase). In a `lower_share`
    of the pictures each letter is drawn in lowercase with even odds. With `cache`, the set is
    kept there as a file named by its parameters and read back instead of drawn again."""
    key = json.dumps([count, seed, [Path(f).name for f in fonts], [Path(f).name for f in extra or []], extra_share,
                      lengths, weights, alphabet, lower_share, GENERATOR])
    path = cache / f"set-{hashlib.sha256(key.encode()).hexdigest()[:16]}.npz" if cache else None
    if path is not None and path.is_file():
        saved = np.load(path)
        return saved["xs"], [str(t) for t in saved["texts"]]
    rng = random.Random(seed)
    xs = np.empty((count, HEIGHT, WIDTH), dtype=np.uint8)
    texts = []
    for i in range(count):
        n = rng.choices(lengths, weights)[0]
        text = "".join(rng.choice(alphabet) for _ in range(n))
        drawn = text
        if lower_share and rng.random() < lower_share:
            drawn = "".join(c.lower() if c.isalpha() and rng.random() < 0.5 else c for c in text)
        font = rng.choice(extra) if extra and rng.random() < extra_share else rng.choice(fonts)
        xs[i] = ((preprocess(draw(drawn, font, rng))[0].numpy() + 1.0) * 127.5).round().astype(np.uint8)
        texts.append(text)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(path, xs=xs, texts=np.array(texts))
    return xs, texts


def _batch(xs: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(xs.astype(np.float32) / 127.5 - 1.0)[:, None]


def readings(net: CRNN, xs: np.ndarray, alphabet: str) -> list[str]:
    """The network's reading of each picture."""
    was_training = net.training
    net.eval()
    out: list[str] = []
    with torch.inference_mode():
        for i in range(0, len(xs), 256):
            out += [decode(s, alphabet)[0] for s in net(_batch(xs[i:i + 256]))]
    net.train(was_training)
    return out


def exact_rate(net: CRNN, xs: np.ndarray, texts: list[str], alphabet: str) -> float:
    """Share of pictures read exactly."""
    return sum(r == t for r, t in zip(readings(net, xs, alphabet), texts, strict=True)) / max(1, len(texts))


def score(read: list[str], texts: list[str]) -> dict[str, Any]:
    """Exact share, and the character confusions of the readings of the right length (position by
    position): how often each true character was seen there and what it was read as."""
    seen: Counter[str] = Counter()
    confused: Counter[tuple[str, str]] = Counter()
    wrong_length = 0
    for r, t in zip(read, texts, strict=True):
        if len(r) != len(t):
            wrong_length += 1
            continue
        seen.update(t)
        confused.update((a, b) for a, b in zip(t, r, strict=True) if a != b)
    top = [{"true": a, "read": b, "count": n, "of": seen[a], "rate": round(n / seen[a], 4)}
           for (a, b), n in sorted(confused.items(), key=lambda kv: (-kv[1], kv[0]))[:8]]
    chars = set("".join(texts))
    pairs = {f"{a}->{b}": f"{confused[a, b]}/{seen[a]}" for x, y in AMBIGUOUS_PAIRS for a, b in ((x, y), (y, x))
             if a in chars and b in chars}
    return {"count": len(texts), "exact": round(sum(r == t for r, t in zip(read, texts, strict=True)) / max(1, len(texts)), 4),
            "wrong_length": wrong_length, "characters": sum(seen.values()),
            "char_errors": sum(confused.values()), "top_confusions": top, "ambiguous_pairs": pairs}


def train(out: Path, images: int, epochs: int, seed: int = TRAIN_SEED, minutes: float = 44.0,
          batch: int = 64, extra_share: float = 0.3, max_steps: int = 0, lower_share: float = 0.25,
          eval_every: int = 400, threads: int = 1, cache: Path | None = None) -> dict[str, Any]:
    """Generate, train, score on the validation, test and held-out sets, write `out` (weights,
    config.json, README.md); the figures. The learning rate's one cycle spans `max_steps` when
    given, else all epochs; the time budget only stops a run early (the best checkpoint is kept)."""
    t0 = time.time()
    torch.manual_seed(seed)
    alphabet = ALPHABET
    fonts, extra = training_fonts()
    xs, texts = make_set(images, seed, fonts, extra, extra_share, lower_share=lower_share, cache=cache)
    val_x, val_t = make_set(1000, VAL_SEED, fonts, lengths=EVAL_LENGTHS, weights=EVAL_WEIGHTS, cache=cache)
    tests = {
        "full alphabet": make_set(1000, TEST_SEED, fonts, lengths=EVAL_LENGTHS, weights=EVAL_WEIGHTS, cache=cache),
        "without look-alikes (sandbox alphabet)": make_set(1000, TEST_SEED + 1, fonts, lengths=EVAL_LENGTHS,
                                                           weights=EVAL_WEIGHTS, alphabet=NO_LOOKALIKES, cache=cache),
        "mixed case (letters lowercase with even odds, read case-folded)": make_set(
            1000, TEST_SEED + 2, fonts, lengths=EVAL_LENGTHS, weights=EVAL_WEIGHTS, lower_share=1.0, cache=cache),
    }
    held = {(name, label): make_set(500, HELDOUT_SEED + k, [path], lengths=EVAL_LENGTHS, weights=EVAL_WEIGHTS,
                                    alphabet=abc, cache=cache)
            for name, path in heldout_fonts().items()
            for k, (label, abc) in enumerate((("full alphabet", ALPHABET), ("without look-alikes", NO_LOOKALIKES)))}
    gen_s = time.time() - t0
    print(f"generated {images} training pictures and the scoring sets in {gen_s:.0f} s", flush=True)
    index = {c: i + 1 for i, c in enumerate(alphabet)}
    targets = [torch.tensor([index[c] for c in t]) for t in texts]
    net = CRNN(len(alphabet) + 1)
    opt = torch.optim.AdamW(net.parameters(), lr=2e-3, weight_decay=1e-4)
    per_epoch = images // batch
    steps = min(epochs * per_epoch, max_steps) if max_steps > 0 else epochs * per_epoch
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=2e-3, total_steps=steps, pct_start=0.15)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    order_rng = np.random.default_rng(seed)
    out.mkdir(parents=True, exist_ok=True)
    partial = out / (WEIGHTS + ".partial")
    best, best_state, step, log = -1.0, None, 0, []
    deadline = t0 + minutes * 60 if minutes > 0 else float("inf")
    cut = False

    def checkpoint(epoch: int) -> None:
        nonlocal best, best_state
        rate = exact_rate(net, val_x, val_t, alphabet)
        log.append({"epoch": epoch, "step": step, "val_exact": round(rate, 4), "seconds": round(time.time() - t0)})
        print(f"epoch {epoch} step {step}: validation exact {rate:.3f}", flush=True)
        if rate > best:
            best, best_state = rate, {k: v.detach().clone() for k, v in net.state_dict().items()}
            torch.save({k: v.half() if v.is_floating_point() else v for k, v in best_state.items()}, partial)

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
            if step % 100 == 0:
                print(f"epoch {epoch} step {step}/{steps} loss {loss.item():.3f} {time.time() - t0:.0f} s", flush=True)
            if step >= steps:
                break
            if time.time() > deadline:
                cut = True
                break
            if eval_every and step % eval_every == 0 and step >= steps // 2:
                checkpoint(epoch)
        checkpoint(epoch)
        if cut or step >= steps:
            if cut:
                print("time budget spent: keeping the best checkpoint", flush=True)
            break
    assert best_state is not None
    net.load_state_dict(best_state)
    figures: dict[str, Any] = {
        "validation_exact": round(best, 4),
        "validation_count": len(val_t),
        "test": {name: score(readings(net, tx, alphabet), tt) for name, (tx, tt) in tests.items()},
        "heldout_fonts": {f"{name}, {label}": score(readings(net, hx, alphabet), ht)
                          for (name, label), (hx, ht) in held.items()},
        "steps": step,
        "steps_planned": steps,
        "cut_by_time": cut,
        "generation_seconds": round(gen_s),
        "train_seconds": round(time.time() - t0),
        "threads": threads,
        "log": log,
    }
    data = {
        "images": images, "seed": seed, "validation_seed": VAL_SEED, "test_seed": TEST_SEED,
        "heldout_seed": HELDOUT_SEED, "generator": GENERATOR,
        "lengths": dict(zip(LENGTHS, LENGTH_WEIGHTS, strict=True)),
        "lowercase_share": lower_share,
        "sandbox_fonts": [Path(f).name for f in fonts],
        "extra_fonts": [Path(f).name for f in extra], "extra_share": extra_share,
        "heldout_fonts": {name: Path(p).name for name, p in heldout_fonts().items()},
        "batch": batch, "epochs": epochs, "max_steps": max_steps,
    }
    _write(out, best_state, alphabet, {"training_data": data, "figures": figures})
    partial.unlink(missing_ok=True)
    return figures


def _write(out: Path, state: dict[str, torch.Tensor], alphabet: str, extra: dict[str, Any]) -> None:
    torch.save({k: v.half() if v.is_floating_point() else v for k, v in state.items()}, out / WEIGHTS)
    config = {"weights": WEIGHTS, "alphabet": alphabet, "case": "folded: lowercase letters are read as uppercase",
              "input": {"height": HEIGHT, "width": WIDTH, "grey": True, "scale": "x / 127.5 - 1"}, "hidden": 128,
              "architecture": "CRNN: 5 conv (32-64-128-128-192) + BiGRU 128 + CTC", "dtype": "float16", **extra}
    (out / "config.json").write_text(json.dumps(config, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "README.md").write_text(card_text(out), encoding="utf-8")


def card_text(out: Path) -> str:
    """The model card for the run written in `out` (its config.json, weights and, when recorded,
    pilots.json)."""
    config = json.loads((out / "config.json").read_text(encoding="utf-8"))
    pilots_file = out / PILOTS
    pilots = json.loads(pilots_file.read_text(encoding="utf-8")) if pilots_file.is_file() else None
    return render_card(config, (out / config["weights"]).stat().st_size, pilots)


def record_pilots(out: Path, runs: list[Path]) -> dict[str, Any]:
    """Summarize short training runs written in `runs` (their config.json) into `out`/pilots.json:
    the measurements a training choice was made on."""
    summary: dict[str, Any] = {}
    for run in runs:
        config = json.loads((run / "config.json").read_text(encoding="utf-8"))
        data, fig = config["training_data"], config["figures"]
        summary[f"lowercase share {data.get('lowercase_share', 0.0)}"] = {
            "images": data["images"], "steps": fig["steps"], "lowercase_share": data.get("lowercase_share", 0.0),
            "validation_exact": fig["validation_exact"],
            "exact": {name: s["exact"] for name, s in [*fig["test"].items(), *fig["heldout_fonts"].items()]},
            "O->0": {name: s["ambiguous_pairs"].get("O->0") for name, s in fig["heldout_fonts"].items()
                     if "O->0" in s["ambiguous_pairs"]} | {"full alphabet": fig["test"]["full alphabet"]["ambiguous_pairs"]["O->0"]},
        }
    (out / PILOTS).write_text(json.dumps(summary, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return summary


def _pct(x: float) -> str:
    return f"{x:.1%}"


def render_card(config: dict[str, Any], weight_bytes: int, pilots: dict[str, Any] | None = None) -> str:
    """The model card (`models/captcha/README.md`) from a run's `config.json` and the pilot runs'
    summary (`record_pilots`) when there is one."""
    data, fig = config.get("training_data", {}), config.get("figures", {})
    alphabet = config["alphabet"]
    checkpoints = ", ".join(f"step {e['step']} {_pct(e['val_exact'])}" for e in fig.get("log", []))
    lines = [
        "# models/captcha: the crawler's image-captcha reader", "",
        "Written by `python -m prokai.crawl.captcha_train` from the run's own figures (`config.json`); "
        "do not edit by hand (`--render` rewrites it from `config.json`).", "",
        f"A small CRNN (five 3×3 convolutions 32-64-128-128-192 with batch norm, a bidirectional GRU of "
        f"{config.get('hidden', 128)}, CTC over the {len(alphabet)} characters `{alphabet}`: its own alphabet, "
        "`captcha_model.ALPHABET`), stored in float16: "
        f"`{config['weights']}` ({weight_bytes / 1e6:.1f} MB) and `config.json`. Case is folded: lowercase "
        "letters are read as their uppercase class, and the crawler answers in uppercase. Loaded by "
        "`prokai/crawl/captcha_model.py`; the crawler asks it first for image captchas (`solve_image_crnn` "
        "in `prokai/crawl/captcha.py`) and falls back to ddddocr's vote without it.", ""]
    if not data:
        return "\n".join([*lines, "(no training run recorded)", ""])
    lines += [
        "## Data", "",
        f"{data['images']} pictures drawn by the real `captcha` library: {data['generator']}; lengths "
        f"{', '.join(f'{k}: {v}' for k, v in data['lengths'].items())} (relative weights), characters drawn "
        f"uniformly from the alphabet. In {data['lowercase_share']:.0%} of the pictures each letter is drawn "
        "in lowercase with even odds (labelled in uppercase). Fonts: the sandbox's ("
        f"{', '.join(data['sandbox_fonts'])}) and, for {data['extra_share']:.0%} of the pictures, other "
        f"installed faces ({', '.join(data['extra_fonts'])}). Held out of training entirely, only scored: "
        f"{', '.join(f'**{k}** ({v})' for k, v in data['heldout_fonts'].items())}. Seeds: training "
        f"{data['seed']}, validation {data['validation_seed']}, tests {data['test_seed']}–{data['test_seed'] + 2}, "
        f"held-out fonts {data['heldout_seed']}–{data['heldout_seed'] + 1}; none of them the crawler card's "
        "(11, 13) or the tests' (4040404, 5050505, 6060606).", "",
        "## Training", "",
        f"    nice -n 10 python -m prokai.crawl.captcha_train --images {data['images']} --epochs {data['epochs']}"
        f" --max-steps {data['max_steps']} --lower-share {data['lowercase_share']} --threads {fig['threads']}", "",
        f"CPU, {fig['threads']} thread(s), AdamW with a one-cycle learning rate over {fig['steps_planned']} "
        f"steps, batch {data['batch']}. The run took {fig['train_seconds']} s ({fig['generation_seconds']} s of "
        f"drawing) on a shared 2-core machine and ran {fig['steps']} steps"
        + (" before its time budget cut it (the best checkpoint is kept)" if fig["cut_by_time"] else "")
        + ". The texts, sizes and fonts follow the seeds, the drawing does not (captcha 0.7 places and warps "
        "glyphs with `secrets`): a rerun trains on other pictures and scores other ones, its figures within "
        "their sampling error of these (about ±0.8 points on 1000 pictures at 93 %, ±1.5 on 500). Validation (training fonts, full alphabet) by "
        f"checkpoint: {checkpoints}.", "",
        "## Figures (written by the training run, on its own fresh pictures)", "",
        "Exact: the whole text read right. Character errors: wrong characters in readings of the right "
        "length; wrong length: readings with a character missing or extra.", "",
        "| set | pictures | exact | wrong length | character errors |", "|---|---|---|---|---|",
        f"| validation (training fonts, full alphabet) | {fig['validation_count']} | {_pct(fig['validation_exact'])} | | |"]
    sets = [(f"test: {k}", v) for k, v in fig["test"].items()] + [
        (f"held-out font {k}", v) for k, v in fig["heldout_fonts"].items()]
    lines += [f"| {name} | {s['count']} | {_pct(s['exact'])} | {s['wrong_length']} | {s['char_errors']}/{s['characters']} |"
              for name, s in sets]
    lines += ["", "## Confusions", "",
              "Look-alike pairs, as `true->read times/occurrences` of the true character in readings of the "
              "right length (O/0 and I/1 always, where both occur in the set; the other pairs of "
              f"{', '.join('/'.join(p) for p in AMBIGUOUS_PAIRS[2:])} only when confused at least once):", ""]
    for name, s in sets:
        shown = {k: v for k, v in s["ambiguous_pairs"].items() if k[0] in "OI01" or not v.startswith("0/")}
        pairs = ", ".join(f"{k} {v}" for k, v in shown.items()) or "none"
        top = ", ".join(f"{c['true']}->{c['read']} {c['count']}/{c['of']}" for c in s["top_confusions"][:5]) or "none"
        lines.append(f"- **{name}**: pairs {pairs}; most frequent confusions {top}.")
    if pilots:
        names = list(next(iter(pilots.values()))["exact"])
        lines += ["", "## Lowercase in the training pictures: the pilot runs it was decided on", "",
                  "Short runs of the same script, alike but for the share of training pictures with lowercase "
                  "letters (" + ", ".join(f"{k}: {v['images']} pictures, {v['steps']} steps" for k, v in pilots.items())
                  + "), scored on sets of the same seeds as above (the same texts, fonts and sizes, drawn anew). One run "
                  "each: differences under about 2 points on 1000 pictures, 3 on 500, are within sampling error.", "",
                  "| set | " + " | ".join(pilots) + " |", "|---|" + "---|" * len(pilots)]
        lines += [f"| {name} | " + " | ".join(_pct(v["exact"][name]) for v in pilots.values()) + " |" for name in names]
        lines += ["| O->0, full alphabet | " + " | ".join(v["O->0"]["full alphabet"] for v in pilots.values()) + " |"]
        runs = list(pilots.values())
        if len(runs) >= 2:
            a, b = runs[0], runs[-1]
            diff = ", ".join(f"{name} {100 * (b['exact'][name] - a['exact'][name]):+.1f}" for name in names)
            lines += ["", f"Points gained with a lowercase share of {b['lowercase_share']} over {a['lowercase_share']}: "
                      f"{diff}. This run's share: {data.get('lowercase_share', 0.0)}."]
    lines += ["", "## Licence", "",
              "Trained by the project on pictures it generated itself. The `captcha` library (and its "
              "DroidSansMono font, Apache 2.0) is BSD-licensed; DejaVu fonts are under the Bitstream Vera "
              "licence, STIX fonts under the SIL Open Font Licence.", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: see the module docstring."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("models/captcha"))
    parser.add_argument("--images", type=int, default=60000)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=TRAIN_SEED)
    parser.add_argument("--minutes", type=float, default=44.0, help="stop after this long (0: no limit), keeping the best checkpoint")
    parser.add_argument("--max-steps", type=int, default=0, help="the learning-rate cycle's and the run's length in batches (0: all epochs)")
    parser.add_argument("--lower-share", type=float, default=0.25, help="share of training pictures with lowercase letters")
    parser.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    parser.add_argument("--cache", type=Path, default=None, help="keep the drawn picture sets here and reuse them")
    parser.add_argument("--render", action="store_true", help="only rewrite README.md from the config.json in --out")
    parser.add_argument("--pilot", type=Path, action="append", default=[],
                        help="with --render: a pilot run's folder to summarize into pilots.json (repeat)")
    args = parser.parse_args(argv)
    if args.render:
        if args.pilot:
            record_pilots(args.out, args.pilot)
        (args.out / "README.md").write_text(card_text(args.out), encoding="utf-8")
        return
    torch.set_num_threads(args.threads)
    torch.set_num_interop_threads(args.threads)
    figures = train(args.out, args.images, args.epochs, args.seed, args.minutes, max_steps=args.max_steps,
                    lower_share=args.lower_share, threads=args.threads, cache=args.cache)
    json.dump({k: v for k, v in figures.items() if k != "log"}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
