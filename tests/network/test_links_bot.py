"""`/links` in the admin bot: python-telegram-bot 22 unmodified against the sandbox Bot API
server, on the scenario world (networld.py) in SQLite."""

from __future__ import annotations

import asyncio
from pathlib import Path

import networld as nw
import pytest
from sqlalchemy import select

from prokai.config import Settings
from prokai.network.families import family_id_for
from prokai.readmodels.i18n import t
from prokai.review.bot import running_bot
from prokai.sandbox.botapi import BotApiServer, make_token
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import AuditRecord

pytestmark = pytest.mark.timeout(60)

PROSECUTOR = 1001
STRANGER = 6666


def test_links_answers_with_the_family_and_a_picture(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prokai.db"
    upgrade(url)
    db = Database(url)
    w = nw.day0(db)
    luna = family_id_for(w.shops["luna_bot"])
    settings = Settings.model_validate({
        "data_dir": str(tmp_path),
        "review": {"reviewers": [{"telegram_id": PROSECUTOR, "name": "Aigerim Sadykova", "role": "prosecutor"}],
                   "metrics_port": None},
        "scheduler": {"health_interval_min": 0, "archive_time": None},
    })

    async def scenario() -> None:
        token = make_token()
        server = BotApiServer("127.0.0.1", 0, token)
        await server.start()
        try:
            server.add_user(PROSECUTOR, "Aigerim", started=True)
            server.add_user(STRANGER, "Stranger", username="curious_guy", started=True)
            async with running_bot(settings, db, token=token, base_url=server.url):
                await server.user_says(PROSECUTOR, None, "/links @zvezda_bot")
                text = await server.next_message(PROSECUTOR, timeout=20)
                picture = await server.next_message(PROSECUTOR, timeout=20)
                lines = (text.text or "").splitlines()
                assert lines[0] == t("ru", "links_header", id=luna, founder="@luna_bot", count=3)
                assert lines[1:4] == ["• @luna_bot — bot, alive", "• @zvezda_bot — bot, alive", "• @kometa_bot — bot, alive"]
                assert t("ru", "tie_operator_shared", what="@cosmos_op", shops="@luna_bot, @kometa_bot",
                         first="2026-11-30") in text.text
                assert t("ru", "tie_requisite", what=f"карта {nw.D1}", shops="@luna_bot, @zvezda_bot",
                         first="2026-11-30", last="2026-11-30") in text.text
                assert picture.photo and (picture.data or b"").startswith(b"\x89PNG")
                assert picture.caption == t("ru", "links_picture", id=luna)

                await server.user_says(PROSECUTOR, None, "/lang kk")
                await server.next_message(PROSECUTOR)
                await server.user_says(PROSECUTOR, None, "/links 4400 4369 8797 3090")  # a card of the backup bot
                text = await server.next_message(PROSECUTOR, timeout=20)
                await server.next_message(PROSECUTOR, timeout=20)
                kristall = family_id_for(w.shops["kristall_bot"])
                assert t("kk", "links_header", id=kristall, founder="@kristall_bot", count=4) in (text.text or "")
                assert t("kk", "tie_backup_of", source="@kristall_bot", what="@kristall_reserve_bot",
                         first="2026-11-30") in (text.text or "")

                await server.user_says(PROSECUTOR, None, "/lang en")
                await server.next_message(PROSECUTOR)
                await server.user_says(PROSECUTOR, None, "/links @nobody_at_all")
                assert (await server.next_message(PROSECUTOR, timeout=20)).text == t(
                    "en", "links_none", query="@nobody_at_all")
                await server.user_says(PROSECUTOR, None, "/links")
                assert (await server.next_message(PROSECUTOR)).text == t("en", "links_usage")

                await server.user_says(STRANGER, None, "/links @zvezda_bot")
                assert (await server.next_message(STRANGER)).text == t("ru", "refused")
        finally:
            await server.stop()

    asyncio.run(asyncio.wait_for(scenario(), 50))
    with db.session() as s:
        audited = list(s.scalars(select(AuditRecord).where(AuditRecord.action == "review.links").order_by(AuditRecord.id)))
        refused = s.scalars(select(AuditRecord).where(AuditRecord.action == "review.refused")).all()
    assert [(a.actor, a.details["query"], a.details["families"]) for a in audited] == [
        (f"reviewer:{PROSECUTOR}", "@zvezda_bot", [luna]),
        (f"reviewer:{PROSECUTOR}", "4400 4369 8797 3090", [family_id_for(w.shops["kristall_bot"])]),
        (f"reviewer:{PROSECUTOR}", "@nobody_at_all", []),
    ]
    assert [r.details["text"] for r in refused] == ["/links @zvezda_bot"]
