"""The admin bot, python-telegram-bot 22 unmodified, against the sandbox Bot API server and SQLite."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from reviewkit import (
    ADMIN,
    ADMIN_CHAT,
    OPERATOR,
    PROSECUTOR,
    PROSECUTOR_2,
    STRANGER,
    bot_env,
    make_settings,
    seed_requisite,
)
from sqlalchemy import select

from prokai.ops.jobs import JobContext, JobRegistry, JobRunner
from prokai.readmodels.i18n import t
from prokai.review.access import sign_callback
from prokai.review.notify import notify_pending
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import AuditRecord, RefusalAnswer, Requisite, Review

pytestmark = pytest.mark.timeout(60)


def run(fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(fn(), 45))


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    return Database(url)


def audits(db: Database, action: str) -> list[AuditRecord]:
    with db.session() as s:
        return list(s.scalars(select(AuditRecord).where(AuditRecord.action == action).order_by(AuditRecord.id)))


def all_audits(db: Database) -> list[tuple[int, str]]:
    with db.session() as s:
        return [(a.id, a.action) for a in s.scalars(select(AuditRecord).order_by(AuditRecord.id))]


def plain(data: list[str]) -> list[str]:
    """Button data without its signature (`prokai.review.access.sign_callback`)."""
    return [d.split("~", 1)[0] for d in data]


def signed(app: Any, data: str) -> str:
    """What the bot's button for `data` carries: the data signed with the bot's token."""
    return sign_callback(data, app.bot.token)


def test_stranger_is_refused_once_and_audited(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path)

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, _app):
            await server.user_says(STRANGER, None, "/pending")
            refusal = await server.next_message(STRANGER)
            assert refusal.text == t("ru", "refused")
            await server.user_says(STRANGER, None, "/stats")
            await server.user_says(STRANGER, ADMIN_CHAT, "/export")
            server.add_group(-1005550000001, "Some other group", members=[PROSECUTOR], creator=PROSECUTOR)
            await server.user_says(PROSECUTOR, -1005550000001, "/pending")
            # A reviewer's command after the stranger's proves the stranger's updates were processed.
            await server.user_says(PROSECUTOR, None, "/help")
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "help")
            assert [m.text for m in server.messages_for(STRANGER)] == [t("ru", "refused")]
            assert server.messages_for(ADMIN_CHAT) == []
            assert server.messages_for(-1005550000001) == []

        # After a restart the stranger still gets no second answer; plain text from a reviewer gets help.
        async with bot_env(settings, sqlite_db) as (server, _app):
            await server.user_says(STRANGER, None, "hello?")
            await server.user_says(PROSECUTOR, None, "what can you do")
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "help")
            assert server.messages_for(STRANGER) == []

    run(scenario)
    refused = audits(sqlite_db, "review.refused")
    strangers = [r for r in refused if r.actor.startswith("telegram:")]
    assert [(r.actor, r.details["text"], r.details["answered"]) for r in strangers] == [
        (f"telegram:{STRANGER}", "/pending", True),
        (f"telegram:{STRANGER}", "/stats", False),
        (f"telegram:{STRANGER}", "/export", False),
        (f"telegram:{STRANGER}", "hello?", False),
    ]
    assert strangers[2].details["chat_id"] == ADMIN_CHAT
    elsewhere = [r for r in refused if r.actor == f"reviewer:{PROSECUTOR}"]
    assert len(elsewhere) == 1 and elsewhere[0].details["reason"] == "chat not allowed"
    with sqlite_db.session() as s:  # the one answer is remembered in its table, not read back from the audit log
        assert [(a.actor, a.telegram_id) for a in s.scalars(select(RefusalAnswer))] == [(f"telegram:{STRANGER}", STRANGER)]


def test_notification_confirm_evidence_and_chain(tmp_path: Path, db: Database) -> None:
    sqlite_db = db  # both backends
    settings = make_settings(tmp_path)
    image = tmp_path / "media" / "pay.png"
    image.parent.mkdir()
    from PIL import Image

    Image.new("RGB", (320, 200), (30, 120, 30)).save(image, format="PNG")
    req_id = seed_requisite(sqlite_db, media_path="media/pay.png")

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, app):
            assert await notify_pending(app.bot, sqlite_db, settings) == 1
            assert await notify_pending(app.bot, sqlite_db, settings) == 0  # notified once only
            card = await server.next_message(ADMIN_CHAT)
            assert f"Новый реквизит #{req_id}" in (card.text or "")
            for part in ("4400430212345678", "Kaspi Bank", "@almaty_shop_bot", "25 000 KZT", "Выберите город"):
                assert part in (card.text or "")
            assert plain(card.button_data()) == [f"c:{req_id}", f"r:{req_id}", f"e:{req_id}", f"l:{req_id}"]

            press = await server.user_presses(PROSECUTOR, card.message_id, signed(app, f"e:{req_id}"), chat_id=ADMIN_CHAT)
            assert (await press.answered()).text == t("ru", "evidence_sent")
            doc = await server.next_message(ADMIN_CHAT)
            assert doc.file_name == f"evidence-requisite-{req_id}-conversation-1.txt"
            body = (doc.data or b"").decode()
            assert "Оплата 25000 ₸ на 4400430212345678" in body and "| ok]" in body and "MISMATCH" not in body
            assert "звенья цепочки" in (doc.caption or "")
            photo = await server.next_message(ADMIN_CHAT)
            assert photo.data == image.read_bytes()

            press = await server.user_presses(PROSECUTOR, card.message_id, signed(app, f"c:{req_id}"), chat_id=ADMIN_CHAT)
            assert (await press.answered()).text == f"Реквизит #{req_id}: подтверждён."
            edited = await server.next_edit(ADMIN_CHAT)
            assert "Решение: подтверждён — Aigerim Sadykova" in (edited.text or "")
            assert plain(edited.button_data()) == [f"e:{req_id}"]

            # Confirming twice is harmless (a stale copy of the buttons, pressed again).
            press = await server.user_presses(PROSECUTOR, card.message_id, signed(app, f"c:{req_id}"), chat_id=ADMIN_CHAT, check_button=False)
            assert "уже подтверждён" in ((await press.answered()).text or "")

    run(scenario)
    with sqlite_db.session() as s:
        assert s.get(Requisite, req_id).status == "confirmed"  # type: ignore[union-attr]
        reviews = list(s.scalars(select(Review)))
        assert [(r.requisite_id, r.reviewer_id, r.decision) for r in reviews] == [(req_id, PROSECUTOR, "confirmed")]
        assert verify_chain(s).ok
    trail = [a.action for a in audits(sqlite_db, "review.notify") + audits(sqlite_db, "review.evidence")
             + audits(sqlite_db, "review.confirm") + audits(sqlite_db, "review.repeat")]
    assert trail == ["review.notify", "review.evidence", "review.confirm", "review.repeat"]
    confirm = audits(sqlite_db, "review.confirm")[0]
    assert confirm.actor == f"reviewer:{PROSECUTOR}" and confirm.object_id == str(req_id)
    assert confirm.details["review_id"] == reviews[0].id


def test_two_reviewers_race_in_the_admin_chat(tmp_path: Path, db: Database) -> None:
    sqlite_db = db  # both backends
    settings = make_settings(tmp_path)
    req_id = seed_requisite(sqlite_db)

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, app):
            await notify_pending(app.bot, sqlite_db, settings)
            card = await server.next_message(ADMIN_CHAT)
            first = await server.user_presses(PROSECUTOR, card.message_id, signed(app, f"r:{req_id}"), chat_id=ADMIN_CHAT)
            second = await server.user_presses(PROSECUTOR_2, card.message_id, signed(app, f"c:{req_id}"), chat_id=ADMIN_CHAT)
            a, b = await first.answered(), await second.answered()
            assert a.text == f"Реквизит #{req_id}: отклонён."
            assert b.show_alert and b.text == f"Реквизит #{req_id} уже отклонён: решение принял(а) Aigerim Sadykova."

    run(scenario)
    with sqlite_db.session() as s:
        assert s.get(Requisite, req_id).status == "rejected"  # type: ignore[union-attr]
        assert len(list(s.scalars(select(Review)))) == 1
    conflict = audits(sqlite_db, "review.conflict")
    assert len(conflict) == 1 and conflict[0].actor == f"reviewer:{PROSECUTOR_2}"
    assert conflict[0].details["decided_by"] == PROSECUTOR


def test_sweep_needs_operator_role(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path)
    ran: list[str] = []

    async def small_sweep(ctx: JobContext) -> dict[str, int]:
        ran.append(ctx.trigger)
        from prokai.store.audit import audit

        with ctx.db.session() as s:
            audit(s, "test-sweep", "test.sweep_unit", "job", ctx.run_id)
        return {"units": 1}

    registry = JobRegistry()
    registry.register("sweep", small_sweep)

    async def scenario() -> None:
        runner = JobRunner(registry, settings, sqlite_db)
        async with bot_env(settings, sqlite_db, runner=runner) as (server, _app):
            await server.user_says(PROSECUTOR, None, "/sweep")
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "role_denied")
            assert ran == []
            await server.user_says(OPERATOR, None, "/sweep")
            assert (await server.next_message(OPERATOR)).text == t("ru", "sweep_started", name="Dana Operator")
            await asyncio.wait_for(runner.tasks["sweep"], 10)
            assert ran == ["manual"]

    run(scenario)
    assert [a.actor for a in audits(sqlite_db, "review.sweep_denied")] == [f"reviewer:{PROSECUTOR}"]
    assert [(a.actor, a.details["result"]) for a in audits(sqlite_db, "review.sweep")] == [(f"reviewer:{OPERATOR}", "started")]
    assert len(audits(sqlite_db, "test.sweep_unit")) == 1
    assert [a.details["trigger"] for a in audits(sqlite_db, "job.started")] == ["manual"]
    assert len(audits(sqlite_db, "job.finished")) == 1


def test_queries_stats_export_and_language(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path)
    card = seed_requisite(sqlite_db, status="confirmed")
    seed_requisite(sqlite_db, value="4400430299990000", status="pending", shop="second_shop_bot")
    seed_requisite(sqlite_db, kind="iban", value="KZ86125KZT5004100100", bank="Halyk Bank", status="pending")
    trx = seed_requisite(sqlite_db, kind="trx", value="TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", bank=None,
                         network="TRC20", status="confirmed")

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, app):
            await server.user_says(PROSECUTOR, None, "/pending")
            page1 = await server.next_message(PROSECUTOR)
            assert (page1.text or "").startswith("Ожидают проверки: 2 (стр. 1 из 1)")
            assert plain(page1.button_data()) == ["v:2", "v:3"]
            view = await server.user_presses(PROSECUTOR, page1.message_id, signed(app, "v:3"))
            await view.answered()
            assert "KZ86125KZT5004100100" in ((await server.next_message(PROSECUTOR)).text or "")

            await server.user_says(PROSECUTOR, None, "/search 4400 4302 1234 5678")
            found = await server.next_message(PROSECUTOR)
            assert f"#{card} карта 4400430212345678 — Kaspi Bank (подтверждён)" in (found.text or "")
            await server.user_says(PROSECUTOR, None, "/search @second_shop_bot")
            assert "4400430299990000" in ((await server.next_message(PROSECUTOR)).text or "")
            await server.user_says(PROSECUTOR, None, "/search 0000000000")
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "search_none", query="0000000000")

            await server.user_says(PROSECUTOR, None, "/shop @nobody_bot")
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "shop_none", name="@nobody_bot")
            await server.user_says(PROSECUTOR, None, "/search")
            assert (await server.next_message(PROSECUTOR)).text == t("ru", "search_usage")
            await server.user_says(PROSECUTOR, None, "/shop @almaty_shop_bot")
            shop = await server.next_message(PROSECUTOR)
            assert "Магазин @almaty_shop_bot" in (shop.text or "") and "KZ86125KZT5004100100" in (shop.text or "")

            await server.user_says(ADMIN, None, "/stats")
            text = await server.next_message(ADMIN)
            assert "всего 4, подтверждено 2" in (text.text or "")
            chart = await server.next_message(ADMIN)
            assert (chart.data or b"").startswith(b"\x89PNG")

            await server.user_says(PROSECUTOR, None, "/export")
            xlsx = await server.next_message(PROSECUTOR)
            csv_doc = await server.next_message(PROSECUTOR)
            wallets_csv = await server.next_message(PROSECUTOR)
            wallets_json = await server.next_message(PROSECUTOR)
            assert xlsx.file_name == "freeze-requests-by-bank.xlsx"
            wb = load_workbook(io.BytesIO(xlsx.data or b""))
            assert wb.sheetnames == ["Summary", "Kaspi Bank"]
            assert [c.value for c in wb["Kaspi Bank"][2]][2] == "4400430212345678"
            assert "4400430212345678" in (csv_doc.data or b"").decode("utf-8-sig")
            assert "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8" in (wallets_csv.data or b"").decode("utf-8-sig")
            assert b'"TRX/TRC20"' in (wallets_json.data or b"")

            await server.user_says(PROSECUTOR, None, "/campaigns")
            assert "дело TEST-2026-1" in ((await server.next_message(PROSECUTOR)).text or "")

            await server.user_says(PROSECUTOR, None, "/lang en")
            assert (await server.next_message(PROSECUTOR)).text == "Language: English."
            await server.user_says(PROSECUTOR, None, "/lang xx")
            assert (await server.next_message(PROSECUTOR)).text == "Usage: /lang ru|kk|en"
            await server.user_says(PROSECUTOR, None, "/lang kk")
            await server.next_message(PROSECUTOR)
            await server.user_says(PROSECUTOR, None, "/pending")
            assert (await server.next_message(PROSECUTOR)).text.startswith("Тексеруді күтуде: 2")  # type: ignore[union-attr]

    run(scenario)
    assert trx
    assert {a.action for a in audits(sqlite_db, "review.export")} == {"review.export"}
    assert [a.details["lang"] for a in audits(sqlite_db, "review.lang")] == ["en", "kk"]


def test_without_admin_group_every_copy_of_the_card_shows_the_decision(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path, admin_chat=None)
    req_id = seed_requisite(sqlite_db)

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, app):
            assert await notify_pending(app.bot, sqlite_db, settings) == 1
            mine = await server.next_message(PROSECUTOR)
            theirs = await server.next_message(PROSECUTOR_2)
            press = await server.user_presses(PROSECUTOR_2, theirs.message_id, signed(app, f"c:{req_id}"))
            assert (await press.answered()).text == f"Реквизит #{req_id}: подтверждён."
            edited = await server.next_edit(PROSECUTOR)
            assert edited.message_id == mine.message_id
            assert "Решение: подтверждён — Bolat Nurlanov" in (edited.text or "")
            assert plain(edited.button_data()) == [f"e:{req_id}"]

    run(scenario)


def test_pending_pages(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path)  # two per page
    ids = [seed_requisite(sqlite_db, value=f"44004302{i:08d}") for i in range(5)]
    before = all_audits(sqlite_db)

    async def scenario() -> None:
        async with bot_env(settings, sqlite_db) as (server, app):
            await server.user_says(PROSECUTOR, None, "/pending")
            page = await server.next_message(PROSECUTOR)
            assert (page.text or "").startswith("Ожидают проверки: 5 (стр. 1 из 3)")
            assert plain(page.button_data()) == [f"v:{ids[0]}", f"v:{ids[1]}", "p:1"]
            press = await server.user_presses(PROSECUTOR, page.message_id, signed(app, "p:1"))
            await press.answered()
            second = await server.next_edit(PROSECUTOR)
            assert (second.text or "").startswith("Ожидают проверки: 5 (стр. 2 из 3)")
            assert plain(second.button_data()) == [f"v:{ids[2]}", f"v:{ids[3]}", "p:0", "p:2"]
            await server.user_says(PROSECUTOR, None, "/pending 3")
            last = await server.next_message(PROSECUTOR)
            assert plain(last.button_data()) == [f"v:{ids[4]}", "p:1"]

    run(scenario)
    # Paging through the queue is navigation, not evidence: no audit record, no chain link.
    assert all_audits(sqlite_db) == before
