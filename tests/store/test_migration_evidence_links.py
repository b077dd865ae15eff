"""Migration 0005 chains the requisites, sightings and shop status changes already stored, and a
downgrade re-links what remains: the chain verifies on both sides, on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import downgrade, upgrade
from prokai.store.models import ChainEntry


def test_rows_stored_before_0005_become_links(db_url: str) -> None:
    upgrade(db_url, "0004")
    old = Database(db_url)
    with old.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO shops (telegram_id, username, kind, status, first_seen, last_seen, meta) "
                             "VALUES (7, 'old_shop_bot', 'bot', 'alive', '2026-11-01 10:00:00', '2026-11-01 10:00:00', '{}')"))
        conn.execute(sa.text("INSERT INTO requisites (kind, value, status, first_seen, last_seen, meta) VALUES "
                             "('card', '4400430212345678', 'pending', '2026-11-01 10:00:00.123456', "
                             "'2026-11-02 10:00:00', '{}')"))
        conn.execute(sa.text("INSERT INTO sightings (requisite_id, shop_id, seen_at, amount, currency, details) "
                             "VALUES (1, 1, '2026-11-01 10:00:00', 25000.5, 'KZT', '{\"confidence\": 0.9}')"))
        conn.execute(sa.text("INSERT INTO shop_status_changes (shop_id, at, status, details) "
                             "VALUES (1, '2026-11-03 03:00:00', 'alive', '{\"sweep\": \"2026-11-03\"}')"))
    old.dispose()
    upgrade(db_url)
    db = Database(db_url)
    try:
        with db.session() as s:
            result = verify_chain(s)
            assert result.ok, result.describe()
            types = list(s.scalars(sa.select(ChainEntry.record_type).order_by(ChainEntry.seq)))
        assert types == ["requisite", "sighting", "shop_status"]
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE sightings SET amount = 1"))
        with db.session() as s:
            assert verify_chain(s).record_type == "sighting"
        with db.engine.begin() as conn:
            conn.execute(sa.text("UPDATE sightings SET amount = 25000.5"))
    finally:
        db.dispose()
    downgrade(db_url, "0004")
    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT count(*) FROM evidence_chain")).scalar() == 0
            assert conn.execute(sa.text("SELECT seq FROM evidence_chain_head")).scalar() == 0
    finally:
        db.dispose()
