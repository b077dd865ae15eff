"""What every `prokai` sub-command shares: the loaded settings, the database, and clean failures.

A command module (`prokai/<area>/commands.py`) defines `register(app: typer.Typer)` and uses
`settings(ctx)`, `database(ctx)`, `fail(...)` and, for long operations, `progress_display(...)`
from here. Heavy imports (torch, telethon) go inside the command functions so `prokai --help`
stays fast.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn

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


# --- hostile input: what every line-oriented command reads ---------------------------------

MAX_LINE_BYTES = 16 << 20  # one input line (a 10 MB message is still read)


class InputError(ValueError):
    """A bad input line, phrased for the one-line error message."""


def bounded_lines(src: IO[bytes], limit: int = MAX_LINE_BYTES) -> Iterator[bytes | None]:
    """The lines of a binary stream; None for a line longer than `limit` bytes, which is skipped
    in chunks without ever being held whole (memory stays bounded)."""
    while True:
        raw = src.readline(limit + 1)
        if not raw:
            return
        if len(raw) > limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = src.readline(1 << 20)
            yield None
            continue
        yield raw


def decode_line(raw: bytes) -> str:
    """One input line as text (line end removed); InputError if it is not UTF-8."""
    try:
        return raw.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None


def json_line(line: str) -> Any:
    """One JSON value from an input line; InputError (one line) for invalid JSON, nesting too
    deep for the parser, numbers too long to convert, or strings with lone surrogates."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg} at column {exc.colno}") from None
    except RecursionError:
        raise InputError("invalid JSON: nested too deeply") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise InputError(f"invalid JSON: {str(exc).split(';')[0]}") from None
    return value


def check_text(value: str, what: str = "text") -> str:
    """`value` if it is valid Unicode (encodable as UTF-8); InputError for a lone surrogate."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f'"{what}" holds a lone surrogate (\\u{ord(value[exc.start]):04x})') from None
    return value


MAX_IMAGE_BYTES = 32 << 20  # an input image file
MAX_IMAGE_PIXELS = 40_000_000  # decoded, ~120 MB as RGB: more is a decompression bomb


def read_image_file(path: str | Path, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS) -> bytes:
    """The bytes of an image file named in the input; InputError unless it is a regular file of
    at most `max_bytes` whose picture has at most `max_pixels` (read from its header, before
    anything is decoded)."""
    import io

    from PIL import Image, UnidentifiedImageError

    p = Path(path)
    try:
        if not p.is_file():
            raise InputError("not a regular file" if p.exists() else "no such file")
        with p.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(exc.strerror or str(exc)) from None
    if len(data) > max_bytes:
        raise InputError(f"larger than {max_bytes} bytes")
    try:
        with Image.open(io.BytesIO(data)) as img:
            width, height = img.size
    except Image.DecompressionBombError:
        raise InputError("too many pixels (a decompression bomb?)") from None
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise InputError(f"not an image ({type(exc).__name__})") from None
    if width * height > max_pixels:
        raise InputError(f"{width}x{height} pixels: more than {max_pixels} (a decompression bomb?)")
    return data
