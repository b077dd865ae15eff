"""Every stored fact a prosecutor acts on is chained: a forged card value, a forged `confirmed`,
edited sightings, originals, collection contexts and shop status changes, rows slipped in behind
the store, and a chain rewritten after it was anchored are all caught by `prokai evidence verify`;
which works on a read-only copy of the database and runs SQLite's integrity check."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from prokai.cli import app
from prokai.review.access import Reviewer
from prokai.review.decisions import decide_in
from prokai.store.audit import audit
from prokai.store.chain import EvidenceImmutableError, EvidenceSession, verify_chain
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import (
    CollectionContext,
    Conversation,
    Message,
    Original,
    Requisite,
    Shop,
    ShopStatusChange,
    Sighting,
)

VAULT_KEY = "a" * 64
CARD = "4400430212345678"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, dict[str, int]]]:
    """One filled store per backend for the whole module; each tampering is rolled back."""
    schema = None
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('tamper')}/prokai.db"
    else:
        base = os.environ.get("PROKAI_TEST_PG_URL", "")
        if not base:
            if os.environ.get("CI"):
                pytest.fail("PROKAI_TEST_PG_URL is not set: PostgreSQL tests must run in CI")
            pytest.skip("PROKAI_TEST_PG_URL not set")
        schema = f"t_{uuid.uuid4().hex[:12]}"
        with sa.create_engine(base).begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{base}{'&' if '?' in base else '?'}options={quote(f'-csearch_path={schema}')}"
    upgrade(url)
    db = Database(url)
    try:
        yield db, _fill(db)
    finally:
        db.dispose()
        if schema is not None:
            admin = sa.create_engine(os.environ["PROKAI_TEST_PG_URL"])
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


def _fill(db: Database) -> dict[str, int]:
    with db.session() as s:
        shop = Shop(telegram_id=777, username="tiny_shop_bot")
        s.add(shop)
        s.flush()
        conv = Conversation(shop_id=shop.id, peer_id=777)
        s.add(conv)
        s.flush()
        s.add(CollectionContext(conversation_id=conv.id, phone="+77010000000", sim_iccid="8997103118123456789",
                                node="node-1", tool="prokai crawl", tool_version="0.1.0", config_hash="c" * 64))
        msg = Message(conversation_id=conv.id, direction="in", telegram_message_id=5,
                      text=f"Оплата на карту {CARD}", sent_at=datetime(2026, 12, 1, 12, 0, tzinfo=UTC))
        s.add(msg)
        s.flush()
        data = b"\x01\x02\x03 TL bytes"
        s.add(Original(message_id=msg.id, kind="tl", sha256=hashlib.sha256(data).hexdigest(), size=len(data),
                       data=data, telegram_date=msg.sent_at))
        req = Requisite(kind="card", value=CARD, issuer="Kaspi Bank", country="KZ")
        other = Requisite(kind="card", value="4400430299998888")
        s.add_all([req, other])
        s.flush()
        s.add(Sighting(requisite_id=req.id, message_id=msg.id, conversation_id=conv.id, shop_id=shop.id,
                       amount=15000, currency="KZT", method="text"))
        s.add(ShopStatusChange(shop_id=shop.id, status="alive", details={"sweep": "2026-12-01"}))
        audit(s, "tester", "case.create", "case", 1)
        ids = {"message": msg.id, "requisite": req.id, "other": other.id}
    with db.session() as s:
        assert decide_in(s, ids["requisite"], Reviewer(42, "Prosecutor", "prosecutor"), "confirmed").outcome == "decided"
    with db.session() as s:
        assert verify_chain(s).ok, verify_chain(s).describe()
    return ids


def _sql(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _broken_after(db: Database, *statements: str, **params: object) -> tuple[str | None, int | None, str]:
    """Run `statements` and verify in one transaction, then roll it all back."""
    with db.engine.connect() as conn:
        trans = conn.begin()
        try:
            for sql in statements:
                conn.execute(sa.text(sql), params)
            with Session(bind=conn) as s:
                result = verify_chain(s)
        finally:
            trans.rollback()
    assert not result.ok, "tampering went unnoticed"
    return result.record_type, result.record_id, result.reason or ""


TAMPERING = [
    ("forged card value", "UPDATE requisites SET value = '4400430200000001' WHERE id = :requisite", "requisite"),
    ("forged issuer", "UPDATE requisites SET issuer = 'Halyk Bank' WHERE id = :requisite", "requisite"),
    ("forged confirmed status", "UPDATE requisites SET status = 'confirmed' WHERE id = :other", "requisite"),
    ("confirmed turned rejected", "UPDATE requisites SET status = 'rejected' WHERE id = :requisite", "requisite"),
    ("review decision edited", "UPDATE reviews SET decision = 'rejected'", "review"),
    ("sighting amount edited", "UPDATE sightings SET amount = 1", "sighting"),
    ("sighting moved to another message", "UPDATE sightings SET requisite_id = :other", "sighting"),
    ("original bytes replaced", "UPDATE originals SET data = :blob", "original"),
    ("original hash edited", "UPDATE originals SET sha256 = :fake", "original"),
    ("context SIM edited", "UPDATE collection_contexts SET sim_iccid = '8997000000000000000'", "context"),
    ("shop status edited", "UPDATE shop_status_changes SET status = 'dead'", "shop_status"),
    ("message text edited", "UPDATE messages SET text = 'x' WHERE id = :message", "message"),
    ("sighting deleted", "DELETE FROM sightings", "sighting"),
]


@pytest.mark.parametrize(("what", "sql", "rtype"), TAMPERING, ids=[t[0] for t in TAMPERING])
def test_every_tampering_of_a_stored_fact_is_detected(filled: tuple[Database, dict[str, int]], what: str, sql: str,
                                                      rtype: str) -> None:
    db, ids = filled
    found_type, _, reason = _broken_after(db, sql, **ids, blob=b"forged", fake="0" * 64)
    assert found_type == rtype, reason


def test_rows_slipped_in_behind_the_store_are_detected(filled: tuple[Database, dict[str, int]]) -> None:
    db, ids = filled
    assert _broken_after(
        db,
        "INSERT INTO reviews (requisite_id, reviewer_id, decision, created_at) VALUES (:other, 1, 'confirmed', "
        "'2026-12-01 00:00:00')",
        "UPDATE requisites SET status = 'confirmed' WHERE id = :other",
        **ids,
    )[0] == "review"


def test_forged_requisite_row_is_detected(filled: tuple[Database, dict[str, int]]) -> None:
    db, _ = filled
    assert _broken_after(
        db, "INSERT INTO requisites (kind, value, status, first_seen, last_seen, meta) "
        "VALUES ('card', '4400430211112222', 'confirmed', '2026-12-01 00:00:00', '2026-12-01 00:00:00', '{}')"
    )[0] == "requisite"


def test_working_notes_of_a_requisite_may_change(filled: tuple[Database, dict[str, int]]) -> None:
    """last_seen and meta (notification marks) are not evidence; the ORM may update them."""
    db, ids = filled
    with db.engine.connect() as conn:
        trans = conn.begin()
        try:
            with EvidenceSession(bind=conn) as s:
                req = s.get(Requisite, ids["requisite"])
                assert req is not None
                req.last_seen = datetime(2026, 12, 5, tzinfo=UTC)
                req.meta = {**req.meta, "notified_at": "2026-12-05T00:00:00"}
                s.flush()
                assert verify_chain(s).ok
                req.value = "4400430200000001"
                with pytest.raises(EvidenceImmutableError):
                    s.flush()
        finally:
            trans.rollback()


def _cli(env: dict[str, str], *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def _sqlite_env(path: Path, anchors: Path) -> dict[str, str]:
    return {"PROKAI_DATABASE__URL": f"sqlite:///{path}", "PROKAI_VAULT_KEY": VAULT_KEY,
            "PROKAI_EVIDENCE__ANCHOR_FILE": str(anchors)}


@pytest.fixture
def sqlite_store(tmp_path: Path) -> tuple[Database, Path]:
    path = tmp_path / "prokai.db"
    upgrade(f"sqlite:///{path}")
    return Database(f"sqlite:///{path}"), path


def test_chain_rewritten_after_anchoring_is_detected(sqlite_store: tuple[Database, Path], tmp_path: Path) -> None:
    db, path = sqlite_store
    with db.session() as s:
        for i in range(3):
            s.add(Message(direction="in", text=f"m{i}", telegram_message_id=i))
    env = _sqlite_env(path, tmp_path / "anchors.jsonl")
    code, out = _cli(env, "evidence", "anchor")
    assert code == 0, out
    code, out = _cli(env, "evidence", "verify")
    assert code == 0 and "1 anchor(s)" in out, out
    # An insider edits a message and recomputes every link and the head: the chain is
    # self-consistent again, but no longer what was anchored.
    from prokai.evidence.canonical import entry_hash
    from prokai.store.chain import GENESIS, record_hash
    from prokai.store.models import ChainEntry, ChainHead

    _sql(db, "UPDATE messages SET text = 'forged' WHERE id = 2")
    with db.sessions() as s:
        prev = GENESIS
        for e in s.scalars(sa.select(ChainEntry).order_by(ChainEntry.seq)):
            msg = s.get(Message, e.record_id)
            assert msg is not None
            rh = record_hash(msg)
            link = entry_hash(prev, e.record_type, e.record_id, rh)
            s.execute(sa.update(ChainEntry).where(ChainEntry.seq == e.seq)
                      .values(record_hash=rh, prev_hash=prev, entry_hash=link))
            prev = link
        s.execute(sa.update(ChainHead).values(head_hash=prev))
        s.commit()
    with db.session() as s:
        assert verify_chain(s).ok  # the database alone cannot tell
    code, out = _cli(env, "evidence", "verify")
    assert code == 1 and "anchor 1" in out and "rewritten" in out, out


def test_anchor_signed_by_another_key_is_rejected(sqlite_store: tuple[Database, Path], tmp_path: Path) -> None:
    _, path = sqlite_store
    anchors = tmp_path / "anchors.jsonl"
    code, out = _cli({**_sqlite_env(path, anchors), "PROKAI_VAULT_KEY": "b" * 64}, "evidence", "anchor")
    assert code == 0, out
    code, out = _cli(_sqlite_env(path, anchors), "evidence", "verify")
    assert code == 1 and "not this installation's" in out, out


def test_anchors_made_before_a_vault_rekey_still_verify(sqlite_store: tuple[Database, Path], tmp_path: Path) -> None:
    _, path = sqlite_store
    anchors = tmp_path / "anchors.jsonl"
    code, out = _cli(_sqlite_env(path, anchors), "evidence", "anchor")
    assert code == 0, out
    rekeyed = {**_sqlite_env(path, anchors), "PROKAI_VAULT_KEY": "c" * 64, "PROKAI_VAULT_OLD_KEYS": VAULT_KEY}
    code, out = _cli(rekeyed, "evidence", "verify")
    assert code == 0 and "1 anchor(s)" in out, out


def _read_only_copy(db: Database, src: Path, folder: Path) -> Path:
    db.dispose()
    with sqlite3.connect(src) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    folder.mkdir()
    copy = folder / "prokai.db"
    shutil.copy(src, copy)
    copy.chmod(stat.S_IRUSR | stat.S_IRGRP)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    return copy


def test_verify_and_status_on_a_read_only_copy(sqlite_store: tuple[Database, Path], tmp_path: Path) -> None:
    db, path = sqlite_store
    with db.session() as s:
        s.add(Message(direction="in", text="Карта 4400 4302 1234 5678", telegram_message_id=1))
    copy = _read_only_copy(db, path, tmp_path / "ro")
    before = copy.read_bytes()
    try:
        env = _sqlite_env(copy, tmp_path / "none.jsonl")
        code, out = _cli(env, "evidence", "verify")
        assert code == 0 and "1 records verified" in out, out
        code, out = _cli(env, "db", "status")
        assert code == 0 and "up to date" in out, out
        assert sorted(os.listdir(copy.parent)) == ["prokai.db"]  # no -wal, no -shm made
        assert copy.read_bytes() == before
    finally:
        (tmp_path / "ro").chmod(0o755)


def test_damaged_storage_is_reported_in_one_line(sqlite_store: tuple[Database, Path], tmp_path: Path) -> None:
    db, path = sqlite_store
    with db.session() as s:
        for i in range(300):
            s.add(Message(direction="in", text=f"сообщение {i} " * 20, telegram_message_id=i))
    db.dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page = conn.execute("PRAGMA page_size").fetchone()[0]
        root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'ix_messages_conv_tg'").fetchone()[0]
    raw = bytearray(path.read_bytes())
    start = (root - 1) * page
    raw[start + 8 : start + 200] = b"\xff" * 192  # scribble over an index page
    path.write_bytes(bytes(raw))
    code, out = _cli(_sqlite_env(path, tmp_path / "none.jsonl"), "evidence", "verify")
    assert code == 1, out
    assert out.count("\n") == 1 and out.startswith("error: ") and "Traceback" not in out, out


def test_missing_database_is_one_line(tmp_path: Path) -> None:
    code, out = _cli(_sqlite_env(tmp_path / "absent.db", tmp_path / "a.jsonl"), "evidence", "verify")
    assert code == 2 and out.startswith("error: no database at"), out
