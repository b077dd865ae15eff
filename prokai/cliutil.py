"""What every `prokai` sub-command shares: the loaded settings, the database, and clean failures.

A command module (`prokai/<area>/commands.py`) defines `register(app: typer.Typer)` and uses
`settings(ctx)`, `database(ctx)`, `fail(...)` and, for long operations, `progress_display(...)`
from here. Heavy imports (torch, telethon) go inside the command functions so `prokai --help`
stays fast.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from prokai.config import Settings

if TYPE_CHECKING:
    from rich.progress import Progress

    from prokai.store.db import Database

EXIT_OK = 0
EXIT_FAILURE = 1  # the work ran and found a problem (broken chain, bad input lines)
EXIT_USAGE = 2  # bad configuration or arguments


@dataclass
class AppState:
    settings: Settings
    log_json: bool = False
    _db: Database | None = field(default=None, repr=False)


def state(ctx: typer.Context) -> AppState:
    """The state the root callback put on the context."""
    root = ctx.find_root()
    if not isinstance(root.obj, AppState):  # pragma: no cover - only when called outside the app
        raise RuntimeError("prokai context not initialised")
    return root.obj


def settings(ctx: typer.Context) -> Settings:
    """The loaded, validated settings."""
    return state(ctx).settings


def database(ctx: typer.Context) -> Database:
    """The application database (opened once per process)."""
    from prokai.store.db import Database

    st = state(ctx)
    if st._db is None:
        ensure_schema(st.settings.database_url)
        st._db = Database.from_settings(st.settings)
    return st._db


def ensure_schema(url: str) -> None:
    """Create a fresh SQLite database on first use; otherwise insist on an up-to-date schema."""
    from prokai.store.migrate import status, upgrade

    st = status(url)
    if st.up_to_date:
        return
    if st.current is None and url.startswith("sqlite"):
        upgrade(url)
        return
    fail(f"database schema is at {st.current or 'empty'}, expected {st.head}: run `prokai db upgrade`", EXIT_USAGE)


def fail(message: str, code: int = EXIT_FAILURE) -> NoReturn:
    """Print a one-line reason on stderr and exit with `code`."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


NO_PROGRESS_HELP = "No progress display (it is also off when stderr is not a terminal)."


@contextmanager
def progress_display(enabled: bool = True) -> Iterator[Progress]:
    """The progress display of long commands, on stderr: spinner, description, bar, done/total, elapsed.

    It is off with `enabled=False` (a `--no-progress` flag) and whenever stderr is not a terminal
    (piped, redirected, under tests): then it writes nothing at all. stdout is never touched, so
    what scripts parse stays as it is. While it is shown, log lines are printed above it.
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    console = Console(stderr=True)
    progress = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TimeElapsedColumn(), console=console, transient=False, redirect_stdout=False,
                        disable=not enabled or not console.is_terminal)
    stderr = sys.stderr
    with progress:
        # Live replaced sys.stderr with a proxy that prints above the display; the log handlers
        # still hold the real stderr, so point them at the proxy while it runs.
        moved: list[tuple[logging.StreamHandler[Any], Any]] = []
        if sys.stderr is not stderr:
            for handler in logging.getLogger().handlers:
                if isinstance(handler, logging.StreamHandler) and handler.stream is stderr:
                    moved.append((handler, handler.setStream(sys.stderr)))
        try:
            yield progress
        finally:
            for handler, stream in moved:
                handler.setStream(stream)
