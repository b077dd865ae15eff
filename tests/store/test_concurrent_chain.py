"""Four processes appending at once on PostgreSQL leave one unbroken chain."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import sqlalchemy as sa

from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import ChainEntry

WRITER = textwrap.dedent(
    """
    import sys
    from prokai.store.db import Database
    from prokai.store.models import Message
    from prokai.store.audit import audit
    db = Database(sys.argv[1])
    for i in range(40):
        with db.session() as s:
            s.add_all([Message(direction="in", text=f"w{sys.argv[2]} m{i} p{j}") for j in range(3)])
            if i % 5 == 0:
                audit(s, f"writer-{sys.argv[2]}", "append.batch", batch=i)
    """
)


def test_four_writers_one_chain(pg_schema_url: str) -> None:
    upgrade(pg_schema_url)
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, pg_schema_url, str(n)], stderr=subprocess.PIPE)
        for n in range(4)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    db = Database(pg_schema_url)
    with db.session() as s:
        result = verify_chain(s)
        count = s.scalar(sa.select(sa.func.count()).select_from(ChainEntry))
        writers = {row[0] for row in s.execute(sa.text("SELECT actor FROM audit_log"))}
    db.dispose()
    assert result.ok, result.describe()
    assert count == 4 * (40 * 3 + 8)
    assert writers == {f"writer-{n}" for n in range(4)}
