"""The crawler card (`prokai/crawl/CARD.md`): measured figures only, rendered from
`prokai/crawl/metrics.json`, which `prokai rehearse --card` (rehearsals per scenario folder and
the image-captcha reading test) and `bench/crawl.py --card` (generated shops) fill in.

    prokai rehearse --scenarios prokai/sandbox/scenarios --scenarios bench/data/crawl_heldout --card prokai/crawl/CARD.md
"""

from __future__ import annotations

import json
import random
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


def measure_image_captchas(count: int = 200, seed: int = 11) -> dict[str, Any]:
    """Read `count` captchas drawn by the `captcha` library (ImageCaptcha: several fonts, sizes
    and lengths, as the sandbox draws them) with each image solver; exact matches per try."""
    from prokai.crawl.captcha import solve_image, solve_image_dddd, solve_image_vote
    from prokai.sandbox.shops.captcha import _IMAGE_ALPHABET, available_fonts, library_image

    rng = random.Random(seed)
    solvers = {"ddddocr-vote": solve_image_vote, "ddddocr": lambda b: solve_image_dddd(b),
               "ddddocr-beta": lambda b: solve_image_dddd(b, beta=True)}
    right = dict.fromkeys(solvers, 0)
    first = 0
    elapsed = dict.fromkeys(solvers, 0.0)
    tess_n, tess_right, tess_time = 0, 0, 0.0
    for i in range(count):
        text = "".join(rng.choice(_IMAGE_ALPHABET) for _ in range(rng.choice((4, 5, 6))))
        image = library_image(text, rng).data
        for name, fn in solvers.items():
            t0 = time.perf_counter()
            sol = fn(image)
            elapsed[name] += time.perf_counter() - t0
            ok = sol is not None and sol.answer.upper() == text
            right[name] += ok
            if name == "ddddocr-vote" and ok:
                first += 1
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
        "exact": {name: round(right[name] / count, 4) for name in solvers} | {
            "tesseract": round(tess_right / tess_n, 4) if tess_n else None},
        "ms_per_image": {name: round(elapsed[name] / count * 1000, 1) for name in solvers} | {
            "tesseract": round(tess_time / tess_n * 1000, 1) if tess_n else None},
        "tesseract_sample": tess_n,
    }


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
                f"{', '.join(ocr['fonts'])}); Tesseract on every tenth image ({ocr['tesseract_sample']}).", "",
                "| solver | exact per try | ms per image |", "|---|---|---|"]
        for name, value in ocr["exact"].items():
            out.append(f"| {name} | {_pct(value)} | {ocr['ms_per_image'].get(name)} |")
        out += ["", f"The crawler's first try (both ddddocr models on the picture and six variants, majority vote; Latin letters and digits only): {_pct(ocr['exact_first_solver'])}.", ""]
    else:
        out += ["(not recorded yet)", ""]
    out += ["## Goals", "", "| goal | figure | met |", "|---|---|---|"]
    held = next((metrics[k] for k in sections if "heldout" in k), None)
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


def write_card(path: Path = CARD, metrics: dict[str, Any] | None = None) -> None:
    """Render the card from the recorded figures."""
    path.write_text(render(metrics if metrics is not None else load_metrics()), encoding="utf-8")
