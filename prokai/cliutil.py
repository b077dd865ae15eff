"""What every `prokai` sub-command shares: the loaded settings, the database, and clean failures.

A command module (`prokai/<area>/commands.py`) defines `register(app: typer.Typer)` and uses
`settings(ctx)`, `database(ctx)` and `fail(...)` from here. Heavy imports (torch, telethon) go
inside the command functions so `prokai --help` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NoReturn

import typer

from prokai.config import Settings

if TYPE_CHECKING:
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
