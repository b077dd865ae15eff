"""Choosing the next button in a shop bot's menu: steer toward the payment step.

Pure functions over the screen (its text, its intent, its buttons) and the exploration memory
(what was pressed on which screen, which payment methods were already harvested). The engine
asks `choose` for the next button; None means "nothing worth pressing here".
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from prokai.crawl.buttons import Button, ButtonKind
from prokai.crawl.guardrails import forbidden_reason

GOAL_WORDS = (
    "купить", "заказ", "каталог", "товар", "магазин", "витрин", "меню", "ассортимент", "прайс", "наличи",
    "оформ", "выбрать", "start", "shop", "buy", "order", "сатып", "тапсырыс", "дүкен", "пополн", "баланс",
    "оплат", "плат", "төле", "к оплате", "получить реквизит", "реквизит", "catalog", "pay", "order",
)
AVOID_WORDS = (
    "назад", "отзыв", "правил", "поддержк", "помощь", "faq", "инфо", "о нас", "контакт", "отмен", "canc",
    "back", "help", "rules", "артқа", "ереже", "көмек", "новост", "канал", "реферал", "бонус", "акци",
)
PAYMENT_WORDS = {
    "card": ("карт", "card", "visa", "master", "мир", "kaspi", "каспи", "halyk", "халык", "банк", "карта"),
    "phone": ("перевод по номеру", "по номеру", "номер телефон", "qiwi", "p2p", "сбп"),
    "iban": ("iban", "счёт", "счет", "шот", "реквизиты счета"),
    "crypto": ("btc", "bitcoin", "биткоин", "крипт", "usdt", "trc", "eth", "ltc", "xmr", "monero", "ton", "тон"),
}
_PRICE = re.compile(r"(\d[\d\s]{0,8}\d|\d)\s*(?:₸|тг|тенге|т\b|руб|₽|\$|usd|k\b|к\b)", re.I)
_WEIGHT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(г|гр|g|шт|мл)\b", re.I)


def screen_key(text: str, buttons: list[Button]) -> str:
    """Identity of a screen for cycle detection: its text and button labels."""
    h = hashlib.sha256(text.strip().encode())
    for b in buttons:
        h.update(b"\x00" + b.text.encode())
    return h.hexdigest()[:16]


def payment_kind(label: str) -> str | None:
    """Which payment method a button label names, if any."""
    low = label.casefold()
    for kind, words in PAYMENT_WORDS.items():
        if any(w in low for w in words):
            return kind
    return None


def _number(text: str, pattern: re.Pattern[str]) -> float | None:
    m = pattern.search(text)
    if not m:
        return None
    return float(m.group(1).replace(" ", "").replace(",", "."))


@dataclass
class Memory:
    """What the explorer remembers across screens of one conversation."""

    pressed: dict[str, set[str]] = field(default_factory=dict)  # screen key -> labels pressed
    payments_done: set[str] = field(default_factory=set)  # payment kinds already harvested
    payments_seen: set[str] = field(default_factory=set)
    payments_tried: set[str] = field(default_factory=set)  # button labels of payment methods tried

    def mark(self, key: str, button: Button) -> None:
        self.pressed.setdefault(key, set()).add(button.text)


def pressable(buttons: list[Button]) -> list[Button]:
    """Buttons the guardrails would let us press at all."""
    kinds = (ButtonKind.CALLBACK, ButtonKind.REPLY, ButtonKind.COMMAND)
    return [b for b in buttons if b.kind in kinds and not forbidden_reason(b.text)]


def choose(intent: str, text: str, buttons: list[Button], memory: Memory, city: str) -> Button | None:
    """The best next button for this screen, or None."""
    key = screen_key(text, buttons)
    done = memory.pressed.get(key, set())
    options = [b for b in pressable(buttons) if b.text not in done]
    if not options:
        return None
    for b in options:
        if kind := payment_kind(b.text):
            memory.payments_seen.add(kind)

    # Cheapest first on product and amount screens (price, else weight).
    cost = {b.text: _number(b.text, _PRICE) or _number(b.text, _WEIGHT) for b in options}
    known = [c for c in cost.values() if c is not None]
    cheapest = min(known) if known else None

    def score(b: Button) -> float:
        low = b.text.casefold()
        s = 0.0
        if any(w in low for w in AVOID_WORDS):
            s -= 5
        if any(w in low for w in GOAL_WORDS):
            s += 2
        if intent == "choose_city" and city.casefold()[:5] in low:
            s += 10
        if intent in ("choose_product", "choose_amount") and cost[b.text] is not None:
            s += 5 if cost[b.text] == cheapest else 3
        kind = payment_kind(b.text)
        if kind is not None:
            if b.text in memory.payments_tried:
                s -= 8
            elif kind in memory.payments_done:
                s += 1
            else:
                s += 6
        # Earlier buttons first among equals (the shop's own order).
        return s - 0.01 * (b.row * 10 + b.col)

    best = max(options, key=score)
    return best
