"""The admin bot under attack (the sandbox Bot API, the real bot): button data forged for another
requisite, altered, or with an oversized id decides nothing and every press is answered; a
stranger's flood costs one refusal and a handful of audit records, not one per message."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "review"))

from reviewkit import ADMIN_CHAT, PROSECUTOR, STRANGER, bot_env, make_settings, seed_requisite  # noqa: E402
from sqlalchemy import select  # noqa: E402

from prokai.readmodels.i18n import t  # noqa: E402
from prokai.review.access import StrangerLimiter, sign_callback, verify_callback  # noqa: E402
from prokai.review.notify import notify_pending  # noqa: E402
from prokai.store.db import Database  # noqa: E402
from prokai.store.migrate import upgrade  # noqa: E402
from prokai.store.models import AuditRecord, Requisite  # noqa: E402

pytestmark = pytest.mark.timeout(120)


def run(fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(fn(), 60))


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    return Database(url)


def _status(db: Database, req_id: int) -> str:
    with db.session() as s:
        req = s.get(Requisite, req_id)
        assert req is not None
        return req.status


def test_forged_button_data_decides_nothing(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path)
    shown = seed_requisite(sqlite_db)

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, app):
            assert await notify_pending(app.bot, sqlite_db, settings) == 1
            card = await server.next_message(ADMIN_CHAT)
            other = seed_requisite(sqlite_db, value="4400430299990003")  # never shown to anyone
            genuine = sign_callback(f"c:{shown}", app.bot.token)
            forged = [f"c:{other}", f"r:{other}", genuine.replace(f"c:{shown}", f"c:{other}"),
                      f"c:{other}~AAAAAAAAAAAA", "c:" + "9" * 40, "c:" + "9" * 40 + "~AAAAAAAAAAAA", "", "x" * 64]
            for data in forged:
                press = await server.user_presses(PROSECUTOR, card.message_id, data, chat_id=ADMIN_CHAT,
                                                  check_button=False)
                answer = await press.answered()  # every press gets its answer, none decides
                assert "подтверждён" not in (answer.text or "") and "отклонён" not in (answer.text or "")
            assert _status(sqlite_db, other) == "pending" and _status(sqlite_db, shown) == "pending"
            press = await server.user_presses(PROSECUTOR, card.message_id, genuine, chat_id=ADMIN_CHAT)
            assert (await press.answered()).text == f"Реквизит #{shown}: подтверждён."
            assert _status(sqlite_db, other) == "pending"

    run(scenario)
    assert _status(sqlite_db, shown) == "confirmed"
    with sqlite_db.session() as s:
        forged_records = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "review.forged_callback")))
    assert 1 <= len(forged_records) <= 6


def test_stranger_flood_is_audited_in_aggregate(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path)

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, _app):
            for n in range(60):
                await server.user_says(STRANGER, None, f"/pending {n}")
            await server.user_says(PROSECUTOR, None, "/help")  # processed after the flood
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "help")
            assert [m.text for m in server.messages_for(STRANGER)] == [t("ru", "refused")]

    run(scenario)
    with sqlite_db.session() as s:
        records = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "review.refused",
                                                            AuditRecord.actor == f"telegram:{STRANGER}")))
    assert 1 <= len(records) <= 7, len(records)
    # every attempt is accounted for: the ones counted in memory are written when the bot stops
    assert sum(int(r.details.get("attempts", 1)) for r in records) == 60


def test_limiter_and_signatures() -> None:
    now = [0.0]
    limiter = StrangerLimiter(window_s=60, each=2, max_records=100, clock=lambda: now[0])
    hits = [limiter.hit("telegram:1") for _ in range(10)]
    assert hits == [1, 1, None, None, None, None, None, None, None, None]
    now[0] = 61.0
    assert limiter.hit("telegram:1") == 9  # the 8 suppressed ones and this one, in one record
    data = sign_callback("c:42", "token-a")
    assert verify_callback(data, "token-a") == "c:42"
    assert verify_callback(data, "token-b") is None
    assert verify_callback(data.replace("c:42", "c:43"), "token-a") is None
    assert len(sign_callback("p:" + "9" * 18, "t")) <= 64
