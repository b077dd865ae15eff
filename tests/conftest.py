"""Shared fixtures: every store test runs on SQLite and on PostgreSQL.

PostgreSQL comes from PROKAI_TEST_PG_URL (set by .ci/run and the Makefile); each test gets a
schema of its own, so parallel runs on one server never see each other. Under CI=true a missing
PostgreSQL is a failure, never a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import sqlalchemy as sa

from prokai.store.db import Database
from prokai.store.migrate import upgrade

PG_URL = os.environ.get("PROKAI_TEST_PG_URL", "")


def _require_pg() -> str:
    if not PG_URL:
        if os.environ.get("CI"):
            pytest.fail("PROKAI_TEST_PG_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PROKAI_TEST_PG_URL not set")
    return PG_URL


def _with_schema(url: str, schema: str) -> str:
    sep = "&" if "?" in url else "?"
    return f"{url}{sep}options={quote(f'-csearch_path={schema}')}"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh, empty schema (dropped afterwards)."""
    base = _require_pg()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _with_schema(base, schema)
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> str:
    """An empty database URL, once per backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/prokai.db"
    return str(request.getfixturevalue("pg_schema_url"))


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database on each backend."""
    upgrade(db_url)
    database = Database(db_url)
    try:
        yield database
    finally:
        database.dispose()
