"""Whether the process behind a lease token is alive, on any host, when the store is PostgreSQL.

A lease names its holder (`host:pid:start…`). On the holder's own host `/proc` says whether that
process still runs. Across hosts nothing local can say it, and waiting out the lease's TTL leaves
an account idle for minutes after its holder died. On PostgreSQL every process that takes leases
holds a session-level advisory lock named after itself on a connection of its own for its whole
life (`announce`); the server drops that lock the moment the process or its connection dies. A
holder is dead when its lock can be taken (`holder_is_gone`). Its lease is then taken over with a
compare-and-set on the dead holder's token (the fencing in `prokai.accounts.pool.take_lease`); a
holder that was only cut off from the database finds its lease gone at its next renewal and stops.

Tokens of announced processes carry the `~pg` mark, so a holder that never announced (an older
version, SQLite) is never judged by a lock it was not holding.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

log = logging.getLogger(__name__)

MARK = "~pg"
NAMESPACE = 0x50524B  # "PRK": the advisory-lock class of ProkAi's liveness locks

_lock = threading.Lock()
_held: dict[str, Connection] = {}  # engine URL -> the connection holding this process's lock


def _key(process: str) -> int:
    """The advisory-lock object id of `process` (its token's host:pid:start)."""
    return int.from_bytes(hashlib.sha256(process.encode("utf-8")).digest()[:4], "big", signed=True)


def process_of(owner: str) -> str | None:
    """`host:pid:start` of an announced holder's token (marked `~pg`), else None."""
    parts = owner.split(":")
    if len(parts) < 3 or not parts[2].endswith(MARK):
        return None
    return ":".join([parts[0], parts[1], parts[2].removesuffix(MARK)])


def announce(engine: Engine, process: str) -> str:
    """Hold this process's liveness lock on `engine` (once per process and database); returns the
    token part to use in leases: `process` with the mark on PostgreSQL, `process` as is elsewhere."""
    if engine.dialect.name != "postgresql":
        return process
    # Advisory locks belong to the database, not to a schema or a connection URL's options.
    where = f"{engine.url.host}:{engine.url.port}/{engine.url.database}"
    with _lock:
        if where not in _held:
            # An engine of its own: the held connection must not take one from the application's pool.
            own = create_engine(engine.url, poolclass=NullPool)
            conn = own.connect()
            got = conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"),
                               {"ns": NAMESPACE, "key": _key(process)}).scalar()
            conn.commit()
            if not got:  # another session has this key (a hash collision): never be judged by it
                conn.close()
                log.warning("liveness lock for %s is taken by another session; leases wait for the TTL", process)
                return process
            _held[where] = conn
            log.debug("liveness lock held for %s", process)
    return process + MARK


def holder_is_gone(session_or_conn: Any, owner: str) -> bool:
    """Whether the announced process holding lease token `owner` is certainly gone (its lock is
    free). False for tokens without the mark and on databases other than PostgreSQL."""
    process = process_of(owner)
    bind = session_or_conn.get_bind() if hasattr(session_or_conn, "get_bind") else session_or_conn
    if process is None or bind.dialect.name != "postgresql":
        return False
    engine = bind.engine if hasattr(bind, "engine") else bind
    params = {"ns": NAMESPACE, "key": _key(process)}
    # A connection of its own, given back at once: a session-level lock taken on a pooled
    # connection would outlive the check.
    own = create_engine(engine.url, poolclass=NullPool)
    try:
        with own.connect() as conn:
            free = bool(conn.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), params).scalar())
            if free:
                conn.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), params)
            conn.commit()
    finally:
        own.dispose()
    return free


def release_all() -> None:
    """Give up this process's liveness locks (tests; a process that exits loses them anyway)."""
    with _lock:
        for conn in _held.values():
            conn.close()
        _held.clear()


__all__ = ["MARK", "announce", "holder_is_gone", "process_of", "release_all"]
