"""A scenario world for the network tests, written into the store the way the crawler writes it.

Shops say what the sandbox's scenario shops say (payment screens with holders, link buttons,
"Резерв: @…"); every message is stored as evidence and each requisite in it is sighted with
`prokai.store.requisites` (kind, normalized value and its span in the text, as the extractor
reports them).

Day 0 — three organisations and bystanders:

- Кристалл: @kristall_bot (oldest shop), its backup @kristall_reserve_bot (named by the bot),
  its operator @kristall_op (a link button), its showcase channel @kristall_vitrina;
- Луна: @luna_bot and @zvezda_bot share dropper card D1, @zvezda_bot and @kometa_bot share D2
  and a USDT-TRC20 wallet,
  @luna_bot and @kometa_bot both send buyers to operator @cosmos_op, @luna_bot and @zvezda_bot
  name the same backup bot @luna_reserve_bot (neither ever crawled);
- @solo_bot alone: its holder has the same name as one of Кристалл's droppers, and it shares a
  phone with @luna_bot that a prosecutor rejected (neither joins anything);
- @news_kz, a news channel judged not a shop, names @kristall_bot and @luna_bot.

Day 3 — a sweep: @kristall_bot is dead, @luna_bot renamed itself @luna_new_bot and hands out a
new card; @kristall_reserve_bot hands out C4, which a new shop @almaz_bot also hands out.
Day 4 — @zvezda_bot hands out C4 too: the two organisations turn out to be one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from prokai.review.access import Reviewer
from prokai.review.decisions import decide
from prokai.store.db import Database
from prokai.store.models import (
    Account,
    Campaign,
    Case,
    Conversation,
    Message,
    Requisite,
    Shop,
    ShopStatusChange,
    ShopUsername,
)
from prokai.store.requisites import add_sighting, upsert_requisite

DAY0 = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)

C1 = "4400431588139985"
C2 = "4400436987973090"
C3 = "4003031689768467"
C4 = "4003039788093208"
D1 = "5395457784864880"
D2 = "5177929787534771"
D3 = "4400436455681514"
SOLO = "4400431141707534"
REJECTED_PHONE = "+77472294866"
WALLET = "TQf4k2ufbi6Q1Z8i5J4VKZXWTS5gL1LbV9"
AMOUNTS = {"card": 25000.0, "phone": 18000.0, "trx": 60.0}

PAY = "✅ Заказ #{n} создан.\nПереведите 25 000 ₸ на карту:\n{card}\nПолучатель: {holder}\n⏳ На оплату 30 минут."


@dataclass
class Found:
    """A requisite found in a message, as `prokai.extract.Found` reports it."""

    kind: str
    value: str
    start: int
    end: int
    amount: float | None = None
    currency: str | None = "KZT"
    method: str = "pattern"
    confidence: float = 0.99
    bank: str | None = "Kaspi Bank"
    country: str | None = "KZ"
    network: str | None = None
    brand: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "value": self.value, "start": self.start, "end": self.end}


@dataclass
class World:
    """The ids the tests look at."""

    db: Database
    shops: dict[str, int] = field(default_factory=dict)
    account_id: int = 0
    campaign_id: int = 0
    order: int = 100

    def shop(self, username: str, kind: str = "bot", day: int = 0, status: str = "alive",
             description: str | None = None) -> int:
        with self.db.session() as s:
            at = DAY0 + timedelta(days=day, minutes=len(self.shops))
            shop = Shop(telegram_id=7_000_000 + len(self.shops), username=username, title=username, kind=kind,
                        status=status, description=description, first_seen=at, last_seen=at)
            s.add(shop)
            s.flush()
            s.add(ShopUsername(shop_id=shop.id, username=username, first_seen=at, last_seen=at))
            self.shops[username] = shop.id
            return shop.id

    def says(self, username: str, text: str, day: int, buttons: list[dict[str, Any]] | None = None,
             reqs: tuple[tuple[str, str, str], ...] = ()) -> None:
        """The shop sends one message in a new conversation with our account; each requisite
        (kind, value, as written in `text`) is sighted in it."""
        sid = self.shops[username]
        at = DAY0 + timedelta(days=day, hours=1, minutes=self.order % 50)
        self.order += 1
        with self.db.session() as s:
            conv = Conversation(campaign_id=self.campaign_id, shop_id=sid, account_id=self.account_id,
                                peer_id=7_000_000 + sid, started_at=at)
            s.add(conv)
            s.flush()
            msg = Message(conversation_id=conv.id, account_id=self.account_id, direction="in",
                          telegram_message_id=self.order, peer_id=conv.peer_id, sender_id=conv.peer_id, text=text,
                          entities=[], buttons=buttons or [], sent_at=at)
            s.add(msg)
            s.flush()
            for kind, value, written in reqs:
                start = text.index(written)
                found = Found(kind, value, start, start + len(written), amount=AMOUNTS.get(kind))
                if kind not in ("card", "phone", "iban"):
                    found.bank, found.country, found.currency, found.network = None, None, "USDT", "TRC20"
                req, _ = upsert_requisite(s, found)
                s.flush()
                add_sighting(s, req, msg.id, conv.id, found, sid, seen_at=at)

    def pay(self, username: str, card: str, holder: str, day: int) -> None:
        spaced = " ".join(card[i:i + 4] for i in range(0, 16, 4))
        self.says(username, PAY.format(n=self.order, card=spaced, holder=holder), day, reqs=(("card", card, spaced),))

    def status(self, username: str, status: str, day: int, rename_to: str | None = None) -> None:
        with self.db.session() as s:
            shop = s.get(Shop, self.shops[username])
            assert shop is not None
            at = DAY0 + timedelta(days=day)
            if rename_to:
                shop.username = rename_to
                s.add(ShopUsername(shop_id=shop.id, username=rename_to, first_seen=at, last_seen=at))
                self.shops[rename_to] = shop.id
            shop.status = status
            s.add(ShopStatusChange(shop_id=shop.id, at=at, status=status, details={"sweep": at.date().isoformat()}))


def day0(db: Database) -> World:
    """The world on day 0 (see the module docstring)."""
    w = World(db)
    with db.session() as s:
        case = Case(number="NET-2026-24", legal_basis="test")
        s.add(case)
        s.flush()
        camp = Campaign(case_id=case.id, name="network", status="done")
        acc = Account(phone="+77010000001", state="active")
        s.add_all([camp, acc])
        s.flush()
        w.campaign_id, w.account_id = camp.id, acc.id
    w.shop("kristall_bot", description="💎 Кристалл Алматы. Витрина: @kristall_vitrina")
    w.shop("kristall_reserve_bot")
    w.shop("kristall_op", kind="operator")
    w.shop("kristall_vitrina", kind="channel")
    w.shop("luna_bot")
    w.shop("zvezda_bot")
    w.shop("kometa_bot")
    w.shop("solo_bot")
    w.shop("news_kz", kind="channel", status="not_shop")

    w.says("kristall_bot", "💎 Кристалл. Выберите город:\nРезервный бот: @kristall_reserve_bot", 0,
           buttons=[{"text": "📞 Оператор", "kind": "url", "row": 1, "col": 0, "url": "https://t.me/kristall_op"}])
    w.pay("kristall_bot", C1, "Ержан К.", 0)
    w.pay("kristall_reserve_bot", C2, "Айдана С.", 0)
    w.says("kristall_op", "Для оплаты через оператора: карта 4003 0316 8976 8467 (получатель Марат Т.), 25 000 ₸", 0,
           reqs=(("card", C3, "4003 0316 8976 8467"),))
    w.says("kristall_op", "Заказы принимаем через бота @kristall_bot", 0)
    w.says("kristall_vitrina", "💎 Заказы только через бота 👇", 0,
           buttons=[{"text": "🤖 Бот", "kind": "url", "row": 0, "col": 0, "url": "https://t.me/kristall_bot"}])

    w.pay("luna_bot", D1, "Бекзат О.", 0)
    w.says("luna_bot", "Вопросы по заказу — оператор @cosmos_op", 0)
    w.says("luna_bot", "Если бот не отвечает — резерв @luna_reserve_bot", 0)
    w.says("zvezda_bot", "Запасной бот: t.me/luna_reserve_bot", 0)
    w.pay("zvezda_bot", D1, "Бекзат О.", 0)
    w.pay("zvezda_bot", D2, "Әсем Қ.", 1)
    w.pay("kometa_bot", D2, "Әсем Қ.", 1)
    usdt = f"Оплата 60 USDT (TRC20) на адрес:\n{WALLET}"
    w.says("zvezda_bot", usdt, 1, reqs=(("trx", WALLET, WALLET),))
    w.says("kometa_bot", usdt, 1, reqs=(("trx", WALLET, WALLET),))
    w.says("kometa_bot", "Не проходит оплата? Пишите оператору: t.me/cosmos_op", 1)

    w.pay("solo_bot", SOLO, "Ержан К.", 0)
    phone = (("phone", REJECTED_PHONE, "+7 747 229 48 66"),)
    w.says("solo_bot", "Kaspi перевод 18 000 ₸ на номер +7 747 229 48 66 (Жанна Б.)", 0, reqs=phone)
    w.says("luna_bot", "Kaspi перевод 18 000 ₸ на номер +7 747 229 48 66 (Жанна Б.)", 1, reqs=phone)
    with db.session() as s:
        phone_id = s.scalar(select(Requisite.id).where(Requisite.value == REJECTED_PHONE))
    assert phone_id is not None
    decide(db, phone_id, Reviewer(1001, "Aigerim Sadykova", "prosecutor"), "rejected")

    w.says("news_kz", "Полиция закрыла @kristall_bot и @luna_bot. Резерв @kristall_reserve_bot тоже.", 0)
    return w


def day3(w: World) -> None:
    """The sweep of day 3: a death, a rename, a new shop sharing a card with the backup bot."""
    w.status("kristall_bot", "dead", 3)
    w.status("luna_bot", "renamed", 3, rename_to="luna_new_bot")
    w.pay("luna_new_bot", D3, "Бекзат О.", 3)
    w.pay("kristall_reserve_bot", C4, "Ерлан Д.", 3)
    w.shop("almaz_bot", day=3)
    w.pay("almaz_bot", C4, "Ерлан Д.", 3)


def day4(w: World) -> None:
    """Day 4: @zvezda_bot hands out C4 too."""
    w.pay("zvezda_bot", C4, "Ерлан Д.", 4)
