"""Evidence-store benchmark: messages/s with the hash chain vs plain inserts, SQLite and PostgreSQL.

    .venv/bin/python bench/store.py [--messages 100000] [--batch 1000] [--pg URL]

Both variants insert the same ORM `Message` rows in the same batches; "plain" uses an ordinary
Session (no chain), "chained" the application's EvidenceSession. Goals: chain overhead < 30 %,
SQLite ≥ 5,000 chained messages/s.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path
from urllib.parse import quote

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from prokai.store.chain import EvidenceSession, verify_chain  # noqa: E402
from prokai.store.db import make_engine  # noqa: E402
from prokai.store.migrate import upgrade  # noqa: E402
from prokai.store.models import Message  # noqa: E402


def _messages(start: int, n: int) -> list[Message]:
    return [
        Message(
            direction="in",
            conversation_id=None,
            telegram_message_id=start + i,
            sender_id=777,
            sender_username="shop_bot",
            text=f"Оплата 25 000 ₸ на карту 4400 4302 {start + i:08d}, 30 минут. Заказ #{start + i}",
            entities=[],
            buttons=[[{"text": "Я оплатил", "data": "paid"}]],
        )
        for i in range(n)
    ]


def _insert(factory: sessionmaker[Session], start: int, n: int, batch: int) -> float:
    t0 = time.perf_counter()
    for first in range(start, start + n, batch):
        with factory() as s:
            s.add_all(_messages(first, min(batch, start + n - first)))
            s.commit()
    return time.perf_counter() - t0


def _compare(plain_url: str, chained_url: str, total: int, batch: int, segments: int = 10) -> tuple[float, float]:
    """Append `total` messages to each database, alternating segments so noise hits both alike."""
    engines = []
    factories = []
    for url, cls in ((plain_url, Session), (chained_url, EvidenceSession)):
        upgrade(url)
        engine = make_engine(url)
        engines.append(engine)
        factories.append(sessionmaker(engine, class_=cls))
    times = [0.0, 0.0]
    step = total // segments
    for seg in range(segments):
        for i in (0, 1) if seg % 2 == 0 else (1, 0):
            times[i] += _insert(factories[i], seg * step, step, batch)
    with factories[1]() as s:
        assert verify_chain(s).ok
    for engine in engines:
        engine.dispose()
    return step * segments / times[0], step * segments / times[1]


def _pg_schema(base: str) -> tuple[str, sa.Engine, str]:
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(base)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options={quote(f'-csearch_path={schema}')}", admin, schema


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--messages", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--pg", default=os.environ.get("PROKAI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    args = ap.parse_args()

    print(f"{'backend':<12}{'plain msg/s':>14}{'chained msg/s':>16}{'chain cost':>12}")
    with tempfile.TemporaryDirectory() as tmp:
        plain, chained = _compare(f"sqlite:///{tmp}/plain.db", f"sqlite:///{tmp}/chained.db", args.messages, args.batch)
        print(f"{'sqlite':<12}{plain:>14,.0f}{chained:>16,.0f}{(plain / chained - 1):>11.1%}")
    results = [("sqlite", plain, chained)]
    try:
        for label in ("postgresql",):
            urls = [_pg_schema(args.pg), _pg_schema(args.pg)]
            try:
                plain, chained = _compare(urls[0][0], urls[1][0], args.messages, args.batch)
            finally:
                for _, admin, schema in urls:
                    with admin.begin() as c:
                        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                    admin.dispose()
            print(f"{label:<12}{plain:>14,.0f}{chained:>16,.0f}{(plain / chained - 1):>11.1%}")
            results.append((label, plain, chained))
    except sa.exc.OperationalError as exc:
        print(f"postgresql  skipped: {str(exc).splitlines()[0]}")
    sqlite_chained = results[0][2]
    worst = max(p / c - 1 for _, p, c in results)
    print(f"goals: chain cost < 30% -> {'met' if worst < 0.30 else 'MISSED'} (worst {worst:.1%}); "
          f"SQLite >= 5,000 msg/s -> {'met' if sqlite_chained >= 5000 else 'MISSED'} ({sqlite_chained:,.0f})")


if __name__ == "__main__":
    main()
