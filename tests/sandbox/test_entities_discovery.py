"""The crawler finds a shop bot that is linked only through a text_url entity: under a word of a
channel post (the scenario format's `text_links`) and under a word of another bot's message."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from prokai.config import Settings
from prokai.crawl.campaigns import create_campaign
from prokai.crawl.models import load_model
from prokai.crawl.rehearsal import REHEARSAL_BUDGET, SCENARIOS, rehearsal
from prokai.crawl.runner import CampaignRunner
from prokai.intake.targets import parse_targets
from prokai.sandbox.bots import BotChat, IncomingMessage
from prokai.sandbox.shops.loader import ScenarioError, load_folder
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Target

pytestmark = pytest.mark.timeout(120)


class LureBot:
    """A price list whose only way on is a link hidden under the word 'сюда'."""

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        await chat.send("Прайс: меф 1г — 30 000 ₸, шишки 1г — 12 000 ₸. Закладки Шымкент. Заказ — пиши сюда",
                        links=[("сюда", "https://t.me/dala_shym_bot")])

    async def on_callback(self, chat: BotChat, query: object) -> None:
        return None


def _scenarios(folder: Path) -> None:
    """Kristall (its bot linked only from a hidden word of a channel post) and Dala, as files."""
    kristall = yaml.safe_load((SCENARIOS / "01_kristall_almaty.yaml").read_text())
    kristall["channels"] = [{
        "username": "kristall_hidden_ch",
        "title": "💎 Витрина",
        "about": "Алматы, закладки 24/7",
        "posts": [{"text": "💎 Меф 1г — 25 000 ₸, шишки 1г — 10 000 ₸. Заказывать тут 👈",
                   "text_links": [{"text": "тут", "url": "https://t.me/kristall_almaty_bot"}]}],
    }]
    (folder / "kristall.yaml").write_text(yaml.safe_dump(kristall, allow_unicode=True))
    (folder / "dala.yaml").write_text((SCENARIOS / "03_dala_shymkent.yaml").read_text())


def test_scenario_text_link_must_name_a_word_of_the_post(tmp_path: Path) -> None:
    _scenarios(tmp_path)
    bad = yaml.safe_load((tmp_path / "kristall.yaml").read_text())
    bad["channels"][0]["posts"][0]["text_links"][0]["text"] = "нигде"
    (tmp_path / "kristall.yaml").write_text(yaml.safe_dump(bad, allow_unicode=True))
    with pytest.raises(ScenarioError, match="does not occur in the post's text"):
        load_folder(tmp_path)


def test_bot_linked_only_through_text_url_is_discovered_and_crawled(tmp_path: Path) -> None:
    folder = tmp_path / "scenarios"
    folder.mkdir()
    _scenarios(folder)
    url = f"sqlite:///{tmp_path}/crawl.db"
    upgrade(url)
    db = Database(url)
    model = load_model(Settings(), "keywords")

    async def body() -> None:
        async with rehearsal(db, accounts=2, scenarios=load_folder(folder)) as rh:
            rh.world.add_bot("lure_price_bot", LureBot())
            post = next(iter(rh.world.channels.values())).box.messages[1]
            assert "kristall_almaty_bot" not in post.text and post.buttons is None  # only the entity has it
            specs, _ = parse_targets(["https://t.me/kristall_hidden_ch", "@lure_price_bot"])
            campaign_id, _ = create_campaign(db, "CASE-TEXTURL", "hidden links", specs, actor="test")
            runner = CampaignRunner(db, rh.provider, model, city="Алматы", budget=REHEARSAL_BUDGET, max_depth=1,
                                    concurrency=2, pacer=rh.pacer)
            await runner.run(campaign_id)
            with db.session() as s:
                targets = {t.raw: t for t in s.scalars(select(Target).where(Target.campaign_id == campaign_id))}
                found = {str(t.meta.get("value")): t for t in targets.values() if t.depth == 1}
                assert {"kristall_almaty_bot", "dala_shym_bot"} <= set(found), sorted(targets)
                assert all(found[n].status == "done" for n in ("kristall_almaty_bot", "dala_shym_bot"))
            shown = {sid for sid, _ in rh.handed_out()}
            assert {"kristall-almaty", "dala-shymkent"} & shown  # the hidden shops were talked to
        db.dispose()

    asyncio.run(asyncio.wait_for(body(), 110))
