"""Shared helpers for the admin-bot, scheduler and export tests: settings, seeded evidence, a
running bot against the sandbox Bot API server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select

from prokai.config import Settings
from prokai.ops.jobs import JobRunner
from prokai.ops.metrics import Metrics
from prokai.review.bot import AnyApp, running_bot
from prokai.sandbox.botapi import BotApiServer, make_token
from prokai.store.db import Database
from prokai.store.models import Campaign, Case, Conversation, Message, Requisite, Shop, Sighting

PROSECUTOR = 1001
PROSECUTOR_2 = 1002
OPERATOR = 2001
ADMIN = 3001
STRANGER = 6666
ADMIN_CHAT = -1009876543210

REVIEWERS = [
    {"telegram_id": PROSECUTOR, "name": "Aigerim Sadykova", "role": "prosecutor"},
    {"telegram_id": PROSECUTOR_2, "name": "Bolat Nurlanov", "role": "prosecutor"},
    {"telegram_id": OPERATOR, "name": "Dana Operator", "role": "operator"},
    {"telegram_id": ADMIN, "name": "Erlan Admin", "role": "admin"},
]

DIALOG = [
    ("in", "Добро пожаловать! Решите капчу: 7 + 5 = ?"),
    ("out", "12"),
    ("in", "Выберите город: Алматы | Астана"),
    ("out", "Алматы"),
]


def make_settings(tmp_path: Path, admin_chat: int | None = ADMIN_CHAT, **scheduler: Any) -> Settings:
    """Settings with the test reviewers, an admin chat and the data folder in tmp_path."""
    return Settings.model_validate(
        {
            "data_dir": str(tmp_path),
            "review": {"admin_chat_id": admin_chat, "reviewers": REVIEWERS, "metrics_port": None, "page_size": 2},
            "scheduler": {"health_interval_min": 0, "archive_time": None, **scheduler},
        }
    )


def _case_campaign(s: Any) -> Campaign:
    case = s.scalars(select(Case).where(Case.number == "TEST-2026-1")).first()
    if case is None:
        case = Case(number="TEST-2026-1", legal_basis="test")
        s.add(case)
        s.flush()
    camp = s.scalars(select(Campaign).where(Campaign.case_id == case.id)).first()
    if camp is None:
        camp = Campaign(case_id=case.id, name="test campaign", status="running")
        s.add(camp)
        s.flush()
    return camp


def seed_requisite(
    db: Database,
    *,
    kind: str = "card",
    value: str = "4400430212345678",
    bank: str | None = "Kaspi Bank",
    network: str | None = None,
    shop: str = "almaty_shop_bot",
    amount: Decimal | None = Decimal("25000"),
    currency: str | None = "KZT",
    status: str = "pending",
    media_path: str | None = None,
) -> int:
    """A shop conversation ending in a payment message, and the requisite sighted in it."""
    with db.session() as s:
        camp = _case_campaign(s)
        shop_row = s.scalars(select(Shop).where(Shop.username == shop)).first()
        if shop_row is None:
            shop_row = Shop(telegram_id=abs(hash(shop)) % 10**9, username=shop, kind="bot", status="alive")
            s.add(shop_row)
            s.flush()
        conv = Conversation(campaign_id=camp.id, shop_id=shop_row.id, peer_id=shop_row.telegram_id)
        s.add(conv)
        s.flush()
        for i, (direction, text) in enumerate(DIALOG, start=1):
            s.add(Message(conversation_id=conv.id, direction=direction, text=text, telegram_message_id=i))
        pay = Message(
            conversation_id=conv.id,
            direction="in",
            text=f"Оплата {amount} ₸ на {value}, у вас 30 минут.",
            telegram_message_id=len(DIALOG) + 1,
            media_path=media_path,
            media_hash="ab" * 32 if media_path else None,
        )
        s.add(pay)
        s.flush()
        req = Requisite(kind=kind, value=value, issuer=bank, network=network, status=status,
                        meta={"bank": bank} if bank else {})
        s.add(req)
        s.flush()
        s.add(Sighting(requisite_id=req.id, message_id=pay.id, shop_id=shop_row.id, conversation_id=conv.id,
                       amount=amount, currency=currency))
        return req.id


@asynccontextmanager
async def bot_env(
    settings: Settings, db: Database, runner: JobRunner | None = None, metrics: Metrics | None = None
) -> AsyncIterator[tuple[BotApiServer, AnyApp]]:
    """The sandbox Bot API with the reviewers (and a stranger) and the admin group, and the bot polling it."""
    token = make_token()
    server = BotApiServer("127.0.0.1", 0, token)
    await server.start()
    try:
        for r in REVIEWERS:
            server.add_user(int(r["telegram_id"]), str(r["name"]).split()[0], started=True)
        server.add_user(STRANGER, "Stranger", username="curious_guy")
        server.add_group(ADMIN_CHAT, "Prosecutors", members=[PROSECUTOR, PROSECUTOR_2, OPERATOR, STRANGER], creator=ADMIN)
        async with running_bot(settings, db, token=token, base_url=server.url, runner=runner, metrics=metrics) as app:
            yield server, app
    finally:
        await server.stop()
