"""Fixtures for the intake tests (the shared `db`/`db_url` fixtures come from tests/conftest.py);
the archive's sandbox rig comes from tests/accounts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from prokai.store.db import Database
from prokai.store.migrate import upgrade

sys.path.insert(0, str(Path(__file__).parent.parent / "accounts"))


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database (the Telegram-level tests)."""
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()
