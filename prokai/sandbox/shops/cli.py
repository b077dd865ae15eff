"""`prokai sandbox` commands for shop scenarios, and `--scenarios DIR` on `prokai sandbox up`.

`register_scenario_commands(sandbox_app)` adds:
- `prokai sandbox scenarios check DIR`: validate a folder (exit 2 with `FILE:LINE: problem`);
- `prokai sandbox scenarios generate --from DIR --count N --out OUT`: many shops for benchmarks;
- `prokai sandbox ground-truth --scenarios DIR [--date D] [--start S] [--days N]`: JSON truth;
- `--scenarios DIR` on the existing `up` command: the world of `--world` plus the scenarios.
"""

from __future__ import annotations

import asyncio
import functools
import inspect
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import typer

from prokai.sandbox.shops.loader import LoadedScenario, ScenarioError, load_folder
from prokai.sandbox.shops.rotation import today_kz

EXIT_USAGE = 2
DEFAULT_SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"

# What `up --scenarios` asked for; read by `scenario_world` inside the running server.
_PENDING: dict[str, Any] = {}
_RUNNING: list[Any] = []


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _load(folder: Path) -> list[LoadedScenario]:
    try:
        return load_folder(folder)
    except ScenarioError as exc:
        _fail(str(exc))
        raise AssertionError("unreachable") from exc


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        _fail(f"{name} must be a date like 2026-12-01, got {value!r}")
        raise AssertionError("unreachable") from None


def scenario_world(clock: Any = None, sms: Any = None) -> Any:
    """World factory used by `up --scenarios`: the base world plus the pending scenario folder."""
    from prokai.sandbox.runner import UpError, load_factory
    from prokai.sandbox.shops.shopworld import ShopWorld

    base = load_factory(_PENDING.get("base") or "prokai.sandbox.demo:demo_world")
    world = base(clock=clock, sms=sms)
    try:
        shops = ShopWorld(world, _PENDING["scenarios"]).install()
    except ValueError as exc:  # a scenario's @username or phone is already in the base world
        raise UpError(f"--scenarios {_PENDING['folder']}: {exc}") from None
    try:
        shops.start()
    except RuntimeError:  # no running loop (built outside the server): lifecycle applied on demand
        pass
    _RUNNING.append(shops)
    sellers = sum(1 for sc in shops.scenarios if sc.is_shop)
    print(
        f"scenarios: {len(shops.scenarios)} loaded ({sellers} shops) from {_PENDING['folder']}; "
        f"day 0 = {shops.start_date.isoformat()} (ground truth: prokai sandbox ground-truth "
        f"--scenarios {_PENDING['folder']} --start {shops.start_date.isoformat()})",
        file=sys.stderr,
        flush=True,
    )
    return world


def _wrap_up(sandbox_app: typer.Typer) -> None:
    """Give the existing `up` command a `--scenarios DIR` option (unchanged without it)."""
    info = next((c for c in sandbox_app.registered_commands if c.name == "up" and c.callback), None)
    if info is None or info.callback is None:
        return
    original = info.callback
    sig = inspect.signature(original, eval_str=True)
    if "scenarios" in sig.parameters:
        return

    @functools.wraps(original)
    def up_with_scenarios(*args: Any, scenarios: Path | None = None, **kwargs: Any) -> Any:
        if scenarios is not None:
            _PENDING.update(folder=str(scenarios), scenarios=_load(scenarios), base=kwargs.get("world_factory"))
            kwargs["world_factory"] = "prokai.sandbox.shops.cli:scenario_world"
        return original(*args, **kwargs)

    extra = inspect.Parameter(
        "scenarios",
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(None, "--scenarios", help="Also load every shop scenario (*.yaml) of this folder."),
        annotation=Path | None,
    )
    params = list(sig.parameters.values())
    up_with_scenarios.__signature__ = sig.replace(parameters=[*params, extra])  # type: ignore[attr-defined]
    up_with_scenarios.__annotations__ = {**{p.name: p.annotation for p in sig.parameters.values()},
                                         "scenarios": Path | None, "return": None}
    info.callback = up_with_scenarios


def register_scenario_commands(sandbox_app: typer.Typer) -> None:
    """Add the scenario commands to `prokai sandbox` and `--scenarios` to `prokai sandbox up`."""
    scenarios_app = typer.Typer(help="Shop scenarios: validate, generate many.", no_args_is_help=True)

    @scenarios_app.command("check")
    def check(folder: Path = typer.Argument(DEFAULT_SCENARIOS, help="Folder of scenario files.")) -> None:
        """Validate every scenario of a folder; print one line per scenario."""
        for sc in _load(folder):
            kind = "shop " if sc.is_shop else "legit"
            pools = ", ".join(f"{name}:{len(items)}" for name, items in sc.pools.items()) or "-"
            typer.echo(f"ok {kind} {sc.id:28} {sc.path.name:34} pools {pools}")

    @scenarios_app.command("generate")
    def generate(
        out: Path = typer.Option(..., "--out", help="Folder to write the generated scenarios to."),
        count: int = typer.Option(1000, "--count", min=1, max=100_000, help="How many shops."),
        templates: Path = typer.Option(DEFAULT_SCENARIOS, "--from", help="Folder of template scenarios."),
        seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same shops)."),
    ) -> None:
        """Instantiate COUNT shops from the templates (new names, cities, prices, requisites)."""
        from prokai.sandbox.shops.generate import write_scenarios

        paths = write_scenarios(_load(templates), count, out, seed)
        typer.echo(f"wrote {len(paths)} scenarios to {out}")

    @scenarios_app.command("try")
    def try_(
        scenario_id: str = typer.Argument(..., help="The scenario id to walk."),
        folder: Path = typer.Option(DEFAULT_SCENARIOS, "--scenarios", help="Folder of scenario files."),
    ) -> None:
        """Walk a scenario's walks with a stock Telethon client in a private sandbox; print the chat."""
        from prokai.sandbox.shops.tryout import try_scenario

        loaded = _load(folder)
        if scenario_id not in {sc.id for sc in loaded}:
            _fail(f"no scenario '{scenario_id}' in {folder}")
        ok = asyncio.run(try_scenario(loaded, scenario_id, typer.echo))
        raise typer.Exit(0 if ok else 1)

    sandbox_app.add_typer(scenarios_app, name="scenarios")

    @sandbox_app.command("ground-truth")
    def ground_truth_cmd(
        scenarios: Path = typer.Option(DEFAULT_SCENARIOS, "--scenarios", help="Folder of scenario files."),
        on: str | None = typer.Option(None, "--date", help="Sandbox date (default: today, UTC+5)."),
        start: str | None = typer.Option(None, "--start", help="Day 0 of renames/deaths (default: --date)."),
        days: int = typer.Option(1, "--days", min=1, max=366, help="Several consecutive dates: a JSON list."),
        shops_only: bool = typer.Option(False, "--shops-only", help="Leave out the legitimate look-alikes."),
    ) -> None:
        """Which requisites each shop can hand out on a date (JSON on stdout)."""
        from prokai.sandbox.shops.truth import ground_truth_range

        loaded = _load(scenarios)
        if shops_only:
            loaded = [sc for sc in loaded if sc.is_shop]
        first = _date(on, "--date") or today_kz()
        day0 = _date(start, "--start") or first
        docs = ground_truth_range(loaded, first, days, day0)
        typer.echo(json.dumps(docs[0] if days == 1 else docs, ensure_ascii=False, indent=2))

    _wrap_up(sandbox_app)


def running_shops() -> list[Any]:
    """ShopWorlds started by `up --scenarios` in this process (for the control socket, tests)."""
    return list(_RUNNING)
