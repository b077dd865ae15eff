"""Leases of a dead process are taken over at once (fencing by the owner token, a compare-and-set
on it), those of a live process or of another host are not; the same `take_lease` serves the
crawler's account pool and `prokai accounts login`, so a login run killed with -9 frees its SIMs
for the next run immediately. Real processes: one that exited, one still running."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from prokai.accounts.pool import node_name, owner_is_dead, reap_dead_leases, take_lease
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Account, AuditRecord
from prokai.store.types import utcnow

pytestmark = pytest.mark.timeout(60)


def _token_of_child(*, wait: bool) -> tuple[str, subprocess.Popen[str]]:
    code = "from prokai.accounts.pool import node_name; print(node_name(), flush=True)"
    if not wait:
        code += "; import time; time.sleep(60)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    token = child.stdout.readline().strip()
    if wait:
        child.wait()
    return f"{token}:login:run1:1", child


def test_dead_live_and_foreign_owners(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/leases.db"
    upgrade(url)
    db = Database(url)
    dead, _ = _token_of_child(wait=True)
    live, sleeper = _token_of_child(wait=False)
    try:
        assert owner_is_dead(dead) and not owner_is_dead(live)
        assert not owner_is_dead(f"elsewhere:{sleeper.pid}:1:x") and not owner_is_dead(node_name() + ":me")
        now = utcnow()
        with db.session() as s:
            rows = [Account(phone=f"+7706600000{n}", state="active", session_enc=b"sealed",
                            lease_owner=owner, lease_until=now + timedelta(seconds=300))
                    for n, owner in enumerate((dead, live, "elsewhere:1:1:x", dead))]
            s.add_all(rows)
            s.flush()
            ids = [a.id for a in rows]
        mine = node_name() + ":test"
        with db.session() as s:
            assert take_lease(s, ids[0], mine, now + timedelta(seconds=300), now, need_session=True)
            assert not take_lease(s, ids[1], mine, now + timedelta(seconds=300), now, need_session=True)
            assert not take_lease(s, ids[2], mine, now + timedelta(seconds=300), now, need_session=True)
            # past the TTL anyone's lease is free, as before
            later = now + timedelta(seconds=301)
            assert take_lease(s, ids[2], mine, later + timedelta(seconds=300), later, need_session=True)
            assert reap_dead_leases(s) == 1  # the other account of the dead process
        with db.session() as s:
            owners = {a.id: a.lease_owner for a in s.scalars(select(Account))}
            actions = [a.action for a in s.scalars(select(AuditRecord).where(AuditRecord.action.like("lease.%")))]
        assert owners == {ids[0]: mine, ids[1]: live, ids[2]: mine, ids[3]: None}
        assert sorted(actions) == ["lease.reaped", "lease.taken_over"]
    finally:
        sleeper.kill()
        sleeper.wait()
        db.dispose()
