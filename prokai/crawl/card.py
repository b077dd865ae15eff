"""The crawler card (`prokai/crawl/CARD.md`): measured figures only, rendered from
`prokai/crawl/metrics.json`, which `prokai rehearse --card` (rehearsals per scenario folder and
the image-captcha reading test) and `bench/crawl.py --card` (generated shops) fill in.

    prokai rehearse --scenarios prokai/sandbox/scenarios --scenarios bench/data/crawl_heldout --card prokai/crawl/CARD.md

The image-captcha section alone: `python -m prokai.crawl.card images` (measure again, re-render).
"""

from __future__ import annotations

import json
import random
import re
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
METRICS = HERE / "metrics.json"
CARD = HERE / "CARD.md"

GOALS = {
    "heldout_shops_yield": "every held-out shop yields requisites",
    "pool_recall": ">= 95 % of offered payment pools harvested in one sweep",
    "generated_yield": ">= 98 % of generated shops yield, stuck <= 0.5 %",
    "image_exact": "captcha-library images read exactly >= 90 % per try",
    "lookalikes": "no look-alike judged a shop",
    "breaches": "zero guardrail breaches",
}


def load_metrics(path: Path = METRICS) -> dict[str, Any]:
    """The recorded figures ({} when none yet)."""
    try:
        return dict(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return {}


def update_metrics(section: str, data: dict[str, Any], path: Path = METRICS) -> dict[str, Any]:
    """Record one section's figures (stamped with the time), keeping the others."""
    metrics = load_metrics(path)
    metrics[section] = {**data, "measured_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}
    path.write_text(json.dumps(metrics, ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return metrics


def measure_image_captchas(count: int = 200, seed: int = 11, heldout_count: int = 100,
                           heldout_seed: int = 13, full_seed: int = 17) -> dict[str, Any]:
    """Read `count` captchas drawn by the `captcha` library (ImageCaptcha: several fonts, sizes
    and lengths, as the sandbox draws them) with each image solver; exact matches per try. The
    crawler's first try is what `captcha.solve` answers (`solve_image_crnn`: the CRNN, put to the
    ddddocr vote when unsure). These pictures use the sandbox's alphabet (no I, O, Q, 0, 1); then as
    many of the CRNN's whole alphabet, and `heldout_count` pictures per font family the CRNN was
    not trained on."""
    from prokai.crawl.captcha import (
        CRNN_VOTES,
        Solution,
        solve,
        solve_image,
        solve_image_crnn,
        solve_image_dddd,
        solve_image_vote,
    )
    from prokai.crawl.captcha_model import SURE_CONFIDENCE, read
    from prokai.sandbox.shops.captcha import _IMAGE_ALPHABET, available_fonts, library_image

    rng = random.Random(seed)
    solvers: dict[str, Any] = {
        "crnn": lambda b: (lambda r: r and Solution(r[0], "image-crnn"))(read(b)),
        "crnn+vote": solve_image_crnn, "ddddocr-vote": solve_image_vote,
        "ddddocr": lambda b: solve_image_dddd(b), "ddddocr-beta": lambda b: solve_image_dddd(b, beta=True)}
    right = dict.fromkeys(solvers, 0)
    first = sure = 0
    first_methods: dict[str, int] = {}
    elapsed = dict.fromkeys(solvers, 0.0)
    tess_n, tess_right, tess_time = 0, 0, 0.0
    for i in range(count):
        text = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(rng.choice((4, 5, 6))))
        image = library_image(text, rng).data
        for name, fn in solvers.items():
            t0 = time.perf_counter()
            sol = fn(image)
            elapsed[name] += time.perf_counter() - t0
            right[name] += sol is not None and sol.answer.upper() == text
        reading = read(image)
        sure += reading is not None and reading[1] >= SURE_CONFIDENCE
        sol = solve("🤖 Введите символы с картинки:", [], image)
        first += sol is not None and sol.answer.upper() == text
        if sol is not None:
            first_methods[sol.method] = first_methods.get(sol.method, 0) + 1
        if i % 10 == 0:  # Tesseract is slow: one image in ten
            t0 = time.perf_counter()
            sol = solve_image(image)
            tess_time += time.perf_counter() - t0
            tess_n += 1
            tess_right += sol is not None and sol.answer.upper() == text
    return {
        "count": count,
        "seed": seed,
        "fonts": [Path(f).name for f in available_fonts()],
        "exact_first_solver": round(first / count, 4),
        "first_try_methods": first_methods,
        "crnn_sure_confidence": SURE_CONFIDENCE,
        "crnn_votes": CRNN_VOTES,
        "crnn_sure_share": round(sure / count, 4),
        "exact": {name: round(right[name] / count, 4) for name in solvers} | {
            "tesseract": round(tess_right / tess_n, 4) if tess_n else None},
        "ms_per_image": {name: round(elapsed[name] / count * 1000, 1) for name in solvers} | {
            "tesseract": round(tess_time / tess_n * 1000, 1) if tess_n else None},
        "tesseract_sample": tess_n,
        "full_alphabet": measure_full_alphabet(count, full_seed),
        "heldout_fonts": measure_heldout_fonts(heldout_count, heldout_seed),
    }


def measure_full_alphabet(count: int = 200, seed: int = 17) -> dict[str, Any]:
    """`count` ImageCaptcha pictures (sandbox sizes and fonts, 4–6 characters) of the CRNN's whole
    alphabet (A–Z, 0–9: look-alikes I, O, Q, 0, 1 included, as real shop bots draw them): exact
    reads of the CRNN alone, the ddddocr vote and the crawler's first try, and the CRNN's O/0 and
    I/1 confusions (readings of the right length, position by position)."""
    from prokai.crawl.captcha import solve, solve_image_vote
    from prokai.crawl.captcha_model import ALPHABET, read
    from prokai.sandbox.shops.captcha import library_image

    rng = random.Random(seed)
    crnn = vote = first = 0
    seen = dict.fromkeys("OI01", 0)
    confused = dict.fromkeys(("O->0", "0->O", "I->1", "1->I"), 0)
    for _ in range(count):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.choice((4, 5, 6))))
        image = library_image(text, rng).data
        reading = read(image)
        got = reading[0] if reading is not None else ""
        crnn += got == text
        if len(got) == len(text):
            for a, b in zip(text, got, strict=True):
                if a in seen:
                    seen[a] += 1
                    if f"{a}->{b}" in confused:
                        confused[f"{a}->{b}"] += 1
        sol = solve_image_vote(image)
        vote += sol is not None and sol.answer.upper() == text
        sol = solve("🤖 Введите символы с картинки:", [], image)
        first += sol is not None and sol.answer.upper() == text
    return {"count": count, "seed": seed, "alphabet": ALPHABET, "crnn": round(crnn / count, 4),
            "ddddocr-vote": round(vote / count, 4), "first_try": round(first / count, 4),
            "crnn_confusions": {k: f"{v}/{seen[k[0]]}" for k, v in confused.items()}}


def measure_heldout_fonts(count: int = 100, seed: int = 13) -> dict[str, Any]:
    """Per font family held out of the CRNN's training: `count` ImageCaptcha pictures (sandbox
    sizes, 4–6 characters), exact reads of the CRNN, the ddddocr vote and the crawler's first try
    on the sandbox's alphabet; then as many of the CRNN's whole alphabet (CRNN, first try)."""
    from prokai.crawl.captcha import solve, solve_image_vote
    from prokai.crawl.captcha_model import ALPHABET, read
    from prokai.crawl.captcha_train import heldout_fonts
    from prokai.sandbox.shops.captcha import _IMAGE_ALPHABET, library_image
    from prokai.sandbox.shops.spec import CaptchaSpec

    out: dict[str, Any] = {}
    for family, path in heldout_fonts().items():
        rng = random.Random(seed)
        spec = CaptchaSpec(kind="image", style="library", fonts=[path])
        crnn = vote = first = 0
        for _ in range(count):
            text = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(rng.choice((4, 5, 6))))
            image = library_image(text, rng, spec).data
            reading = read(image)
            crnn += reading is not None and reading[0] == text
            sol = solve_image_vote(image)
            vote += sol is not None and sol.answer.upper() == text
            sol = solve("🤖 Введите символы с картинки:", [], image)
            first += sol is not None and sol.answer.upper() == text
        crnn_full = first_full = 0
        for _ in range(count):  # the CRNN's whole alphabet, look-alikes included
            text = "".join(rng.choice(ALPHABET) for _ in range(rng.choice((4, 5, 6))))
            image = library_image(text, rng, spec).data
            reading = read(image)
            crnn_full += reading is not None and reading[0] == text
            sol = solve("🤖 Введите символы с картинки:", [], image)
            first_full += sol is not None and sol.answer.upper() == text
        out[family] = {"file": Path(path).name, "count": count, "seed": seed, "crnn": round(crnn / count, 4),
                       "ddddocr-vote": round(vote / count, 4), "first_try": round(first / count, 4),
                       "crnn_full_alphabet": round(crnn_full / count, 4),
                       "first_try_full_alphabet": round(first_full / count, 4)}
    return out


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.1%}"


def _rehearsal_section(name: str, data: dict[str, Any]) -> list[str]:
    t = data["totals"]
    out = [f"### {name}", "", f"Measured {data.get('measured_at', '?')}, command: `{data.get('command', '')}`.", "",
           "| figure | value |", "|---|---|",
           f"| scenarios (shops / look-alikes) | {t['scenarios']} ({t['shops']} / {t['lookalikes']}) |",
           f"| live shops yielding requisites | {t['shops_yielding']} / {t['live_shops']} |",
           f"| payment pools harvested / offered | {t['pools_harvested']} / {t['pools_offered']} ({_pct(t['pool_recall'])}) |",
           f"| requisites stored / shown | {t['requisites_stored']} / {t['requisites_shown']} |",
           f"| look-alikes judged a shop | {t['lookalikes_judged_shop']} / {t['lookalikes']} |",
           f"| guardrail breaches | {t['guardrail_breaches']} |",
           f"| outcomes | {', '.join(f'{k} {v}' for k, v in t['outcomes'].items())} |",
           f"| wall time | {t['seconds']} s |", ""]
    rows = data.get("scenarios", [])
    if rows and data.get("per_scenario", True):
        out += ["| scenario | shop | outcome | pools | requisites | judged | methods |", "|---|---|---|---|---|---|---|"]
        for s in rows:
            out.append(f"| {s['id']} | {'yes' if s['is_shop'] else 'no'} | {s['outcome']} | "
                       f"{len(s['pools_harvested'])}/{len(s['pools_offered'])} | {s['stored']}/{s['shown']} | "
                       f"{'shop' if s['judged_shop'] else 'no'} | {', '.join(s['methods']) or '-'} |")
        out.append("")
    return out


def render(metrics: dict[str, Any]) -> str:
    """The whole CARD.md text."""
    out = ["# Crawler card: ProkAi dialog engine on sandbox shops", "",
           "Produced by `prokai rehearse --card` and `bench/crawl.py --card` from `prokai/crawl/metrics.json`;",
           "every figure is measured, none typed by hand. Held-out scenarios are scored only: the crawler",
           "is never tuned on them and their transcripts are not read.", ""]
    out += ["## What is measured", "",
            "- **Rehearsals** (`prokai rehearse`): one campaign per scenario folder in a fresh sandbox, links",
            "  followed two deep, 4 accounts; per scenario the payment pools the shop offers (its pools with a",
            "  payment step), the pools it actually handed a requisite from that the crawler stored, requisites",
            "  shown vs stored, and whether the crawler judged it a shop.",
            "- **Generated shops** (`bench/crawl.py`): shops generated from the shipped scenarios (other names,",
            "  cities, prices, pools), crawled by one process.",
            "- **Image captchas**: pictures drawn by the `captcha` library's ImageCaptcha with several fonts,",
            "  sizes and 4–6 characters, read by each solver once (exact match, per try).", ""]
    out += ["## Rehearsals", ""]
    sections = sorted(k for k in metrics if k.startswith("rehearsal:"))
    if not sections:
        out += ["(none recorded yet)", ""]
    for key in sections:
        out += _rehearsal_section(key.split(":", 1)[1], metrics[key])
    out += ["## Generated shops (bench/crawl.py)", ""]
    bench = metrics.get("bench")
    if bench:
        out += [f"Measured {bench.get('measured_at', '?')}, command: `{bench.get('command', '')}`.", "",
                "| figure | value |", "|---|---|"]
        out += [f"| {k} | {v} |" for k, v in bench.items() if k not in ("measured_at", "command")]
        out.append("")
    else:
        out += ["(not recorded yet)", ""]
    out += ["## Image captchas (captcha library)", ""]
    ocr = metrics.get("image_captchas")
    if ocr:
        out += [f"Measured {ocr.get('measured_at', '?')} on {ocr['count']} images (seed {ocr['seed']}, fonts "
                f"{', '.join(ocr['fonts'])}); Tesseract on every tenth image ({ocr['tesseract_sample']}). "
                "Command: `python -m prokai.crawl.card images` (also run by `prokai rehearse --card`).", "",
                "| solver | exact per try | ms per image |", "|---|---|---|"]
        for name, value in ocr["exact"].items():
            out.append(f"| {name} | {_pct(value)} | {ocr['ms_per_image'].get(name)} |")
        methods = ", ".join(f"{k} {v}" for k, v in sorted(ocr.get("first_try_methods", {}).items()))
        out += ["", "`crnn` is the project's own reader (`models/captcha/`, trained by `python -m "
                "prokai.crawl.captcha_train` on ImageCaptcha pictures of its own seeds), its reading alone; "
                f"`crnn+vote` (`solve_image_crnn`): the CRNN alone when its best path's probability is at least "
                f"{ocr.get('crnn_sure_confidence', '?')} ({_pct(ocr.get('crnn_sure_share'))} of the pictures), "
                f"else its reading counts as {ocr.get('crnn_votes', '?')} votes beside the ddddocr vote's 14 "
                "readings, and the vote never overrules it where the two differ only by look-alikes (O/Q/0, "
                "I/L/1). `ddddocr-vote`: both ddddocr "
                "models on the picture and six variants, majority vote. The chain does not trust the CRNN alone: "
                "it was never trained on other styles (the sandbox's classic renderer, where it reads nothing) "
                "and is rarely sure there, so the vote keeps those at ddddocr's rate; that costs the difference "
                "between `crnn` and `crnn+vote` here. Weight and threshold were chosen on the training script's "
                "own pictures, not these.", "",
                f"The crawler's first try (`captcha.solve`: `crnn+vote`, the plain ddddocr vote without a model; "
                f"answered by {methods or '?'}): {_pct(ocr['exact_first_solver'])}.", ""]
        full = ocr.get("full_alphabet")
        if full:
            conf = ", ".join(f"{k} {v}" for k, v in full.get("crnn_confusions", {}).items())
            out += [f"The pictures above use the sandbox's alphabet (no I, O, Q, 0, 1). The CRNN's whole alphabet "
                    f"`{full['alphabet']}`, look-alikes included as real shop bots draw them ({full['count']} "
                    f"pictures, seed {full['seed']}, otherwise alike): crnn {_pct(full['crnn'])}, ddddocr-vote "
                    f"{_pct(full['ddddocr-vote'])}, the crawler's first try {_pct(full['first_try'])}; the CRNN's "
                    f"look-alike confusions (true->read / occurrences in readings of the right length): {conf}.", ""]
        held = ocr.get("heldout_fonts") or {}
        if held:
            out += ["Fonts the CRNN never saw in training (the same pictures otherwise; the ddddocr vote for "
                    "comparison; the last two columns on the CRNN's whole alphabet):", "",
                    "| held-out font | pictures (seed) | crnn | ddddocr-vote | first try | crnn, full alphabet | "
                    "first try, full alphabet |", "|---|---|---|---|---|---|---|"]
            out += [f"| {family} ({h['file']}) | {h['count']} ({h['seed']}) | {_pct(h['crnn'])} | "
                    f"{_pct(h['ddddocr-vote'])} | {_pct(h['first_try'])} | {_pct(h.get('crnn_full_alphabet'))} | "
                    f"{_pct(h.get('first_try_full_alphabet'))} |" for family, h in held.items()]
            out.append("")
    else:
        out += ["(not recorded yet)", ""]
    out += ["## Goals", "", "| goal | figure | met |", "|---|---|---|"]
    held = _combined([metrics[k] for k in sections if "heldout" in k])  # every held-out set together
    ship = next((metrics[k] for k in sections if "heldout" not in k), None)
    rows: list[tuple[str, str, bool | None]] = []
    if held:
        t = held["totals"]
        rows.append((GOALS["heldout_shops_yield"], f"{t['shops_yielding']}/{t['live_shops']}",
                     t["shops_yielding"] == t["live_shops"]))
    for label, rep in (("held-out", held), ("shipped", ship)):
        if rep and rep["totals"]["pool_recall"] is not None:
            rows.append((f"{GOALS['pool_recall']} ({label})", _pct(rep["totals"]["pool_recall"]),
                         rep["totals"]["pool_recall"] >= 0.95))
    if bench and "yield_rate" in bench:
        rows.append((GOALS["generated_yield"], f"yield {_pct(bench['yield_rate'])}, stuck {_pct(bench.get('stuck_rate'))}",
                     bench["yield_rate"] >= 0.98 and (bench.get("stuck_rate") or 0) <= 0.005))
    if ocr:
        full = ocr.get("full_alphabet")
        if full:
            rows.append((GOALS["image_exact"], f"sandbox alphabet {_pct(ocr['exact_first_solver'])}, whole alphabet "
                         f"{_pct(full['first_try'])}", min(ocr["exact_first_solver"], full["first_try"]) >= 0.9))
        else:
            rows.append((GOALS["image_exact"], _pct(ocr["exact_first_solver"]), ocr["exact_first_solver"] >= 0.9))
    reps = [metrics[k] for k in sections]
    if reps:
        judged = sum(r["totals"]["lookalikes_judged_shop"] for r in reps)
        breaches = sum(r["totals"]["guardrail_breaches"] for r in reps) + int((bench or {}).get("guardrail_breaches", 0))
        rows.append((GOALS["lookalikes"], str(judged), judged == 0))
        rows.append((GOALS["breaches"], str(breaches), breaches == 0))
    out += [f"| {g} | {f} | {'yes' if m else 'no'} |" for g, f, m in rows]
    out.append("")
    return "\n".join(out)


def _combined(reports: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Several rehearsals' totals as one (shops and pools summed, recall over the sums)."""
    if not reports:
        return None
    keys = ("live_shops", "shops_yielding", "pools_offered", "pools_harvested")
    totals: dict[str, Any] = {k: sum(int(r["totals"].get(k) or 0) for r in reports) for k in keys}
    totals["pool_recall"] = (totals["pools_harvested"] / totals["pools_offered"]) if totals["pools_offered"] else None
    return {"totals": totals}


def _sections(text: str) -> list[tuple[str, str]]:
    """(heading, whole section text) for each `## ` section of a card."""
    parts = re.split(r"(?m)^(?=## )", text)
    return [(part.splitlines()[0], part) for part in parts if part.startswith("## ")]


def write_card(path: Path = CARD, metrics: dict[str, Any] | None = None, only: tuple[str, ...] = ()) -> None:
    """Render the card from the recorded figures; sections written by hand into the card (headings
    the renderer does not produce) are kept, before the goals. With `only` (heading prefixes such as
    "## Image captchas"), just those sections of the existing card are replaced and the rest of it
    is kept as it is (notes written by hand inside rendered sections included)."""
    text = render(metrics if metrics is not None else load_metrics())
    try:
        old = path.read_text(encoding="utf-8")
    except OSError:
        old = ""
    if only and old:
        fresh = {heading: body for heading, body in _sections(text)}
        head = old[: old.index("## ")] if "## " in old else old
        parts = [fresh.get(heading, body) if heading.startswith(only) else body for heading, body in _sections(old)]
        parts = [p if p.endswith("\n\n") or p is parts[-1] else p.rstrip("\n") + "\n\n" for p in parts]
        path.write_text(head + "".join(parts), encoding="utf-8")
        return
    rendered = {heading for heading, _ in _sections(text)}
    kept = [body for heading, body in _sections(old) if heading not in rendered]
    if kept:
        goals = text.index("## Goals")
        text = text[:goals] + "".join(b if b.endswith("\n\n") else b.rstrip("\n") + "\n\n" for b in kept) + text[goals:]
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    """`python -m prokai.crawl.card images`: measure the image captchas again and replace their
    section and the goals in the card; `render`: rewrite the whole card from the recorded figures."""
    import sys

    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["images"]:
        update_metrics("image_captchas", measure_image_captchas())
        write_card(only=("## Image captchas", "## Goals"))
    elif args[:1] == ["render"]:
        write_card()
    else:
        raise SystemExit("usage: python -m prokai.crawl.card images|render")
    print(f"crawler card written to {CARD}")


if __name__ == "__main__":
    main()
