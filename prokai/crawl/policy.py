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
        "open": ("Здравствуйте, есть что в наличии?", "Привет, как заказать?"),
        "choose_district": ("Любой район подойдёт", "Центр"),
        "choose_product": ("Что подешевле", "Самое дешёвое"),
        "choose_amount": ("Минимальный вес", "Самый маленький"),
        "choose_payment": ("Картой", "На карту можно?"),
        "other_payment": ("А на крипту можно?", "А другим способом можно оплатить?"),
        "question": ("Нашёл вас в канале", "Первый раз беру"),
        "other": ("Как заказать?", "Что есть в наличии?"),
        "thanks": ("Понял, спасибо",),
    },
    "kk": {
        "open": ("Сәлеметсіз бе, не бар?", "Сәлем, қалай тапсырыс беремін?"),
        "choose_district": ("Кез келген аудан", "Орталық"),
        "choose_product": ("Ең арзанын", "Арзанырақ бар ма?"),
        "choose_amount": ("Ең азын", "Ең кішісін"),
        "choose_payment": ("Картамен", "Картаға болады ма?"),
        "other_payment": ("Криптомен болады ма?", "Басқа жолмен төлеуге бола ма?"),
        "question": ("Каналдан таптым", "Бірінші рет аламын"),
        "other": ("Қалай тапсырыс беремін?", "Не бар?"),
        "thanks": ("Түсіндім, рақмет",),
    },
}

# Intents after which the conversation is over for this payment method.
TERMINAL = {"payment_details", "wait_confirm", "refusal_ban"}


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
    """Chooses the buyer's next line to a human operator from the operator's last intent."""

    city: str
    turn: int = 0

    def opening(self, lang: str = "ru") -> str:
        return PHRASES[lang]["open"][0]

    def reply(self, intent: str, operator_text: str, want_other_payment: bool = False) -> str | None:
        """The next line, or None when the policy says stop (requisites given, refusal, wait)."""
        lang = language_of(operator_text)
        self.turn += 1
        if intent in TERMINAL:
            if intent == "payment_details" and want_other_payment:
                return PHRASES[lang]["other_payment"][0]
            return None
        if intent == "choose_city":
            return self.city
        bank = PHRASES[lang]
        phrases = bank.get(intent) or bank["other"]
        return phrases[self.turn % len(phrases)]
