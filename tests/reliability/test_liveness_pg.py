"""Leases across hosts on PostgreSQL: a holder on another host that dies frees its accounts at
once (its liveness lock is gone), not after the lease's TTL; a live one keeps them; a token
without the liveness mark is never judged by a lock. Real processes on the real server."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from prokai.accounts.liveness import MARK, holder_is_gone
from prokai.accounts.pool import take_lease
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Account, AuditRecord
from prokai.store.types import utcnow

pytestmark = pytest.mark.timeout(60)

# A holder "on another host": its token names a host that is not this one, so /proc cannot judge it.
CHILD = """
import sys, time
from sqlalchemy import create_engine
from prokai.accounts.liveness import announce
engine = create_engine(sys.argv[1])
print(announce(engine, sys.argv[2]), flush=True)
time.sleep(120)
"""


def _holder(url: str, process: str) -> tuple[str, subprocess.Popen[str]]:
    child = subprocess.Popen([sys.executable, "-c", CHILD, url, process], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    return child.stdout.readline().strip() + ":crawl:1", child


def test_a_dead_holder_on_another_host_frees_its_lease_at_once(pg_schema_url: str) -> None:
    upgrade(pg_schema_url)
    db = Database(pg_schema_url)
    run = uuid.uuid4().hex[:8]  # tokens of their own: runs side by side never share a lock
    live_token, live = _holder(pg_schema_url, f"node-b-{run}.example:4242:777")
    dead_token, dying = _holder(pg_schema_url, f"node-c-{run}.example:4343:888")
    try:
        assert live_token.startswith(f"node-b-{run}.example:4242:777" + MARK)
        with db.session() as s:
            assert not holder_is_gone(s, live_token) and not holder_is_gone(s, dead_token)
        dying.kill()
        dying.wait()
        with db.session() as s:
            assert holder_is_gone(s, dead_token) and not holder_is_gone(s, live_token)
            # an unmarked token (a holder that never announced) is never judged by a lock
            assert not holder_is_gone(s, "node-d.example:1:2:crawl:1")
        now = utcnow()
        with db.session() as s:
            rows = [Account(phone=f"+7706611000{n}", state="active", session_enc=b"sealed",
                            lease_owner=owner, lease_until=now + timedelta(seconds=300))
                    for n, owner in enumerate((dead_token, live_token))]
            s.add_all(rows)
            s.flush()
            ids = [a.id for a in rows]
        mine = "node-a.example:1:1:test"
        with db.session() as s:
            assert take_lease(s, ids[0], mine, now + timedelta(seconds=300), now, need_session=True)
            assert not take_lease(s, ids[1], mine, now + timedelta(seconds=300), now, need_session=True)
        with db.session() as s:
            assert s.scalar(select(Account.lease_owner).where(Account.id == ids[0])) == mine
            taken = s.scalars(select(AuditRecord).where(AuditRecord.action == "lease.taken_over")).all()
            assert [r.details["dead_owner"] for r in taken] == [dead_token]
    finally:
        live.kill()
        dying.kill()
        db.dispose()
