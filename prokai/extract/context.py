"""Context around a requisite: the amount and currency stated near it, bank names mentioned,
and the keyword sets that decide whether a number is a payment requisite at all.

All patterns are compiled once at import and run on the lower-cased original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_Trie = dict[str, "_Trie"]


def trie_regex(words: Iterable[str]) -> str:
    """A regex alternation of `words` factored by common prefixes (sre does not build tries)."""
    trie: _Trie = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: _Trie) -> str:
        if list(node) == [""]:
            return ""
        alts = [re.escape(ch) + build(node[ch]) for ch in sorted(k for k in node if k)]
        if len(alts) == 1 and "" not in node:
            return alts[0]
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if "" in node else body

    return build(trie)


# Words that make a nearby number a payment requisite (ru / kk / en, incl. common slang).
PAYMENT_WORDS = (
    "переведи", "перевод", "перекин", "скинь", "скинуть", "закинь", "оплат", "оплач", "плати",
    "по номеру", "на номер", "номер для", "к оплате", "реквизит", "kaspi", "каспи", "kaspi gold",
    "каспи голд", "qiwi", "киви", "сбп", "halyk", "халык", "jusan", "жусан", "freedom", "фридом",
    "forte", "форте", "tinkoff", "тинькофф", "тиньков", "т-банк", "сбер", "sber", "мобильный банк",
    "төле", "төлем", "аудар", "нөмір", "нөмірге", "карт", "card", "pay", "transfer", "send",
    "деньги", "сумм", "₸", "тенге", "руб", "₽", "usdt", "btc", "кошел", "wallet", "счет", "счёт",
)
# Words that make a phone number a contact, not a payment requisite.
CONTACT_WORDS = (
    "звони", "звонит", "позвон", "связь", "связи", "на связи", "контакт", "whatsapp", "ватсап",
    "вацап", "viber", "вайбер", "telegram", "телеграм", "оператор", "менеджер", "поддержк",
    "call", "contact", "хабарлас", "қоңырау", "диспетчер", "курьер", "тел.", "тел:",
)
# Words that make a long digit run something other than a card (order, tracking, id numbers).
NOT_CARD_WORDS = (
    "заказ", "order", "трек", "track", "отслеж", "накладн", "отправлени", "посылк", "квитанц",
    "иин", "бин ", "инн", "огрн", "кпп", "бик", "invoice", "инвойс", "чек №", "чек#", "id ",
    "id:", "артикул", "штрихкод", "barcode", "imei", "iccid", "timestamp", "время", "unix",
    "тапсырыс", "ref", "транзакц", "txid", "tx ", "hash",
)
CARD_WORDS = ("карт", "card", "kaspi", "каспи", "visa", "виза", "master", "мастер", "мир ", "mir ",
              "gold", "голд", "төле", "перевод", "оплат", "плати", "скинь", "кинь")

_PAYMENT_RE = re.compile("|".join(re.escape(w) for w in PAYMENT_WORDS))
_CONTACT_RE = re.compile("|".join(re.escape(w) for w in CONTACT_WORDS))
_NOT_CARD_RE = re.compile("|".join(re.escape(w) for w in NOT_CARD_WORDS))
_CARD_RE = re.compile("|".join(re.escape(w) for w in CARD_WORDS))

# Bank names as people write them → canonical bank name.
BANK_NAMES: dict[str, str] = {
    "kaspi": "Kaspi Bank", "каспи": "Kaspi Bank", "halyk": "Halyk Bank", "халык": "Halyk Bank",
    "народный банк": "Halyk Bank", "jusan": "Jusan Bank", "жусан": "Jusan Bank",
    "freedom": "Freedom Bank", "фридом": "Freedom Bank", "forte": "ForteBank",
    "форте": "ForteBank", "bcc": "Bank CenterCredit", "центркредит": "Bank CenterCredit",
    "центр кредит": "Bank CenterCredit", "home credit": "Home Credit Bank",
    "хоум кредит": "Home Credit Bank", "eurasian": "Eurasian Bank", "евразийск": "Eurasian Bank",
    "bereke": "Bereke Bank", "береке": "Bereke Bank", "altyn": "Altyn Bank",
    "алтын": "Altyn Bank", "rbk": "Bank RBK", "рбк": "Bank RBK", "nurbank": "Nurbank",
    "нурбанк": "Nurbank", "сбер": "Sberbank", "sber": "Sberbank", "tinkoff": "T-Bank",
    "тинькофф": "T-Bank", "тиньков": "T-Bank", "т-банк": "T-Bank", "тбанк": "T-Bank",
    "альфа": "Alfa-Bank", "alfa": "Alfa-Bank", "втб": "VTB", "vtb": "VTB", "озон банк": "Ozon Bank",
    "ozon": "Ozon Bank", "qiwi": "QIWI", "киви": "QIWI", "райффайзен": "Raiffeisenbank",
    "газпромбанк": "Gazprombank", "совкомбанк": "Sovcombank", "почта банк": "Pochta Bank",
}
_BANK_RE = re.compile("|".join(re.escape(w) for w in sorted(BANK_NAMES, key=len, reverse=True)))

# Amounts: "25 000 ₸", "25000тг", "150 $", "$150", "0.002 BTC", "300 USDT", "1.5к руб".
_CUR = {
    "₸": "KZT", "тг": "KZT", "тенге": "KZT", "теңге": "KZT", "kzt": "KZT", "₽": "RUB",
    "руб": "RUB", "р.": "RUB", "rub": "RUB", "$": "USD", "usd": "USD", "долл": "USD", "€": "EUR",
    "eur": "EUR", "евро": "EUR", "usdt": "USDT", "btc": "BTC", "eth": "ETH", "trx": "TRX",
    "ltc": "LTC", "xmr": "XMR", "ton": "TON", "сом": "KGS", "сум": "UZS",
}
_CUR_ALT = "|".join(re.escape(c) for c in sorted(_CUR, key=len, reverse=True))
_NUM = r"\d{1,3}(?:[ \u00a0\u202f'’,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
# Anchored on the currency token (rare), then the number is read just before or after it.
_CUR_RE = re.compile(r"(?:" + trie_regex(_CUR) + r")(?![a-zа-я])")
_NUM_BEFORE_RE = re.compile(r"(?P<n>" + _NUM + r")\s?(?P<k>к|k|тыс\.?|тысяч)?\s?$")
_NUM_AFTER_RE = re.compile(r"\s?(?P<n>" + _NUM + r")")


@dataclass(frozen=True)
class Amount:
    value: float
    currency: str
    start: int
    end: int


_NUM_SPACES_RE = re.compile(r"[ \u00a0\u202f'’]")
_THOUSANDS_RE = re.compile(r"\d{1,3}(,\d{3})+")


def _to_float(num: str) -> float | None:
    s = _NUM_SPACES_RE.sub("", num)
    if _THOUSANDS_RE.fullmatch(s):
        s = s.replace(",", "")
    s = s.replace(",", ".")
    try:
        return float(s)
    except ValueError:
        return None


def amounts(text: str) -> list[Amount]:
    """Every amount with a currency stated in lower-cased `text` ("25 000 ₸", "$150", "0.002 btc")."""
    out = []
    for m in _CUR_RE.finditer(text):
        cur = _CUR[m.group(0)]
        before = _NUM_BEFORE_RE.search(text, max(0, m.start() - 40), m.start())
        if before:
            val = _to_float(before.group("n"))
            if val is not None and before.group("k"):
                val *= 1000
            start, end = before.start(), m.end()
        elif m.group(0) in "$€₸₽" and (after := _NUM_AFTER_RE.match(text, m.end())):
            val, start, end = _to_float(after.group("n")), m.start(), after.end()
        else:
            continue
        if val is None or val <= 0:
            continue
        out.append(Amount(val, cur, start, end))
    return out


def nearest_amount(found_amounts: list[Amount], start: int, end: int) -> Amount | None:
    """The stated amount closest to [start, end) that does not overlap it."""
    best: tuple[int, Amount] | None = None
    for a in found_amounts:
        if a.end > start and a.start < end:
            continue
        dist = start - a.end if a.end <= start else a.start - end
        if best is None or dist < best[0]:
            best = (dist, a)
    return best[1] if best else None


def banks(lower: str) -> list[tuple[str, int]]:
    """Bank names mentioned in lower-cased text: (canonical name, position)."""
    return [(BANK_NAMES[m.group(0)], m.start()) for m in _BANK_RE.finditer(lower)]


def words_near(pattern: re.Pattern[str], lower: str, start: int, end: int, before: int,
               after: int) -> list[tuple[str, int]]:
    """Keyword hits of `pattern` within the window; (word, distance from the span)."""
    lo = max(0, start - before)
    hi = min(len(lower), end + after)
    hits = []
    for m in pattern.finditer(lower, lo, hi):
        if m.end() <= start:
            dist = start - m.end()
        elif m.start() >= end:
            dist = m.start() - end
        else:
            continue
        hits.append((m.group(0), dist))
    return hits


def payment_words(lower: str, start: int, end: int, before: int = 80, after: int = 40) -> list[tuple[str, int]]:
    """Payment keywords near a span."""
    return words_near(_PAYMENT_RE, lower, start, end, before, after)


def contact_words(lower: str, start: int, end: int, before: int = 40, after: int = 25) -> list[tuple[str, int]]:
    """Contact keywords near a span (a phone given to call, not to pay)."""
    return words_near(_CONTACT_RE, lower, start, end, before, after)


def not_card_words(lower: str, start: int, end: int) -> list[tuple[str, int]]:
    """Order/tracking/id keywords just before a digit run."""
    return words_near(_NOT_CARD_RE, lower, start, end, 30, 0)


def card_words(lower: str, start: int, end: int) -> list[tuple[str, int]]:
    """Card keywords near a digit run."""
    return words_near(_CARD_RE, lower, start, end, 60, 20)
