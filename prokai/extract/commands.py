"""`prokai extract [FILE|-]`: streaming requisite extraction over JSON lines or plain text lines."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any

import typer

from prokai.cliutil import (
    EXIT_FAILURE,
    EXIT_USAGE,
    MAX_LINE_BYTES,
    InputError,
    bounded_lines,
    fail,
    read_image_file,
)


class LineError(ValueError):
    """A bad input line, phrased for the one-line error message."""


def parse_line(raw: bytes, lineno: int) -> tuple[Any, str | None, str | None]:
    """(id, text, image path) for one input line; raises LineError when it is unusable."""
    try:
        line = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LineError(f"not UTF-8 ({exc.reason} at byte {exc.start})") from None
    line = line.rstrip("\r\n")
    if line.lstrip().startswith("{"):
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise LineError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
        except RecursionError:
            raise LineError("invalid JSON (nested too deeply)") from None
        except ValueError as exc:  # a number of more than 4,300 digits
            raise LineError(f"invalid JSON ({str(exc).split(';')[0]})") from None
        if not isinstance(obj, dict):
            raise LineError("JSON line is not an object")
        text = obj.get("text")
        image = obj.get("image")
        if text is None and image is None:
            raise LineError('JSON object has no "text" (or "image") field')
        if text is not None and not isinstance(text, str):
            raise LineError('"text" is not a string')
        if image is not None and not isinstance(image, str):
            raise LineError('"image" is not a string (a file path)')
        return obj.get("id", lineno), text, image
    return lineno, line, None


def run_stream(src: IO[bytes], out: IO[str], err: IO[str], *, images: bool = True,
               max_line_bytes: int = MAX_LINE_BYTES) -> int:
    """Process every line of `src`; returns the number of bad lines (each reported on `err`).

    Memory stays bounded by `max_line_bytes` (longer lines are reported and skipped) and
    `extract` is linear in the line's length (it reads long texts in windows)."""
    from prokai.extract import extract, extract_image

    bad = 0
    for lineno, raw in enumerate(bounded_lines(src, max_line_bytes), start=1):
        if raw is None:
            bad += 1
            err.write(f"error: line {lineno}: longer than {max_line_bytes} bytes (--max-line-bytes); skipped\n")
            err.flush()
            continue
        if not raw.strip():
            continue
        try:
            ident, text, image = parse_line(raw, lineno)
            found = extract(text) if text else []
            result: dict[str, Any] = {"id": ident}
            if image is not None:
                if not images:
                    raise LineError("images are disabled (--no-images)")
                try:  # a regular file, bounded in bytes and pixels (no /dev/zero, no bombs)
                    data = read_image_file(image)
                except InputError as exc:
                    raise LineError(f"cannot read image {image}: {exc}") from None
                try:
                    img = extract_image(data)
                except Exception as exc:  # PIL and Tesseract raise many types on bad input
                    raise LineError(f"cannot read image {image}: {type(exc).__name__}: {exc}") from None
                result["image_requisites"] = [f.to_dict() for f in img.found]
        except LineError as exc:
            bad += 1
            err.write(f"error: line {lineno}: {exc}\n")
            err.flush()
            continue
        result["requisites"] = [f.to_dict() for f in found]
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
        out.flush()
    return bad


def register(app: typer.Typer) -> None:
    """Add the top-level `extract` command."""

    @app.command("extract")
    def extract_cmd(
        file: str = typer.Argument("-", help="Input file of JSON lines or plain text lines; '-' for stdin."),
        images: bool = typer.Option(True, "--images/--no-images",
                                    help='Allow {"image": PATH} lines (OCR + QR; slow).'),
        max_line_bytes: int = typer.Option(MAX_LINE_BYTES, "--max-line-bytes", min=1,
                                           help="Longest input line accepted; longer lines are reported and skipped."),
    ) -> None:
        """Extract requisites (cards, IBANs, payment phones, wallets) line by line.

        Input lines are JSON objects {"id": ..., "text": ...} (or {"id": ..., "image": PATH}) or
        plain text (id = line number). Output: one JSON line per input,
        {"id": ..., "requisites": [{"kind", "value", "start", "end", ...}]}. A bad line is
        reported on stderr with its line number (one line each: not UTF-8, invalid JSON, no
        text, longer than --max-line-bytes, unreadable image), the rest are still processed,
        and the exit code is 1 at the end. Time is linear in the input, memory bounded per line.
        """
        if file == "-":
            bad = run_stream(sys.stdin.buffer, sys.stdout, sys.stderr, images=images, max_line_bytes=max_line_bytes)
        else:
            path = Path(file)
            if not path.is_file():
                fail(f"no such file: {file}", EXIT_USAGE)
            with path.open("rb") as fh:
                bad = run_stream(fh, sys.stdout, sys.stderr, images=images, max_line_bytes=max_line_bytes)
        if bad:
            fail(f"{bad} bad input line(s)", EXIT_FAILURE)
