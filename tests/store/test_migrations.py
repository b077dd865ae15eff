"""Migrations: upgrade from empty, downgrade one step, upgrade again, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from prokai.store.db import make_engine
from prokai.store.migrate import downgrade, status, upgrade
from prokai.store.models import Base


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(db_url: str) -> None:
    assert status(db_url).current is None
    upgrade(db_url)
    st = status(db_url)
    assert st.up_to_date and st.pending == []
    assert set(Base.metadata.tables) <= _tables(db_url)

    downgrade(db_url)
    st = status(db_url)
    assert not st.up_to_date and st.pending == [st.head]

    upgrade(db_url)
    assert status(db_url).up_to_date
    engine = make_engine(db_url)
    with engine.connect() as conn:
        heads = conn.execute(sa.text("SELECT id, seq FROM evidence_chain_head")).all()
    engine.dispose()
    assert [tuple(r) for r in heads] == [(1, 0)]


def test_downgrade_to_base_removes_everything(db_url: str) -> None:
    upgrade(db_url)
    downgrade(db_url, "base")
    assert not (set(Base.metadata.tables) & _tables(db_url))


def test_models_match_migrations(db_url: str) -> None:
    """Autogenerate finds nothing to do after upgrade: models and migrations agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    upgrade(db_url)
    engine = make_engine(db_url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    assert diff == []
