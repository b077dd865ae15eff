"""A human shop operator: an ordinary account that answers buyers in free text, after a delay.

The operator sorts each buyer message into kinds (greeting, price, city, product, order, payment,
paid, other) with Russian and Kazakh keyword lists, then answers with the first scenario reply
whose `when` matches (or whose own `words` occur in the message).
"""

from __future__ import annotations

import random
import re

from prokai.sandbox.bots import BotChat, CallbackAnswer, CallbackQuery, IncomingMessage
from prokai.sandbox.shops.runtime import ShopRuntime, render
from prokai.sandbox.shops.spec import OperatorSpec, ReplySpec

KEYWORDS: dict[str, tuple[str, ...]] = {
    "greeting": ("привет", "здравств", "добрый", "салам", "сәлем", "салем", "сәлеметсіз", "армысыз"),
    "price": ("прайс", "цен", "сколько стоит", "почем", "почём", "баға", "бағасы", "қанша"),
    "city": ("алматы", "астана", "шымкент", "караганд", "қарағанды", "актобе", "ақтөбе", "павлодар", "город",
             "қала", "район", "аудан"),
    "product": ("есть", "товар", "ассортимент", "наличи", "бар ма", "барма", "тауар", "мука", "кристалл",
                "шишк", "меф", "соль"),
    "order": ("хочу", "возьму", "беру", "заказ", "нужно", "надо", "алам", "аламын", "керек", "тапсырыс", "грамм",
              " г ", "гр"),
    "payment": ("куда", "оплат", "карт", "реквизит", "перевод", "скинуть", "каспи", "kaspi", "төле", "төлеу",
                "аудар", "қайда"),
    "paid": ("оплатил", "оплатила", "перевел", "перевёл", "скинул", "чек", "төледім", "аудардым", "жібердім"),
}


def classify(text: str) -> set[str]:
    """The kinds a buyer message belongs to ('other' when none match)."""
    low = f" {text.lower()} "
    low = re.sub(r"[!?.,]", " ", low)
    kinds = {kind for kind, words in KEYWORDS.items() if any(w in low for w in words)}
    if "paid" in kinds:
        kinds.discard("payment")
    return kinds or {"other"}


def matches(reply: ReplySpec, text: str, kinds: set[str], seen: set[str] | None = None) -> bool:
    """Does this reply answer a message of these kinds (or with its words), given what the buyer
    has said before (`seen`: kinds of all their messages so far, this one included)?"""
    if reply.needs and not set(reply.needs) <= (seen if seen is not None else kinds):
        return False
    when = {reply.when} if isinstance(reply.when, str) else set(reply.when)
    low = text.lower()
    return bool(when & kinds) or any(w.lower() in low for w in reply.words)


class OperatorPersona:
    """Behaviour of a scenario operator (the world calls it like a bot, but it is a user)."""

    def __init__(self, runtime: ShopRuntime) -> None:
        self.runtime = runtime
        op = runtime.spec.operator
        assert op is not None
        self.spec: OperatorSpec = op
        self.lang = op.lang or runtime.spec.lang
        self.rng = random.Random(f"{runtime.spec.id}/operator")
        self.memory: dict[int, dict[str, object]] = {}
        self.counts: dict[tuple[int, int], int] = {}
        self.seen: dict[int, set[str]] = {}  # kinds of everything each buyer has written

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        """Read the message, wait like a person does, answer by kind."""
        rt = self.runtime
        life = rt.life()
        if not life.alive:
            if life.death == "closed" and rt.spec.lifecycle is not None:
                await chat.sleep(self.rng.uniform(*self.spec.delay))
                await rt.say(chat, render(rt.spec.lifecycle.closed_text, rt.base_vars()), "refusal_ban")
            return
        buyer = rt.buyer(chat.user_id)
        if buyer.banned:
            return  # a banned buyer is simply ignored by a human operator
        fast = rt.too_fast(chat.user_id)
        await chat.sleep(self.rng.uniform(*self.spec.delay))
        if fast:
            await rt.punish(chat)
            return
        kinds = classify(message.text)
        seen = self.seen.setdefault(chat.user_id, set())
        seen |= kinds
        reply = next((r for r in self.spec.replies if matches(r, message.text, kinds, seen)), None)
        mem = self.memory.setdefault(chat.user_id, {})
        variables = rt.base_vars(chat.user_id)
        variables.update(mem)
        if reply is None:
            text = self.spec.fallback or ("Не понял, напишите подробнее." if self.lang == "ru" else "Түсінбедім, нақтырақ жазыңыз.")
            await rt.say(chat, render(text, variables), "question")
            return
        mem.update(reply.set)
        variables.update(reply.set)
        says = [reply.say] if isinstance(reply.say, str) else reply.say
        idx = self.spec.replies.index(reply)
        n = self.counts.get((chat.user_id, idx), 0)
        self.counts[(chat.user_id, idx)] = n + 1
        text = says[n % len(says)]
        if reply.payment is not None:
            await rt.pay(chat, reply.payment, text, variables, via=self.spec.username)
            return
        await rt.say(chat, render(text, variables), reply.intent)

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        """People have no buttons."""
        return None
