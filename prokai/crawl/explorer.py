"""Choosing the next button in a shop bot's menu: steer toward the payment step, by state.

The explorer remembers where it has been as screens, not texts: a screen's fingerprint is the set
of its buttons' labels (normalized: case, emoji, spacing), so a menu edited in place with a new
order number, or shown again after /start, is the same screen, and one that grew a button after
a choice is a new one. Edges (screen, label) → screen are learnt as the crawler presses, so after
a restart it follows the path that led to a payment step that still offers a method it has not
asked for yet, and leaves alone branches that led nowhere (sold out, the same screen again).

Pure functions over the screen (its text, intent and buttons) and that `Memory`; the engine asks
`choose` for the next button; None means "nothing worth pressing here".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field

from prokai.crawl.guardrails import forbidden_reason
from prokai.crawl.methods import Method, method_of
from prokai.intake.buttons import Button, ButtonKind

GOAL_WORDS = (
    "купить", "заказ", "каталог", "товар", "магазин", "витрин", "меню", "ассортимент", "прайс", "наличи",
    "оформ", "выбрать", "start", "shop", "buy", "order", "сатып", "тапсырыс", "дүкен", "пополн", "баланс",
    "оплат", "плат", "төле", "к оплате", "получить реквизит", "реквизит", "catalog", "pay", "продолж",
    "подтверд", "continue", "жалғас",
)
AVOID_WORDS = (
    "назад", "отзыв", "правил", "поддержк", "помощь", "faq", "инфо", "о нас", "контакт", "отмен", "canc",
    "back", "help", "rules", "артқа", "ереже", "көмек", "новост", "канал", "реферал", "бонус", "акци",
    "главное меню", "в начало", "басты мәзір", "main menu", "профиль", "profile", "язык", "language", "тіл",
)
_SOLD_OUT = re.compile(
    r"нет в наличии|закончил|законч|распродан|sold\s*out|out of stock|жоқ|таусылды|нет\b|❌|🚫|\(0\)|0 шт", re.I
)
_PAGER = re.compile(
    r"^(?:далее|дальше|вперёд|вперед|следующ\w*|ещё|еще|больше|показать ещё|next|more|келесі|тағы|әрі қарай"
    r"|стр\.?\s*\d+|\d{1,2}\s*/\s*\d{1,2}|[➡️▶️→›»⏩>]+|\d{1,2})$",
    re.I,
)
_PRICE = re.compile(r"(\d[\d\s]{0,8}\d|\d)\s*(?:₸|тг|тенге|т\b|руб|₽|\$|usd|k\b|к\b)", re.I)
_WEIGHT = re.compile(r"(\d+(?:[.,]\d+)?)\s*(г|гр|g|шт|мл)\b", re.I)
_ORDER_NO = re.compile(r"\d+")

KNOWN_BAD = -7.0  # a button known to lead nowhere scores below this: not worth pressing


def label_key(text: str) -> str:
    """A label as the explorer compares labels: case-folded, emoji and punctuation dropped."""
    kept = "".join(ch for ch in unicodedata.normalize("NFKC", text)
                   if ch.isalnum() or ch.isspace() or ch in "+-./")
    return " ".join(kept.casefold().split()) or text.strip()


_PAGER_WORDS = re.compile(
    r"(?<!\w)(?:далее|дальше|вперёд|вперед|следующ\w*|ещё|еще|больше|другие|остальные|next|more"
    r"|келесі|тағы|әрі қарай|басқа)(?!\w)|[➡▶→›»⏩]",
    re.I,
)


def is_pager(label: str) -> bool:
    """'Далее', '➡️', 'Ещё', '2', 'стр. 3', 'Следующая страница ▶️', 'Другие города': a button that
    shows more options of the same list."""
    text = label.strip()
    bare = "".join(ch for ch in text if ch.isalnum() or ch in " ./") or text
    if _PAGER.match(bare.strip()) or _PAGER.match(text.replace("\ufe0f", "")):
        return True
    return len(bare) <= 28 and bool(_PAGER_WORDS.search(text))


def screen_key(text: str, buttons: list[Button]) -> str:
    """A screen's fingerprint: its pressable buttons' labels; a screen with few buttons adds the
    shape of its first line (digits dropped), so edits and order numbers do not change it."""
    labels = sorted({label_key(b.text) for b in buttons if b.kind != ButtonKind.URL})
    h = hashlib.sha256("\x00".join(labels).encode())
    if len(labels) <= 2:
        first = next((ln for ln in text.splitlines() if ln.strip()), "")
        h.update(b"\x01" + label_key(_ORDER_NO.sub("#", first))[:60].encode())
    return h.hexdigest()[:16]


def payment_kind(label: str) -> str | None:
    """The method key ('card/kaspi', 'crypto/btc', …) a button label names, if any."""
    method = method_of(label)
    return method.key if method else None


def _number(text: str, pattern: re.Pattern[str]) -> float | None:
    m = pattern.search(text)
    if not m:
        return None
    return float(m.group(1).replace(" ", "").replace(",", "."))


@dataclass
class Memory:
    """What the explorer remembers across the screens and restarts of one conversation."""

    edges: dict[str, dict[str, str]] = field(default_factory=dict)  # screen -> label -> next screen
    labels: dict[str, set[str]] = field(default_factory=dict)  # screen -> its label keys
    pressed: dict[str, set[str]] = field(default_factory=dict)  # screen -> labels pressed since /start
    offers: dict[str, set[str]] = field(default_factory=dict)  # screen -> method keys offered there
    methods: dict[str, Method] = field(default_factory=dict)  # every method key seen offered
    done: set[str] = field(default_factory=set)  # method keys harvested
    failed: set[str] = field(default_factory=set)  # method keys asked for that gave nothing
    dead: set[tuple[str, str]] = field(default_factory=set)  # (screen, label) that led nowhere
    pending: Method | None = None  # the method asked for, its requisite not yet in
    last: tuple[str, str] | None = None  # (screen, label) of the last press
    came_from: dict[str, tuple[str, str]] = field(default_factory=dict)  # screen -> the press that led to it
    screen: str | None = None  # the screen now shown

    # ---- compatibility names (the engine reported these) ----
    @property
    def payments_done(self) -> set[str]:
        return self.done

    @property
    def payments_seen(self) -> set[str]:
        return set(self.methods)

    def arrive(self, key: str, buttons: list[Button]) -> None:
        """A screen is shown: learn the edge that led here."""
        if self.last is not None:
            prev, label = self.last
            self.edges.setdefault(prev, {})[label] = key
            if prev == key:
                self.dead.add((prev, label))  # pressing it changed nothing (sold out, an alert)
            else:
                self.came_from.setdefault(key, (prev, label))
            self.last = None
        self.screen = key
        self.labels[key] = {label_key(b.text) for b in buttons}

    def mark(self, key: str, button: Button) -> None:
        """The crawler pressed `button` on screen `key`."""
        label = label_key(button.text)
        self.pressed.setdefault(key, set()).add(label)
        self.last = (key, label)

    def restart(self) -> None:
        """A /start: presses are counted afresh; an unanswered method request failed."""
        self.pressed.clear()
        self.last = None
        if self.pending is not None:
            self.failed.add(self.pending.key)
            self.pending = None

    def is_open(self, key: str) -> bool:
        """Whether the method `key` is still to be asked for."""
        method = self.methods.get(key)
        if key in self.done or key in self.failed or method is None:
            return False
        return not any(self.methods[d].covers(method) and self.methods[d].provider == method.provider
                       for d in self.done if d in self.methods)

    def open_methods(self) -> list[str]:
        """Method keys seen offered and not yet asked for, in the order first seen."""
        return [k for k in self.methods if self.is_open(k)]

    def harvested(self, method: Method) -> None:
        """Requisites came for `method`."""
        self.methods.setdefault(method.key, method)
        self.done.add(method.key)
        self.failed.discard(method.key)
        if self.pending is not None and self.pending.key == method.key:
            self.pending = None

    def leads_to_open(self, start: str) -> bool | None:
        """True when the known screens from `start` reach a method still to ask for; False when
        they reach payment steps whose methods are all asked for; None when nothing is known."""
        seen, todo, any_offer = {start}, [start], False
        while todo:
            node = todo.pop()
            offers = self.offers.get(node, set())
            if offers:
                any_offer = True
                if any(self.is_open(k) for k in offers):
                    return True
            for nxt in self.edges.get(node, {}).values():
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False if any_offer else None


def pressable(buttons: list[Button]) -> list[Button]:
    """Buttons the guardrails would let us press at all."""
    kinds = (ButtonKind.CALLBACK, ButtonKind.REPLY, ButtonKind.COMMAND)
    return [b for b in buttons if b.kind in kinds and not forbidden_reason(b.text)]


def screen_methods(intent: str, buttons: list[Button]) -> dict[str, Method]:
    """The payment methods a screen's buttons offer (label → method)."""
    usable = pressable(buttons)
    known = {b.text: m for b in usable if (m := method_of(b.text)) is not None}
    payment_screen = intent == "choose_payment" or len(known) >= 2
    if payment_screen:
        for b in usable:
            low = b.text.casefold()
            if b.text not in known and not is_pager(b.text) and not any(w in low for w in AVOID_WORDS):
                m = method_of(b.text, payment_screen=True)
                if m is not None:
                    known[b.text] = m
    return known


def choose(intent: str, text: str, buttons: list[Button], memory: Memory, city: str) -> Button | None:
    """The best next button for this screen, or None."""
    key = screen_key(text, buttons)
    done = memory.pressed.get(key, set())
    options = [b for b in pressable(buttons) if label_key(b.text) not in done]
    if not options:
        return None
    offered = screen_methods(intent, buttons)
    for m in offered.values():
        memory.methods.setdefault(m.key, m)
    if offered:
        memory.offers.setdefault(key, set()).update(m.key for m in offered.values())

    # Cheapest first on product and amount screens (price, else weight).
    cost = {b.text: _number(b.text, _PRICE) or _number(b.text, _WEIGHT) for b in options}
    known = [c for c in cost.values() if c is not None]
    cheapest = min(known) if known else None
    city_here = any(city.casefold()[:5] in b.text.casefold() for b in options)
    edges = memory.edges.get(key, {})

    def score(b: Button) -> float:
        low = b.text.casefold()
        label = label_key(b.text)
        s = 0.0
        if any(w in low for w in AVOID_WORDS):
            s -= 5
        if any(w in low for w in GOAL_WORDS):
            s += 2
        if intent == "choose_city" and city.casefold()[:5] in low:
            s += 10
        if intent in ("choose_product", "choose_amount") and cost[b.text] is not None:
            s += 5 if cost[b.text] == cheapest else 3
        if _SOLD_OUT.search(b.text):
            s -= 7
        if is_pager(b.text):
            # More of the same list: worth it when our city is not on this page.
            s += 9 if intent == "choose_city" and not city_here else -0.5
        method = offered.get(b.text)
        if method is not None:
            pending = memory.pending is not None and memory.pending.key == method.key
            s += 6 if memory.is_open(method.key) and not pending else -8
        if (key, label) in memory.dead:
            s -= 9
        elif label in edges:
            ahead = memory.leads_to_open(edges[label])
            if ahead is True:
                s += 4  # the known way to a method not yet asked for
            elif ahead is False and method is None:
                s -= 3  # everything that way is already harvested
        # Earlier buttons first among equals (the shop's own order).
        return s - 0.01 * (b.row * 10 + b.col)

    best = max(options, key=score)
    if score(best) <= KNOWN_BAD:
        return None
    return best
