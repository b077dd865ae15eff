"""The service in-process against the sandbox Bot API: the notifier worker, health alerts to the
admin chat, metrics from the store, a clean stop; notifications without an admin group; i18n."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from prometheus_client import generate_latest
from reviewkit import ADMIN_CHAT, PROSECUTOR, PROSECUTOR_2, make_settings, seed_requisite
from sqlalchemy import select

from prokai.daemon.service import Service, health_check
from prokai.ops.jobs import JobRegistry
from prokai.readmodels.i18n import LANGS, TEXTS, t
from prokai.review.notify import notify_pending
from prokai.sandbox.botapi import BotApiServer, make_token, too_many_requests
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import (
    Account,
    AuditRecord,
    HealthProblem,
    ModemPort,
    Requisite,
    RequisiteNotification,
    SimBox,
)

pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    return Database(url)


def test_every_text_has_all_languages_and_the_same_placeholders() -> None:
    for key, entry in TEXTS.items():
        assert set(entry) == set(LANGS), key
        fields = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert fields["kk"] == fields["ru"] == fields["en"], key
    assert t("de", "btn_confirm") == t("ru", "btn_confirm")


def test_service_notifies_alerts_and_serves_metrics(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path)
    settings.review.notify_interval_s = 0.2
    req_id = seed_requisite(sqlite_db)
    with sqlite_db.session() as s:
        box = SimBox(name="box-1")
        s.add(box)
        s.flush()
        s.add(ModemPort(simbox_id=box.id, tty="/dev/ttyUSB3", status="no_response"))
        s.add(Account(phone="+77010000001", state="banned"))
    registry = JobRegistry()
    registry.register("health", health_check)

    async def scenario() -> None:
        token = make_token()
        server = BotApiServer("127.0.0.1", 0, token)
        await server.start()
        server.add_user(PROSECUTOR, "Aigerim", started=True)
        server.add_group(ADMIN_CHAT, "Prosecutors", members=[PROSECUTOR])
        service = Service(settings, sqlite_db, registry=registry, workers={}, bot_token=token, bot_base_url=server.url)
        task = asyncio.create_task(service.run())
        try:
            card = await server.next_message(ADMIN_CHAT, timeout=15)
            assert f"#{req_id}" in (card.text or "")
            assert service.runner is not None
            assert await service.runner.run("health") == "finished"
            alert = await server.next_message(ADMIN_CHAT)
            assert alert.text == t("ru", "health_alert", problems="modem /dev/ttyUSB3: no_response; accounts banned: 1")
            assert await service.runner.run("health") == "finished"  # the same problems: no second alert
            assert service.metrics is not None
            body = generate_latest(service.metrics.registry).decode()
            assert 'prokai_requisites{kind="card",status="pending"} 1.0' in body
            assert 'prokai_sessions{state="banned"} 1.0' in body
            assert 'prokai_jobs_total{job="health",result="finished"} 2.0' in body
            assert "prokai_notifications_total 1.0" in body
        finally:
            service.stop.set()
            assert await asyncio.wait_for(task, 20) == 0
            await server.stop()
        assert server.messages_for(ADMIN_CHAT)[-1].text == alert.text

    asyncio.run(asyncio.wait_for(scenario(), 45))
    with sqlite_db.session() as s:
        sent = s.scalars(select(RequisiteNotification).where(RequisiteNotification.requisite_id == req_id)).all()
        assert [n.chat_id for n in sent] == [ADMIN_CHAT]
        assert set(s.scalars(select(HealthProblem.problem))) == {"modem /dev/ttyUSB3: no_response", "accounts banned: 1"}
        actions = [r.action for r in s.scalars(select(AuditRecord).order_by(AuditRecord.id))]
    assert actions[0] == "service.started" and actions[-1] == "service.stopped"
    assert actions.count("health.check") == 2


@pytest.mark.filterwarnings("ignore:Deprecated since version v22.2")  # PTB reads retry_after itself
def test_without_an_admin_group_each_reviewer_is_notified_privately(tmp_path: Path, sqlite_db: Database) -> None:
    settings = make_settings(tmp_path, admin_chat=None)
    req_id = seed_requisite(sqlite_db)

    async def scenario() -> None:
        token = make_token()
        async with BotApiServer("127.0.0.1", 0, token) as server:
            server.add_user(PROSECUTOR, "Aigerim", started=True)
            server.add_user(PROSECUTOR_2, "Bolat")  # never wrote to the bot: cannot be written to
            from telegram import Bot

            server.fail_next("sendMessage", too_many_requests(1))  # flood control once: waited out
            async with Bot(token, base_url=server.base_url, base_file_url=server.base_file_url) as bot:
                assert await notify_pending(bot, sqlite_db, settings) == 1
            assert f"#{req_id}" in (server.messages_for(PROSECUTOR)[0].text or "")
            assert server.messages_for(PROSECUTOR_2) == []

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_sandbox_review_round_for_the_demo(tmp_path: Path, sqlite_db: Database) -> None:
    from prokai.config import Settings
    from prokai.review.sandbox_round import sandbox_review_round

    first = seed_requisite(sqlite_db)
    second = seed_requisite(sqlite_db, value="4400430299990000")
    result = asyncio.run(asyncio.wait_for(sandbox_review_round(sqlite_db, Settings(data_dir=tmp_path), confirm=1), 30))
    assert result.notified == 2 and result.confirmed == [first]
    assert result.evidence_files == [f"evidence-requisite-{first}-conversation-1.txt"]
    assert result.answers == [f"Реквизит #{first}: подтверждён."]
    with sqlite_db.session() as s:
        assert [s.get(Requisite, i).status for i in (first, second)] == ["confirmed", "pending"]  # type: ignore[union-attr]
