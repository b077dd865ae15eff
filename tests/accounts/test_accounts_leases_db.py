"""Leases at the database level, on SQLite and PostgreSQL: one holder per session across
processes (separate engines and connections), however many try at once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from accounts_harness import Clock, make_settings
from sqlalchemy import select

from prokai.accounts.errors import KIND_MESSAGE, Verdict
from prokai.accounts.pool import AccountPool, LeaseRefused
from prokai.accounts.state import apply_verdict, store_session
from prokai.accounts.vault import Vault
from prokai.store.db import Database
from prokai.store.models import Account, AccountState, AuditRecord


def seed(db: Database, vault: Vault, phones: list[str]) -> None:
    with db.session() as s:
        for phone in phones:
            acc = Account(phone=phone, state="active", meta={})
            s.add(acc)
            s.flush()
            store_session(s, acc, vault, f"1fake-session-of-{phone}")


def test_one_lease_per_session_under_contention(db: Database, tmp_path: Path) -> None:
    settings = make_settings(db.url, tmp_path, lease_ttl_s=60)
    vault = Vault.from_settings(settings)
    seed(db, vault, ["+77055550001", "+77055550002", "+77055550003"])
    clock = Clock()
    # eight "processes", each with its own engine, all racing for the same account, then for any
    dbs = [Database(db.url) for _ in range(8)]
    pools = [AccountPool(d, settings, vault=vault, clock=clock, endpoint=None) for d in dbs]
    try:
        def grab(pool: AccountPool, account: str | None) -> str | None:
            try:
                return pool.acquire(kind="read", account=account)[1]
            except LeaseRefused:
                return None

        with ThreadPoolExecutor(8) as ex:
            won = [o for o in ex.map(lambda p: grab(p, "+77055550001"), pools) if o]
        assert len(won) == 1
        with ThreadPoolExecutor(8) as ex:
            got = [o for o in ex.map(lambda p: grab(p, None), pools) if o]
        assert len(got) == 2  # the two other sessions, once each
        with db.session() as s:
            owners = {a.phone: a.lease_owner for a in s.scalars(select(Account))}
        assert set(owners.values()) == {won[0], *got}
    finally:
        for d in dbs:
            d.dispose()


def test_cooldowns_and_states_are_persisted_and_audited(db: Database, tmp_path: Path) -> None:
    settings = make_settings(db.url, tmp_path)
    vault = Vault.from_settings(settings)
    seed(db, vault, ["+77055550009"])
    clock = Clock()
    pool = AccountPool(db, settings, vault=vault, clock=clock, endpoint=None)
    with db.session() as s:
        acc = s.scalars(select(Account)).one()
        apply_verdict(s, acc, Verdict(AccountState.COOLING, "FLOOD_WAIT_300", 300, "resolve"), clock(), "test")
        apply_verdict(s, acc, Verdict(AccountState.COOLING, "FLOOD_WAIT_60", 60, "resolve"), clock(), "test")
    try:
        pool.acquire(kind="resolve")
        raise AssertionError("leased during a cooldown")
    except LeaseRefused as exc:
        assert "cooling down for resolve" in str(exc)
    acc_, owner = pool.acquire(kind=KIND_MESSAGE)  # another kind is free
    pool.release(acc_.id, owner)
    try:
        pool.acquire(kind=KIND_MESSAGE, also=("resolve",))  # ... unless the work also needs look-ups
        raise AssertionError("leased although resolve is cooling")
    except LeaseRefused as exc:
        assert "cooling down for resolve" in str(exc)
    try:
        pool.acquire(kind=KIND_MESSAGE, avoid=[acc_.id])
        raise AssertionError("handed out an avoided account")
    except LeaseRefused as exc:
        assert "no session free" in str(exc)
    clock.advance(301)
    acc_, owner = pool.acquire(kind="resolve")
    pool.release(acc_.id, owner)
    with db.session() as s:
        acc = s.scalars(select(Account)).one()
        assert acc.state == "active" and acc.cooldown_until is None and acc.lease_owner is None
        actions = [(a.action, a.details.get("new")) for a in s.scalars(select(AuditRecord).order_by(AuditRecord.id))]
    assert ("account.cooldown", None) in actions
    assert [n for a, n in actions if a == "account.state"] == ["cooling", "active"]
