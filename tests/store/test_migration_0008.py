"""Migration 0008: the workers table appears (columns, the one row per node and pid, the
heartbeat index) and goes again on a downgrade to 0007; on both databases."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from prokai.store.db import make_engine
from prokai.store.migrate import downgrade, status, upgrade


def _inspect(url: str) -> tuple[set[str], dict[str, list[str]], list[list[str]], list[list[str | None]]]:
    engine = make_engine(url)
    try:
        insp = sa.inspect(engine)
        tables = set(insp.get_table_names())
        if "workers" not in tables:
            return tables, {}, [], []
        columns = {c["name"]: [str(c["type"]), str(c["nullable"])] for c in insp.get_columns("workers")}
        uniques = [u["column_names"] for u in insp.get_unique_constraints("workers")]
        indexes = [i["column_names"] for i in insp.get_indexes("workers") if not i.get("unique")]
        return tables, columns, uniques, indexes
    finally:
        engine.dispose()


def test_0008_creates_and_drops_the_workers_table(db_url: str) -> None:
    upgrade(db_url, "0007")
    assert "workers" not in _inspect(db_url)[0]
    upgrade(db_url, "0008")
    tables, columns, uniques, indexes = _inspect(db_url)
    assert set(columns) == {"id", "node", "pid", "role", "host", "version", "doing", "started_at", "heartbeat_at"}
    assert all(nullable == "False" for _type, nullable in columns.values())
    assert uniques == [["node", "pid"]] and indexes == [["heartbeat_at"]]

    engine = make_engine(db_url)
    row = {"node": "n", "pid": 1, "role": "worker", "host": "h", "version": "0.1.0", "doing": "",
           "started_at": "2026-12-07 15:00:00", "heartbeat_at": "2026-12-07 15:00:00"}
    insert = sa.text("INSERT INTO workers (node, pid, role, host, version, doing, started_at, heartbeat_at) "
                     "VALUES (:node, :pid, :role, :host, :version, :doing, :started_at, :heartbeat_at)")
    with engine.begin() as conn:
        conn.execute(insert, row)
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
        conn.execute(insert, row)  # one row per node and pid
    engine.dispose()

    downgrade(db_url, "0007")
    assert "workers" not in _inspect(db_url)[0]
    assert status(db_url).current == "0007"
    upgrade(db_url)
    assert "workers" in _inspect(db_url)[0]
