"""Crawler sessions in the real account pool, against the sandbox: accounts signed in with stock
Telethon and sealed into the vault, as `prokai accounts login` leaves them; a one-button shop."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from telethon.sessions import StringSession

from prokai.accounts.state import store_session
from prokai.accounts.vault import Vault, parse_key
from prokai.crawl.rehearsal import login_sandbox_client
from prokai.sandbox.bots import BotChat, Button, CallbackAnswer, CallbackQuery, IncomingMessage
from prokai.sandbox.server import SandboxServer
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Account, AccountState

KEY = base64.b64encode(bytes(range(32))).decode()  # PROKAI_VAULT_KEY of these tests
CARD = "4400430123456789"


class KaspiShop:
    """/start → payment method → a card: one button press stands between the buyer and it."""

    def __init__(self, card: str = CARD) -> None:
        self.card = card

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        if message.text.startswith("/start"):
            await chat.send("Шишки 1г — 15 000 ₸, Алматы. Выберите способ оплаты:",
                            [[Button.callback("💳 Карта Kaspi", "pay:card")]])

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        if query.data == b"pay:card":
            c = self.card
            await chat.send(f"Оплатите 15 000 ₸ на карту {c[:4]} {c[4:8]} {c[8:12]} {c[12:]}, 30 минут.")
        return None


async def sign_in(server: SandboxServer, phone: str) -> str:
    """A session string for `phone`, signed in with the code the sandbox issued."""
    client = await login_sandbox_client(server, phone)
    text = StringSession.save(client.session)
    await client.disconnect()
    return text


def migrated_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    """A fresh, migrated SQLite database, with KEY as the vault key in the environment."""
    monkeypatch.setenv("PROKAI_VAULT_KEY", KEY)
    url = f"sqlite:///{tmp_path}/crawl.db"
    upgrade(url)
    return Database(url)


async def pool_accounts(db: Database, server: SandboxServer, phones: tuple[str, ...]) -> list[int]:
    """Active accounts on `phones` (already in the sandbox world), their sessions sealed with KEY."""
    vault = Vault(parse_key(KEY))
    ids = []
    for phone in phones:
        text = await sign_in(server, phone)
        with db.session() as s:
            acc = Account(phone=phone, state=AccountState.ACTIVE.value,
                          telegram_user_id=server.world.phones[phone.lstrip("+")])
            store_session(s, acc, vault, text)
            s.add(acc)
            s.flush()
            ids.append(acc.id)
    return ids
