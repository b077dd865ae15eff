"""The dialog policy: the only things the crawler ever says, chosen by the shop's last intent.

A buyer persona speaks short, ordinary Russian or Kazakh (the shop's language). Phrases are
fixed here so the guardrails can check every outgoing text against them; the only other texts
ever sent are captcha answers and menu choices taken from the shop's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

KAZAKH_LETTERS = re.compile(r"[әғқңөұүһіӘҒҚҢӨҰҮҺІ]")

PHRASES: dict[str, dict[str, tuple[str, ...]]] = {
    "ru": {
        "open": ("Здравствуйте, есть что в наличии?",),
        "choose_district": ("Любой район. Что есть и почём?",),
        "product": ("Что есть и почём?",),
        "order": ("Возьму самое маленькое. Куда оплатить?", "Хорошо, беру. Куда оплатить?"),
        "other_payment": ("А на крипту можно?",),
        "other_card": ("А на карту можно?",),
        "other_phone": ("А на Kaspi по номеру можно?",),
        "other_iban": ("А на счёт можно?",),
        "question": ("Нашёл вас в канале, первый раз беру",),
        "confirm": ("Да, скиньте, куда оплатить?",),
    },
    "kk": {
        "open": ("Сәлеметсіз бе, не бар?",),
        "choose_district": ("Кез келген аудан. Не бар, бағасы қанша?",),
        "product": ("Не бар, бағасы қанша?",),
        "order": ("Ең азын аламын. Қайда төлеймін?", "Жарайды, аламын. Қайда төлеймін?"),
        "other_payment": ("Криптомен болады ма?",),
        "other_card": ("Картаға болады ма?",),
        "other_phone": ("Kaspi нөміріне болады ма?",),
        "other_iban": ("Шотқа болады ма?",),
        "question": ("Каналдан таптым, бірінші рет аламын",),
        "confirm": ("Иә, жіберіңіз, қайда төлеймін?",),
    },
}
# The other ways to pay the buyer asks about, in this order, with the phrase for each: one per
# payment-method kind of the kinds table (`prokai.extract.kinds.METHOD_KINDS`; checked by
# tests/extract/test_kind_table.py). The order is the crawler's choice, not the table's.
ASK_OTHER: tuple[tuple[str, str], ...] = (
    ("crypto", "other_payment"), ("card", "other_card"), ("phone", "other_phone"), ("iban", "other_iban"),
)

def language_of(text: str) -> str:
    """'kk' when the text has Kazakh-specific letters, else 'ru'."""
    return "kk" if KAZAKH_LETTERS.search(text) else "ru"


def all_phrases(city: str) -> set[str]:
    """Every text the policy may say (for the guardrails' allow-list)."""
    out = {city}
    for lang in PHRASES.values():
        for phrases in lang.values():
            out.update(phrases)
    return out


@dataclass
class OperatorPolicy:
    """Chooses the buyer's next line to a human operator from the operator's last intent.

    It answers what was asked (city, district, a question about the buyer) and otherwise moves
    one rung up a short ladder toward the payment step: what is there and for how much, then
    "I'll take the smallest, where do I pay?". It gives up after `max_turns` lines.
    """

    city: str
    max_turns: int = 8
    turn: int = 0
    city_said: int = 0
    rung: int = 0

    def opening(self, lang: str = "ru") -> str:
        """The first line to an operator."""
        return PHRASES[lang]["open"][0]

    def nudge(self, lang: str, n: int) -> str:
        """What a buyer writes after silence: first the city, then "I'll take it, where to pay?"."""
        return self.city if n == 0 else PHRASES[lang]["order"][0]

    def other_payment(self, lang: str, have: set[str]) -> tuple[str, str] | None:
        """The next way to pay to ask about, as (method kind, line): crypto, a card, a phone
        transfer, an account, each once, skipping the kinds already harvested or asked."""
        bank = PHRASES[lang if lang in PHRASES else "ru"]
        for kind, key in ASK_OTHER:
            if kind not in have:
                return kind, bank[key][0]
        return None

    def reply(self, intent: str, operator_text: str, got_requisites: bool = False,
              want_other_payment: bool = False) -> str | None:
        """The next line, or None when the policy says stop (requisites given, refusal)."""
        bank = PHRASES[language_of(operator_text)]
        self.turn += 1
        if self.turn > self.max_turns or intent == "refusal_ban":
            return None
        if got_requisites:
            return bank["other_payment"][0] if want_other_payment else None
        if intent in ("payment_details", "wait_confirm"):
            # They speak of paying but named nothing yet: ask where to pay.
            return bank["confirm"][0]
        if intent == "choose_city" and self.city_said < 2:
            self.city_said += 1
            return self.city
        if intent == "choose_district":
            self.rung = max(self.rung, 1)
            return bank["choose_district"][0]
        if intent == "question" and self.turn <= 3:
            return bank["question"][0]
        if intent in ("choose_product", "choose_amount", "choose_payment"):
            self.rung = 2
        ladder = ("product", "order")
        step = ladder[min(self.rung, len(ladder) - 1)] if self.rung < 2 else "order"
        self.rung += 1
        phrases = bank[step]
        return phrases[(self.turn // 2) % len(phrases)]
