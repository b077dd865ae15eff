"""Fixtures for the accounts tests (the shared `db`/`db_url` fixtures come from tests/conftest.py)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from prokai.store.db import Database
from prokai.store.migrate import upgrade

sys.path.insert(0, str(Path(__file__).parent))

from accounts_harness import KEY_A  # noqa: E402


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A migrated SQLite database (the Telegram-level tests; the store-level ones run on both)."""
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    database = Database(url)
    try:
        yield database
    finally:
        database.dispose()


@pytest.fixture(autouse=True)
def vault_key(monkeypatch: pytest.MonkeyPatch) -> str:
    """Every test has a vault key in the environment (as an operator would)."""
    monkeypatch.setenv("PROKAI_VAULT_KEY", KEY_A)
    monkeypatch.delenv("PROKAI_VAULT_OLD_KEYS", raising=False)
    return KEY_A
