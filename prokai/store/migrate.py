"""Schema migrations (Alembic), driven from code: `prokai db upgrade`, `prokai db status`.

An upgrade or downgrade runs in one transaction, DDL included (on SQLite too): a run cut short
by a full disk, an error or a kill leaves the schema at the revision it started from, and the
next `prokai db upgrade` (or the first command on a fresh SQLite file) simply runs it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from prokai.store.db import make_engine

MIGRATIONS = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at the packaged migrations and `url`."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _run(url: str, fn: str, revision: str) -> None:
    # One transaction for the whole run, DDL included: cut short, it leaves the schema as it was.
    engine = make_engine(url, transactional_ddl=True)
    try:
        with engine.begin() as conn:
            cfg = alembic_config(url)
            cfg.attributes["connection"] = conn
            getattr(command, fn)(cfg, revision)
    finally:
        engine.dispose()


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the schema at `url` up to `revision`."""
    _run(url, "upgrade", revision)
    log.info("database schema upgraded", extra={"revision": revision})


def downgrade(url: str, revision: str = "-1") -> None:
    """Step the schema at `url` down to `revision` (default: one step)."""
    _run(url, "downgrade", revision)


@dataclass
class SchemaStatus:
    current: str | None
    head: str
    pending: list[str]

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def status(url: str) -> SchemaStatus:
    """The current revision, the head, and the revisions not yet applied."""
    script = ScriptDirectory.from_config(alembic_config(url))
    head = script.get_current_head() or ""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    pending = [
        rev.revision for rev in script.iterate_revisions(head, current or "base") if rev.revision != current
    ]
    return SchemaStatus(current, head, list(reversed(pending)))
