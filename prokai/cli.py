"""`prokai`: the command-line entry point.

The root only handles global options and loads settings; each area registers its own commands
from `prokai/<area>/commands.py` (a `register(app)` function), listed in COMMAND_MODULES.
"""

from __future__ import annotations

import importlib
import logging
from pathlib import Path

import typer

from prokai import __version__
from prokai.cliutil import EXIT_USAGE, AppState
from prokai.config import ConfigError, load_settings
from prokai.logs import setup_logging

COMMAND_MODULES = (
    "prokai.store.commands",  # db, evidence
    "prokai.inventory.commands",  # simbox (scan, inbox into the database)
    "prokai.extract.commands",  # extract
    "prokai.nlp.commands",  # classify, nlp
    "prokai.sandbox.commands",  # sandbox
    "prokai.accounts.commands",  # accounts, vault
    "prokai.crawl.commands",  # campaign, sweep
    "prokai.cluster.commands",  # worker (several nodes on a task queue)
    "prokai.daemon.commands",  # run (the long-running process)
    "prokai.review.commands",  # bot (one-shot admin-bot tasks)
    "prokai.export.commands",  # export
    "prokai.network.commands",  # network (families, requisite handouts, graph export)
)

app = typer.Typer(
    name="prokai",
    help="ProkAi: SimBox SIMs → Telegram sessions → shop conversations → requisites → review.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"prokai {__version__}")
        raise typer.Exit(0)


@app.callback()
def root(
    ctx: typer.Context,
    config: Path | None = typer.Option(
        None, "--config", "-c", help="Config file (default: ./config.yaml if present, else defaults)."
    ),
    log_json: bool = typer.Option(False, "--log-json", help="Log as JSON lines on stderr."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Debug logging."),
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Global options; every command below reads the same configuration."""
    try:
        settings = load_settings(config)
    except ConfigError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    json_lines = log_json or settings.logging.json_lines
    setup_logging("DEBUG" if verbose else settings.logging.level, json_lines)
    ctx.obj = AppState(settings=settings, log_json=json_lines)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # An area not built yet; any other import failure is a real bug and propagates.
            if exc.name and name.startswith(exc.name):
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - interactive
        logging.getLogger("prokai").warning("interrupted")
        raise SystemExit(130) from None


if __name__ == "__main__":  # pragma: no cover
    main()
