"""The evidence chain catches edits, reorderings, deletions and insertions behind the store."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from prokai.cli import app
from prokai.store.audit import audit
from prokai.store.chain import EvidenceImmutableError, verify_chain
from prokai.store.db import Database
from prokai.store.models import ChainEntry, Message, Requisite, Review


def _fill(db: Database, n: int = 20) -> list[int]:
    with db.session() as s:
        msgs = [
            Message(
                direction="in" if i % 2 else "out",
                text=f"Оплата на карту 4400 4302 1234 {i:04d}, 25 000 ₸",
                sender_id=1000 + i,
                telegram_message_id=i,
                entities=[{"type": "bold", "offset": 0, "length": 6}],
                buttons=[[{"text": "Оплатил", "data": "paid"}]],
                sent_at=datetime(2026, 11, 21, 12, 0, i % 60, tzinfo=UTC),
            )
            for i in range(n)
        ]
        s.add_all(msgs)
        req = Requisite(kind="card", value="4400430212340001", status="confirmed")
        s.add(req)
        s.flush()
        s.add(Review(requisite_id=req.id, reviewer_id=42, decision="confirmed"))
        audit(s, "tester", "requisite.confirm", "requisite", req.id, via="test")
    return [m.id for m in msgs]


def _run_sql(db: Database, sql: str, **params: object) -> None:
    with db.engine.begin() as conn:
        conn.execute(sa.text(sql), params)


def _verify(db: Database):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return verify_chain(s)


def test_intact_chain_verifies(db: Database) -> None:
    _fill(db)
    result = _verify(db)
    assert result.ok, result.describe()
    assert result.checked == 23  # 20 messages, the requisite, its review, the audit record


def test_edited_message_is_caught_at_that_record(db: Database) -> None:
    ids = _fill(db)
    _run_sql(db, "UPDATE messages SET text = 'Оплата на карту 5169 4971 0000 0000' WHERE id = :id", id=ids[7])
    result = _verify(db)
    assert not result.ok
    assert (result.record_type, result.record_id) == ("message", ids[7])
    assert "edited" in (result.reason or "")


def test_deleted_message_is_caught(db: Database) -> None:
    ids = _fill(db)
    _run_sql(db, "DELETE FROM messages WHERE id = :id", id=ids[3])
    result = _verify(db)
    assert not result.ok and result.record_id == ids[3] and "missing" in (result.reason or "")


def test_swapped_messages_are_caught(db: Database) -> None:
    ids = _fill(db)
    a, b = ids[4], ids[5]
    _run_sql(db, "UPDATE messages SET telegram_message_id = -1 WHERE id = :a", a=a)
    _run_sql(db, "UPDATE messages SET telegram_message_id = 4 WHERE id = :b", b=b)
    _run_sql(db, "UPDATE messages SET telegram_message_id = 5 WHERE id = :a", a=a)
    result = _verify(db)
    assert not result.ok and result.record_id == a


def test_reordered_links_are_caught(db: Database) -> None:
    _fill(db)
    # Swap two links' positions (record pointers) as a forger re-ordering evidence would.
    _run_sql(db, "UPDATE evidence_chain SET seq = -5 WHERE seq = 5")
    _run_sql(db, "UPDATE evidence_chain SET seq = 5 WHERE seq = 6")
    _run_sql(db, "UPDATE evidence_chain SET seq = 6 WHERE seq = -5")
    result = _verify(db)
    assert not result.ok and result.seq == 5


def test_removed_link_is_caught(db: Database) -> None:
    _fill(db)
    _run_sql(db, "DELETE FROM evidence_chain WHERE seq = 9")
    result = _verify(db)
    assert not result.ok and result.seq == 10 and "missing" in (result.reason or "")


def test_truncated_tail_is_caught(db: Database) -> None:
    _fill(db)
    _run_sql(db, "DELETE FROM evidence_chain WHERE seq = 23")
    result = _verify(db)
    assert not result.ok and "truncated" in (result.reason or "")


def test_record_inserted_behind_the_store_is_caught(db: Database) -> None:
    _fill(db)
    _run_sql(db, "INSERT INTO messages (direction, text, entities, buttons, stored_at) "
             "VALUES ('in', 'forged', '[]', '[]', CURRENT_TIMESTAMP)")
    result = _verify(db)
    assert not result.ok and "not in the chain" in (result.reason or "")


def test_edited_audit_record_is_caught(db: Database) -> None:
    _fill(db)
    _run_sql(db, "UPDATE audit_log SET actor = 'someone else'")
    result = _verify(db)
    assert not result.ok and result.record_type == "audit"


def test_orm_refuses_to_change_evidence(db: Database) -> None:
    ids = _fill(db, 3)
    with pytest.raises(EvidenceImmutableError), db.session() as s:
        msg = s.get(Message, ids[0])
        assert msg is not None
        msg.text = "changed"
        s.flush()
    with pytest.raises(EvidenceImmutableError), db.session() as s:
        msg = s.get(Message, ids[1])
        s.delete(msg)
        s.flush()
    assert _verify(db).ok


def test_rolled_back_transaction_leaves_no_link(db: Database) -> None:
    _fill(db, 2)
    with pytest.raises(RuntimeError), db.session() as s:
        s.add(Message(direction="in", text="lost"))
        s.flush()
        raise RuntimeError("crash halfway")
    with db.session() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(ChainEntry)) == 5
    assert _verify(db).ok


def test_cli_verify_exit_codes(db: Database, db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ids = _fill(db, 5)
    monkeypatch.setenv("PROKAI_DATABASE__URL", db_url)
    runner = CliRunner()
    ok = runner.invoke(app, ["evidence", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "8 records verified" in ok.output
    _run_sql(db, "UPDATE messages SET text = 'x' WHERE id = :id", id=ids[2])
    bad = runner.invoke(app, ["evidence", "verify"])
    assert bad.exit_code == 1
    assert f"message {ids[2]}" in bad.output
