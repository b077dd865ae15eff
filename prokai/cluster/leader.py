"""One leader among the `prokai run` processes of a cluster: it alone runs the scheduler and the
admin bot; the others stand by and take over the moment it is gone.

PostgreSQL: the leader holds a session-level advisory lock on a connection of its own (NullPool,
like the liveness locks of `prokai.accounts.liveness`). The server frees the lock the moment that
process or its connection dies, so a standby retrying every `cluster.leader_retry_s` takes over
within that time of a `kill -9`. The leader checks its connection every `cluster.leader_check_s`;
when the check fails (backend terminated, server restarted, network gone) the lock may already be
another node's, so the leader steps down at once instead of running twice. The lock is named
after the database and the schema, so two installations in two schemas of one server are two
clusters.

SQLite (one host, like the database itself): an exclusive `flock` on `<database file>.leader.lock`,
which the kernel frees when the process dies. An in-memory database has one process: it leads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import create_engine, text
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.pool import NullPool

from prokai.cluster.presence import first_line
from prokai.store.db import Database

log = logging.getLogger("prokai.cluster.leader")

NAMESPACE = 0x50524C  # "PRL": the advisory-lock class of ProkAi's leadership locks
LOCK_NAME = "prokai-run"
# libpq options: a dead peer is noticed in seconds, not after the kernel's two-hour default.
PG_CONNECT_ARGS = {"connect_timeout": 5, "keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2,
                   "keepalives_count": 2}


class LeaderLock(Protocol):
    """A lock that at most one process of the cluster holds."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free (True: held now); never waits."""

    def alive(self) -> bool:
        """Whether the lock is certainly still held (False: step down)."""

    def release(self) -> None:
        """Give the lock up (also after `alive` said False)."""


class PgLeaderLock:
    """A session-level advisory lock on a dedicated PostgreSQL connection."""

    def __init__(self, url: URL, name: str = LOCK_NAME) -> None:
        self.url = url
        self.name = name
        self._engine: Engine | None = None
        self._conn: Connection | None = None
        self.held = False

    def _connection(self) -> Connection:
        if self._conn is None:
            libpq = self.url.get_driver_name() in ("psycopg", "psycopg2")
            self._engine = create_engine(self.url, poolclass=NullPool, connect_args=PG_CONNECT_ARGS if libpq else {})
            self._conn = self._engine.connect()
        return self._conn

    def try_acquire(self) -> bool:
        """Take the lock if free. A standby keeps its connection between tries."""
        if self.held:
            return True
        try:
            conn = self._connection()
            got = bool(conn.execute(
                text("SELECT pg_try_advisory_lock(:ns, hashtext(current_database() || '/' || current_schema() "
                     "|| '/' || :name))"),
                {"ns": NAMESPACE, "name": self.name},
            ).scalar())
            conn.commit()
        except Exception:
            self.release()
            raise
        self.held = got
        return got

    def alive(self) -> bool:
        """A round trip on the lock's own connection: while it works, the lock is ours."""
        if not self.held or self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
        except Exception as exc:
            log.warning("leadership lock: connection lost: %s", first_line(exc))
            return False
        return True

    def release(self) -> None:
        """Close the connection (the server frees the lock with it)."""
        self.held = False
        conn, engine = self._conn, self._engine
        self._conn = self._engine = None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()
        if engine is not None:
            engine.dispose()


class FileLeaderLock:
    """An exclusive `flock` on a file (SQLite: one host)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        """Take the lock if no other process holds it."""
        import fcntl

        if self._handle is not None:
            return True
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")  # for the operator: who leads
        handle.flush()
        self._handle = handle
        return True

    def alive(self) -> bool:
        """A flock is held until this process lets go of it or dies."""
        return self._handle is not None

    def release(self) -> None:
        """Unlock and close the file."""
        import fcntl

        handle, self._handle = self._handle, None
        if handle is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


class SoleLock:
    """An in-memory database has only this process: it always leads."""

    def __init__(self) -> None:
        self.held = False

    def try_acquire(self) -> bool:
        """Always granted."""
        self.held = True
        return True

    def alive(self) -> bool:
        """Held once taken."""
        return self.held

    def release(self) -> None:
        """Nothing to free."""
        self.held = False


def leader_lock(db: Database, name: str = LOCK_NAME) -> LeaderLock:
    """The leadership lock that fits `db`'s backend."""
    url = db.engine.url
    if db.dialect == "postgresql":
        return PgLeaderLock(url, name)
    if db.dialect == "sqlite" and url.database and url.database != ":memory:" and not url.database.startswith("file:"):
        return FileLeaderLock(Path(f"{url.database}.leader.lock"))
    return SoleLock()


class Leadership:
    """The asyncio side of a `LeaderLock`: wait to lead, then watch for losing it."""

    def __init__(self, lock: LeaderLock, *, retry_s: float = 3.0, check_s: float = 2.0) -> None:
        self.lock = lock
        self.retry_s = retry_s
        self.check_s = check_s
        self._standing_by_logged = False

    async def acquire(self, stop: asyncio.Event, *, after: float = 0.0) -> bool:
        """Wait until this process leads (True) or `stop` is set (False); retries every `retry_s`,
        through database outages. `after`: seconds to wait before the first try (a leader that
        just stepped down leaves the lock to a standby that still has its connection)."""
        if after > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), after)
        while not stop.is_set():
            try:
                if await asyncio.to_thread(self.lock.try_acquire):
                    self._standing_by_logged = False
                    return True
                if not self._standing_by_logged:
                    log.info("another node leads: standing by (trying every %.1f s)", self.retry_s)
                    self._standing_by_logged = True
            except Exception as exc:
                log.warning("leadership lock unavailable (%s); retrying in %.1f s", first_line(exc), self.retry_s)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_s)
        return False

    async def lost(self) -> None:
        """Return once the lock is no longer certainly held (a check that fails or hangs longer
        than `check_s` counts as lost)."""
        while True:
            await asyncio.sleep(self.check_s)
            check = asyncio.ensure_future(asyncio.to_thread(self.lock.alive))
            done, _ = await asyncio.wait({check}, timeout=max(self.check_s, 5.0))
            if not done or not check.result():
                return

    def release(self) -> None:
        """Give the lock up."""
        self.lock.release()


__all__ = ["FileLeaderLock", "LeaderLock", "Leadership", "PgLeaderLock", "SoleLock", "leader_lock"]
