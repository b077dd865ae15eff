"""Opening the database only to read it: `prokai evidence verify` and `prokai db status` work on a
read-only copy (a write-protected file, a folder one may not write in, a mounted image).

SQLite is opened as `file:…?mode=ro` with no journal-mode switch (that writes); when neither the
file nor its folder is writable (no `-shm` can be made) it is opened `immutable=1`. PostgreSQL
sessions are made `default_transaction_read_only`.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


class ReadOnlyError(Exception):
    """The database cannot be opened for reading, phrased as one line."""


def _sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    db = parsed.database or ""
    if db in ("", ":memory:") or db.startswith("file:"):
        raise ReadOnlyError("a read-only check needs a database file")
    return Path(db)


def readonly_engine(url: str) -> Engine:
    """An engine that cannot write to the database at `url`."""
    path = _sqlite_path(url)
    if path is None:
        existing = make_url(url).query.get("options", "")
        options = " ".join([*(existing if isinstance(existing, tuple) else [existing]), "-c default_transaction_read_only=on"])
        return create_engine(url, poolclass=NullPool, connect_args={"options": options.strip()})
    if not path.is_file():
        raise ReadOnlyError(f"no database at {path}")
    # Write-protected by its mode counts even for root, who may write anyway: a copy made read-only
    # for checking must come out of the check unchanged.
    protected = not path.stat().st_mode & 0o222 or not os.access(path, os.W_OK)
    writable = not protected and os.access(path.parent, os.W_OK)
    shm = Path(f"{path}-shm")
    # A WAL database opened read-only needs its -shm index; without a way to make one, read the
    # file as it is (nothing else may write it meanwhile).
    immutable = not writable and not shm.exists()
    uri = f"file:{quote(str(path.resolve()))}?mode=ro" + ("&immutable=1" if immutable else "")

    def connect() -> sqlite3.Connection:
        return sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)

    return create_engine("sqlite://", creator=connect, poolclass=NullPool)


def integrity_check(engine: Engine) -> str | None:
    """None when the storage is sound, else the first problem SQLite reports (no check on PostgreSQL,
    which has no such statement without extensions)."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        rows = [r[0] for r in conn.execute(text("PRAGMA integrity_check"))]
    if rows == ["ok"]:
        return None
    # SQLite's first row may itself span lines ("*** in database main ***\nOn tree page …"): one line.
    first = " ".join(str(rows[0]).split())
    first = first if len(first) <= 300 else first[:299] + "…"
    return first + (f" (and {len(rows) - 1} more)" if len(rows) > 1 else "")
