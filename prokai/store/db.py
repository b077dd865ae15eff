"""Engines and sessions: SQLite by default (WAL, foreign keys on), PostgreSQL by URL.

A new SQLite file is created 0600 (owner only). Use `Database.session()` for work: it yields an `EvidenceSession`, which appends every new
message, review and audit record to the evidence chain when it flushes and refuses to change
one that is already stored.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from prokai.config import Settings
from prokai.store.chain import EvidenceSession


def make_engine(url: str, echo: bool = False, *, transactional_ddl: bool = False, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys, and a busy timeout.

    `transactional_ddl`: on SQLite, every transaction is an explicit BEGIN … COMMIT that also
    covers CREATE/ALTER (the driver otherwise commits DDL at once), so a migration cut short
    (full disk, kill) leaves nothing half-made. Migrations use it."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            create_private(Path(parsed.database))
        engine = create_engine(url, echo=echo, connect_args={"timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            # 64 MiB page cache: the chain's hash indexes take random inserts.
            cur.execute("PRAGMA cache_size=-65536")
            cur.close()
            if transactional_ddl:
                dbapi_conn.isolation_level = None  # the driver's own BEGIN skips DDL: we issue it

        if transactional_ddl:

            @event.listens_for(engine, "begin")
            def _sqlite_begin(conn: Any) -> None:
                conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, echo=echo, pool_pre_ping=True, **kwargs)


def create_private(path: Path) -> None:
    """Create the SQLite file `path` readable by its owner only (0600) if it does not exist yet:
    it holds phone numbers, sessions and SMS login codes. SQLite gives its -wal and -shm files
    the database file's permissions."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    except OSError:
        return  # not creatable here (read-only place): SQLite reports it when it opens it
    os.close(fd)


class Database:
    """One engine and its session factory."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.engine = make_engine(url, echo=echo)
        self.sessions: sessionmaker[EvidenceSession] = sessionmaker(
            self.engine, class_=EvidenceSession, expire_on_commit=False
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        return cls(settings.database_url, echo=settings.database.echo)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def dispose(self) -> None:
        self.engine.dispose()
