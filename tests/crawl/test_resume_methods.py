"""A run stopped between two payment methods (the first requisite stored, the next order not yet
placed) resumes the open conversation and still asks for the method that was left: the resumed
engine plans from what the conversation stored, not from an empty memory."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import func, select
from telethon import TelegramClient
from telethon.sessions import StringSession

from prokai.crawl.campaigns import create_campaign
from prokai.crawl.engine import Budget
from prokai.crawl.models import KeywordModel
from prokai.crawl.runner import CampaignRunner, Leased, StaticClients
from prokai.intake.targets import parse_targets
from prokai.sandbox.bots import BotChat, Button, CallbackAnswer, CallbackQuery, IncomingMessage
from prokai.sandbox.connect import configure
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Account, Conversation, Requisite, Sighting, Target

CARD = "4400430123456789"
BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


class TwoMethodShop:
    """city → product → card or Bitcoin; each method's requisite on its own screen."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        if message.text.startswith("/start"):
            await chat.send("Магазин. Закладки по Алматы. Выберите город:",
                            [[Button.callback("Алматы", "city:alm"), Button.callback("Астана", "city:ast")]])

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        data = query.data.decode()
        if data.startswith("city:"):
            await chat.send("Выберите товар:", [[Button.callback("Шишки 1г — 15 000 ₸", "p:1")]])
        elif data.startswith("p:"):
            await chat.send("Выберите способ оплаты:", [[Button.callback("💳 Карта Kaspi", "pay:card"),
                                                          Button.callback("₿ Bitcoin", "pay:btc")]])
        elif data == "pay:card":
            self.asked.append("card")
            await chat.send(f"Оплатите 15 000 ₸ на карту {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}")
        elif data == "pay:btc":
            self.asked.append("btc")
            await chat.send(f"Переведите 0.0004 BTC на {BTC}")
        return None


def _card_stored(db: Database) -> bool:
    with db.session() as s:
        return bool(s.scalar(select(func.count()).select_from(Sighting).join(Requisite)
                             .where(Requisite.kind == "card")))


def test_stop_between_methods_then_resume_asks_for_the_method_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/resume.db"
    upgrade(url)
    db = Database(url)
    shop = TwoMethodShop()
    world = World()
    world.add_bot("two_method_bot", shop, about="Магазин шишки, клады Алматы")
    world.add_account("+77010000000", "Buyer0")
    specs, errors = parse_targets(["@two_method_bot"])
    assert not errors
    campaign_id, _ = create_campaign(db, "CASE-R", "test", specs, actor="tester")
    with db.session() as s:
        acc = Account(phone="+77010000000", state="active")
        s.add(acc)
        s.flush()
        account_id = acc.id
    # A long gap between orders: the stop lands after the card is stored, before the next order.
    budget = Budget(max_steps=30, max_seconds=60, reply_timeout=3.0, operator_timeout=3.0, order_gap=30.0)

    async def body() -> None:
        server = SandboxServer(world, "127.0.0.1", 0)
        await server.start()
        client = TelegramClient(StringSession(), 2040, "b18441a1ff607e10a989891a5462e627",
                                flood_sleep_threshold=0, request_retries=1)
        configure(client, server.host, server.port, server.dc_id)
        await client.connect()
        await client.send_code_request("+77010000000")
        await client.sign_in("+77010000000", world.codes["77010000000"].code)
        try:
            provider = StaticClients([Leased(account_id, client)])
            first = CampaignRunner(db, provider, KeywordModel(), city="Алматы", budget=budget, max_depth=0)
            run = asyncio.ensure_future(first.run(campaign_id))
            while not _card_stored(db):
                assert not run.done(), "the first run ended before the card came"
                await asyncio.sleep(0.05)
            first.request_stop("test: stop between two orders")
            first.request_stop("test: at once")
            await run
            with db.session() as s:
                target = s.scalar(select(Target).where(Target.campaign_id == campaign_id))
                assert target is not None and target.status == "pending"
                assert s.scalar(select(func.count()).select_from(Conversation)
                                .where(Conversation.ended_at.is_(None))) == 1
            assert shop.asked == ["card"]

            budget.order_gap = 0.0
            second = CampaignRunner(db, provider, KeywordModel(), city="Алматы", budget=budget, max_depth=0)
            await second.run(campaign_id)
        finally:
            await client.disconnect()
            await server.close()

    asyncio.run(asyncio.wait_for(body(), 120))
    assert shop.asked == ["card", "btc"]
    with db.session() as s:
        assert {r.kind for r in s.scalars(select(Requisite))} == {"card", "btc"}
        target = s.scalar(select(Target).where(Target.campaign_id == campaign_id))
        assert target is not None and target.outcome == "requisites"
        # one conversation, resumed, not a second chat from scratch
        assert s.scalar(select(func.count()).select_from(Conversation)) == 1
