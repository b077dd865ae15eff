"""Sandbox shops: a world of drug shops (and look-alike businesses) defined in YAML scenarios.

Public API:
- `load_folder(dir)` / `load_file(path)`: validated scenarios (`ScenarioError` names file:line).
- `load_world_from_scenarios(dir, world)`: bots, operators and channels in a sandbox `World`.
- `ground_truth(scenarios, date, start)`: which requisites each shop can hand out that day.
- `shop_sandbox(...)`: an in-process running sandbox of shops (tests, benchmarks, demos);
  `recall(truth, found)` scores a crawl against the ground truth.
- `generate.generate_scenarios(templates, count, seed)`: many shops from the templates.

Names are imported on first use, so `prokai --help` does not pay for Telethon and the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from prokai.sandbox.shops.harness import ShopSandbox, anchored_clock, recall, shop_sandbox
    from prokai.sandbox.shops.loader import (
        LoadedScenario,
        Requisite,
        ScenarioError,
        load_file,
        load_folder,
        load_text,
    )
    from prokai.sandbox.shops.shopworld import ShopWorld, load_world_from_scenarios
    from prokai.sandbox.shops.truth import ground_truth, ground_truth_range

_EXPORTS = {
    "LoadedScenario": "loader",
    "Requisite": "loader",
    "ScenarioError": "loader",
    "load_file": "loader",
    "load_folder": "loader",
    "load_text": "loader",
    "ShopSandbox": "harness",
    "anchored_clock": "harness",
    "recall": "harness",
    "shop_sandbox": "harness",
    "ShopWorld": "shopworld",
    "load_world_from_scenarios": "shopworld",
    "ground_truth": "truth",
    "ground_truth_range": "truth",
}

__all__ = [
    "LoadedScenario",
    "Requisite",
    "ScenarioError",
    "ShopSandbox",
    "ShopWorld",
    "anchored_clock",
    "ground_truth",
    "ground_truth_range",
    "load_file",
    "load_folder",
    "load_text",
    "load_world_from_scenarios",
    "recall",
    "shop_sandbox",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'prokai.sandbox.shops' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"prokai.sandbox.shops.{module}"), name)
    globals()[name] = value
    return value
