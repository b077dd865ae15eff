"""Writing an export: to a regular file, atomically, or to stdout with `-`.

    write_output(path, data)                    # bytes
    write_output(path, lambda tmp: render(tmp))  # a writer that needs a file name (PDF)

The data goes to a private temporary file next to the target (mode 0600: exports hold card
numbers and names), is flushed to disk and renamed over the target, so a reader never sees half
a file and a failure (full disk, a write error, an exception in the writer) leaves the target as
it was and no temporary file behind. An existing target that is not a regular file (a device
such as /dev/null or /dev/stdout, a FIFO, a folder) is refused: it would be replaced by a file.
A symbolic link to a regular file is followed (the link stays). `-` writes to stdout.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

STDOUT = "-"
Writer = bytes | Callable[[Path], None]


class OutputError(OSError):
    """The export cannot be written there (one-line reason)."""


def is_stdout(path: str | Path | None) -> bool:
    """Whether `path` is the `-` that means stdout."""
    return path is not None and str(path) == STDOUT


def check_output(path: str | Path) -> Path:
    """The real path to write `path` to; OutputError if it exists and is not a regular file."""
    target = Path(path)
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target
    except OSError as exc:
        raise OutputError(f"{path}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise OutputError(f"{path} is a folder")
    if not stat.S_ISREG(st.st_mode):
        raise OutputError(f"{path} is not a regular file (a device, pipe or socket); use -o - for stdout")
    return Path(os.path.realpath(target))


def write_output(path: str | Path, data: Writer) -> str | Path:
    """Write `data` (bytes, or a function that writes a given file) to `path` or stdout; returns
    where it went. OutputError (an OSError) when it could not be written; nothing is left behind."""
    if is_stdout(path):
        if isinstance(data, bytes):
            sys.stdout.buffer.write(data)
        else:
            with tempfile.TemporaryDirectory(prefix="prokai-export-") as folder:
                tmp = Path(folder) / "export"
                data(tmp)
                with tmp.open("rb") as fh:
                    shutil.copyfileobj(fh, sys.stdout.buffer)
        sys.stdout.buffer.flush()
        return STDOUT
    target = check_output(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(name)
    try:
        if isinstance(data, bytes):
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        else:
            os.close(fd)
            data(tmp)
            with tmp.open("rb+") as fh:
                os.fsync(fh.fileno())
        check_output(target)  # still not a device (it may have appeared meanwhile)
        os.replace(tmp, target)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if isinstance(exc, OSError) and not isinstance(exc, OutputError):
            raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
        raise
    return target
