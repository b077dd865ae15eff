"""Instantiate many shops from the scenario templates (benchmarks of 1,000 shops).

Each generated scenario is a template with a new id, new @usernames (also inside texts and
links), a new shop name, cities swapped, prices scaled and fresh checksum-valid requisites of
the same kinds. Output is ordinary scenario YAML, so `load_folder`, `up --scenarios` and the
ground truth treat generated shops exactly like hand-written ones. Deterministic for a seed.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import yaml

from prokai.sandbox.shops import requisites as req
from prokai.sandbox.shops.loader import LoadedScenario, check_unique, load_text, usernames_with_paths

NAMES = (
    "Кристалл", "Айсберг", "Снежинка", "Метеор", "Бриллиант", "Комета", "Атлас", "Север", "Граф", "Барон",
    "Сапфир", "Туман", "Вектор", "Лотос", "Ракета", "Эверест", "Нова", "Кедр", "Алмаз", "Орион",
)
LATIN = (
    "kristall", "iceberg", "snowflake", "meteor", "brilliant", "kometa", "atlas", "sever", "graf", "baron",
    "sapfir", "tuman", "vektor", "lotos", "raketa", "everest", "nova", "kedr", "almaz", "orion",
)
CITIES = ("Алматы", "Астана", "Шымкент", "Караганда", "Актобе", "Тараз", "Павлодар", "Усть-Каменогорск",
          "Семей", "Атырау", "Костанай", "Кызылорда", "Уральск", "Петропавловск", "Актау", "Темиртау")
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_PRICE = re.compile(r"(?<![\d.+])(?<!\d )(\d{1,3}) (\d{3})(?! ?\d)")


def _walk_strings(node: Any, fn: Any) -> Any:
    if isinstance(node, dict):
        return {k: _walk_strings(v, fn) for k, v in node.items()}
    if isinstance(node, list):
        return [_walk_strings(v, fn) for v in node]
    if isinstance(node, str):
        return fn(node)
    return node


def _scale_numbers(node: Any, factor: float, key: str = "") -> Any:
    if isinstance(node, dict):
        return {k: _scale_numbers(v, factor, str(k)) for k, v in node.items()}
    if isinstance(node, list):
        return [_scale_numbers(v, factor, key) for v in node]
    if isinstance(node, int) and not isinstance(node, bool) and node >= 1000 and key not in ("day", "count"):
        return _round_price(node * factor)
    return node


def _round_price(value: float) -> int:
    return max(500, int(round(value / 500.0)) * 500)


def _fresh_items(items: list[dict[str, Any]], rng: random.Random) -> list[dict[str, Any]]:
    out = []
    for item in items:
        kind = item["kind"]
        value = req.generate(kind, rng)
        new = {"kind": kind, "value": req.display(kind, value, "spaced") if kind in req.WRITTEN_SPACED else value}
        for extra in ("holder", "asset"):
            if item.get(extra):
                new[extra] = item[extra]
        out.append(new)
    return out


def instantiate(template: LoadedScenario, n: int, rng: random.Random) -> tuple[str, str]:
    """One generated scenario from `template`: (id, YAML text)."""
    raw = yaml.load(template.path.read_text(encoding="utf-8"), Loader=_LOADER)
    pick = rng.randrange(len(NAMES))
    name, latin = NAMES[pick], LATIN[pick]
    new_id = f"{template.id[:40]}-g{n:04d}"
    mapping: dict[str, str] = {}
    for i, (_, old) in enumerate(usernames_with_paths(template.spec)):
        stem = re.sub(r"_?bot$", "", old.lower())[:12].strip("_")
        suffix = "_bot" if old.lower().endswith("bot") else ""
        mapping[old] = f"{latin[:7]}_{stem}{i}_{n:04d}{suffix}"[:32]
    cities = list(CITIES)
    rng.shuffle(cities)
    city_map = dict(zip(CITIES, cities, strict=True))
    factor = rng.uniform(0.8, 1.3)
    word = re.compile(r"(?<![\w@/])(" + "|".join(re.escape(c) for c in sorted(CITIES, key=len, reverse=True)) + r")(?!\w)")
    names = re.compile("|".join(re.escape(u) for u in sorted(mapping, key=len, reverse=True))) if mapping else None

    def rewrite(text: str) -> str:
        if names is not None:
            text = names.sub(lambda m: mapping[m.group(0)], text)
        text = word.sub(lambda m: city_map[m.group(1)], text)
        return _PRICE.sub(lambda m: f"{_round_price(int(m.group(1) + m.group(2)) * factor):,}".replace(",", " "), text)

    data = _walk_strings(raw, rewrite)
    data = _scale_numbers(data, factor)
    data["id"] = new_id
    data["title"] = f"{name} ({data.get('title', template.spec.title)})"[:120]
    data["notes"] = f"generated from {template.path.name} (#{n})"
    if isinstance(data.get("operator"), dict) and data["operator"].get("phone"):
        data["operator"]["phone"] = req.display("phone", req.gen_phone(rng))
    for pool in (data.get("requisites") or {}).values():
        if pool.get("items"):
            pool["items"] = _fresh_items(pool["items"], rng)
    text = f"# generated from {template.path.name}; do not edit by hand\n" + yaml.dump(
        data, Dumper=_DUMPER, allow_unicode=True, sort_keys=False, width=110
    )
    return new_id, text


def generate_loaded(templates: list[LoadedScenario], count: int, seed: int = 0) -> list[tuple[str, LoadedScenario]]:
    """`count` scenarios cycling over the templates: [(YAML text, validated scenario)]."""
    if count < 1:
        raise ValueError("count must be at least 1")
    if not templates:
        raise ValueError("no templates")
    rng = random.Random(seed)
    out = []
    for n in range(count):
        template = templates[n % len(templates)]
        sid, text = instantiate(template, n, rng)
        out.append((text, load_text(text, f"{sid}.yaml")))  # a generator bug must not make a broken world
    check_unique([sc for _, sc in out])
    return out


def generate_scenarios(templates: list[LoadedScenario], count: int, seed: int = 0) -> list[tuple[str, str]]:
    """`count` scenarios cycling over the templates: [(id, YAML text)], validated on the way."""
    return [(sc.id, text) for text, sc in generate_loaded(templates, count, seed)]


def write_scenarios(templates: list[LoadedScenario], count: int, out: Path, seed: int = 0) -> list[Path]:
    """Generate and write `count` scenario files into `out` (created if missing)."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for sid, text in generate_scenarios(templates, count, seed):
        path = out / f"{sid}.yaml"
        path.write_text(text, encoding="utf-8")
        paths.append(path)
    return paths
