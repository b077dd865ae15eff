"""Context around a requisite: the amount and currency stated near it, bank names mentioned,
and the keyword sets that decide whether a number is a payment requisite at all.

All patterns are compiled once at import and run on the lower-cased original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
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
# Words that make a phone number a payment requisite within its clause: paying *to* the number.
PHONE_PAY_WORDS = (
    "переведи", "перевод", "переводи", "перекин", "скинь", "скиньте", "скидывай", "закинь",
    "кинь", "оплат", "оплач", "плати", "платеж", "платёж", "по номеру", "на номер", "номер для",
    "к оплате", "реквизит", "kaspi", "каспи", "qiwi", "киви", "сбп", "halyk", "халык", "jusan",
    "жусан", "freedom", "фридом", "т-банк", "тинькофф", "тиньков", "сбер", "sber",
    "мобильный банк", "төле", "аудар", "нөміріне", "нөмірге", "pay", "transfer", "send",
    "деньги", "денег", "ақша", "wallet", "кошел", "только на", "только по", "only to", "only via",
    "тек қана",
)
# Words that make a phone number a contact (call the courier, write to the operator).
CONTACT_WORDS = (
    "звони", "звонит", "позвон", "связ", "контакт", "whatsapp", "ватсап", "вацап", "wa.me",
    "viber", "вайбер", "telegram", "телеграм", "оператор", "менеджер", "поддержк", "call",
    "contact", "text us", "message", "write", "пиши", "напиши", "смс", "sms", "хабарлас",
    "қоңырау", "жазыңыз", "байланыс", "диспетчер", "курьер", "courier", "driver", "водител",
    "тел.", "тел:", "по вопросам", "support", "hotline", "questions", "вопрос", "сұрақ",
)
# Cash on delivery: the number belongs to whoever takes the cash, not to a payment.
CASH_WORDS = ("наличн", "налом", "cash", "қолма-қол", "қолма қол", "при получении", "курьеру",
              "on delivery")
# "Not us, never pay to this": a warning about the number, never a requisite ("осторожно" alone
# is not one: "Осторожно: новая карта …" announces a requisite).
NEVER_WORDS = (
    "не переводи", "не оплачива", "не плати", "не отправляй", "не скидывай", "никогда не",
    "не наш", "не мы", "мошенн", "фейк", "подделк", "scam", "fake", "never pay", "never send",
    "do not pay", "don't pay", "do not send", "don't send", "not us", "not ours", "not our",
    "төлемеңіз", "аудармаңыз", "жібермеңіз", "алаяқ", "біз емес", "біздікі емес", "біздің емес",
)
CARD_WORDS = ("карт", "card", "kaspi", "каспи", "visa", "виза", "master", "мастер", "мир ", "mir ",
              "gold", "голд", "төле", "перевод", "оплат", "плати", "скинь", "кинь")

_PAYMENT_RE = re.compile(trie_regex(PAYMENT_WORDS))
_CONTACT_RE = re.compile(trie_regex(CONTACT_WORDS))
_CARD_RE = re.compile(trie_regex(CARD_WORDS))
_PHONE_PAY_RE = re.compile(trie_regex(PHONE_PAY_WORDS))
_CASH_RE = re.compile(trie_regex(CASH_WORDS))
_NEVER_RE = re.compile(trie_regex(NEVER_WORDS))
# "Вопросы по оплате: N", "по вопросам оплаты N", "questions about payment: N", "төлем бойынша
# сұрақтар: N", "скиньте чек на N": a payment word that only names the topic of a contact (or
# the receipt sent to it), never one to pay to.
_ABOUT_PAY_RE = re.compile(
    r"(?:вопрос\w*|question\w*|сұрақ\w*)\s+(?:по\s+|об?\s+|about\s+|on\s+|regarding\s+|re\s+)?"
    r"(?:the\s+|your\s+)?(?:оплат|плат[её]ж|payment|pay|төлем|перевод)\w*"
    r"|(?:по\s+вопросам|for\s+questions\s+(?:about|on))\s+(?:оплат|payment|перевод)\w*"
    r"|төлем\s+(?:бойынша|туралы)\s+сұрақ\w*"
    # "скиньте чек на N", "send the receipt to N": where the receipt goes (a contact only
    # before the number: "скиньте деньги на N и пришлите чек" pays to N)
    r"|(?P<receipt>(?:скин|скидыв|кин|отправ|пришл|присыл|send|жібер)\w*\s+(?:нам\s+|us\s+|the\s+|your\s+)?"
    r"(?:чек|скрин|квитанц|receipt|screenshot|түбіртек)\w*"
    r"|(?:чек|скрин|квитанц|receipt|screenshot|түбіртек)\w*\s+(?:скин|скидыв|кин|отправ|пришл|присыл|send|жібер)\w*)")
# Every _ABOUT_PAY_RE match holds one of these (the pattern runs only where one occurs).
_ABOUT_STEMS = ("вопрос", "question", "сұрақ", "чек", "скрин", "квитанц", "receipt", "screenshot",
                "түбіртек")

# ---------------------------------------------------------------- identifiers (per value)

# Keywords that name an identifier (order, ticket, tracking, receipt, ID numbers); a number is
# that identifier only when such a label chain ends right before it ("Номер заказа: N",
# "Order ID #N", "Трек-номер N", "Тапсырыс нөмірі N"), never because the word is nearby.
ID_KEYWORDS = (
    "заказ", "order", "трек", "track", "отслеж", "накладн", "отправлени", "посылк", "квитанц",
    "тикет", "ticket", "заявк", "обращени", "иин", "жсн", "бин", "бсн", "инн", "огрн", "кпп",
    "бик", "invoice", "инвойс", "чек", "receipt", "артикул", "штрихкод", "barcode", "imei",
    "iccid", "id", "айди", "идентификатор", "тапсырыс", "түбіртек", "өтінім", "ref", "reference",
    "транзакц", "txid", "tx", "hash", "timestamp", "unix", "время", "договор", "contract",
    "операци", "shipment", "parcel", "case", "ttn", "ттн", "sku", "серийн", "serial",
)
_ID_LABEL_WORDS = ("номер", "number", "нөмір", "num", "no", "nr", "код", "code")
# Words that make the identifier a complement of a payment word ("реквизиты вашего заказа",
# "оплата заказа", "payment for order"): then the label does not name the number after it.
_ID_GOVERNORS = ("реквизит", "оплат", "оплач", "плат", "карт", "счет", "счёт", "перевод",
                 "переведи", "payment", "pay", "details", "card", "төле", "деректеме", "аудар")
_ID_FILLERS = ("вашего", "вашему", "вашей", "вашу", "ваш", "вашим", "своего", "нашего", "для",
               "по", "за", "your", "the", "for", "of", "сіздің")
# Matched on the reversed text before a number: separators, then one word (reversed) or mark.
_REV_WORD_RE = re.compile(r"[^\w#№]*([^\W\d_]+|[#№])")
_DIRECT_MARKS = frozenset({"#", "№", "no", "id"})
_ID_AFTER_RE = re.compile(r"[\s\-–—:(,]*(?:это\s+|is\s+)?(?:ваш\w*\s+|your\s+|the\s+)?(?:номер|№|number|id)\s*(?:ваш\w*\s+|your\s+)?"
                          r"(?:заказа|order|трека|отслеживания|накладной|посылки|отправления|тапсырыс)")
_ID_KW_RE = re.compile(trie_regex(ID_KEYWORDS))
_ID_LABEL_RE = re.compile(trie_regex(_ID_LABEL_WORDS[:3]))
_GOVERNOR_RE = re.compile(trie_regex(_ID_GOVERNORS))
_ID_WORD_NEAR_RE = re.compile(trie_regex(ID_KEYWORDS))


def id_labeled(lower: str, start: int, end: int) -> bool:
    """True when the number at [start, end) is itself an order/ticket/tracking/ID number: a
    label chain ("номер заказа:", "order id #", "трек-номер") ends right before it and is not the
    complement of a payment word, or "— номер заказа" follows it."""
    if _ID_AFTER_RE.match(lower, end, min(len(lower), end + 40)):
        return True
    if not _ID_KW_RE.search(lower, max(0, start - 60), start):
        return False  # no word before it can begin with an identifier keyword
    rev = lower[max(0, start - 60) : start][::-1]
    pos = 0
    has_kw = False
    direct = False
    for k in range(6):
        m = _REV_WORD_RE.match(rev, pos)
        if m is None:
            break
        word = m.group(1)[::-1]
        if k == 0 and word in _DIRECT_MARKS:
            direct = True
        if word in ("#", "№") or word in _ID_LABEL_WORDS or _ID_LABEL_RE.match(word):
            pos = m.end()
            continue
        if (len(word) > 2 or word in ("id", "tx")) and _ID_KW_RE.match(word):
            has_kw = True
            pos = m.end()
            continue
        break
    if not has_kw:
        return False
    for _ in range(3):  # the word before the chain: does a payment word govern it?
        m = _REV_WORD_RE.match(rev, pos)
        if m is None:
            return True
        word = m.group(1)[::-1]
        if word in _ID_FILLERS:
            pos = m.end()
            continue
        return direct or not _GOVERNOR_RE.match(word)
    return True


# Clause bounds: a line break, "!", "?" or ";", or a dot or comma followed by a space or line
# break (one character each, so that ".\n" counts at both of its characters).
_BOUND_RE = re.compile(r"[\n!?;]|[.,](?=[ \n])")


def clause(lower: str, start: int, end: int) -> tuple[int, int]:
    """The clause holding [start, end): up to the nearest line break, sentence end, semicolon
    or comma followed by a space (a dot or comma inside a number does not end it); at most 160
    characters each side."""
    lo = max(0, start - 160)
    left = lo
    for m in _BOUND_RE.finditer(lower, lo, start + 1):  # the clause starts after the last one
        if m.start() < start:
            left = m.start() + 1
    hi = min(len(lower), end + 160)
    after = _BOUND_RE.search(lower, end, hi + 1)
    right = after.start() if after is not None and after.start() < hi else hi
    if len(lower) > end and lower[-1] in ".," and hi == len(lower):
        right = min(right, len(lower) - 1)
    return left, right


def has_warning(lower: str) -> bool:
    """Whether the text holds any warning word at all (then `warned` decides per requisite)."""
    return _NEVER_RE.search(lower) is not None


def warned(lower: str, start: int, end: int) -> bool:
    """True when the requisite's clause warns against paying to it ("не переводите", "not us")."""
    lo, hi = clause(lower, start, end)
    return _NEVER_RE.search(lower, lo, hi) is not None


def _nearest(hits: Iterable[re.Match[str]], start: int, end: int,
             inside: Sequence[tuple[int, int]] = ()) -> int | None:
    """Distance from [start, end) to the nearest of the keyword `hits` that does not overlap the
    span and lies inside none of the `inside` spans; None without one."""
    best = None
    for m in hits:
        if inside and any(s <= m.start() and m.end() <= e for s, e in inside):
            continue
        if m.end() <= start:
            d = start - m.end()
        elif m.start() >= end:
            d = m.start() - end
        else:
            continue
        best = d if best is None or d < best else best
    return best


def phone_decision(lower: str, start: int, end: int) -> tuple[bool | None, list[str]]:
    """Whether the phone at [start, end) is given to pay to (True) or as a contact, for cash or
    in a warning (False). Its own clause decides: a warning there rejects it, else the nearer of
    payment words and contact/cash words wins; when its clause says nothing, the clause before
    it, then the one after, decide the same way; None when none of them says anything. Also
    returns the payment words that decided it."""
    lo, hi = clause(lower, start, end)
    if _NEVER_RE.search(lower, lo, hi):
        return False, []
    for k in range(3):  # its clause, the one before, the one after (bounds found when needed)
        if k == 0:
            a, b = lo, hi
        elif k == 1:
            if lo <= 1:
                continue
            a, b = clause(lower, lo - 2, lo - 1)
        else:
            if hi + 1 >= len(lower):
                continue
            a, b = clause(lower, hi + 1, hi + 2)
        if k and _NEVER_RE.search(lower, a, b):
            return False, []
        topics = list(_ABOUT_PAY_RE.finditer(lower, a, b)) \
            if any(lower.find(w, a, b) >= 0 for w in _ABOUT_STEMS) else []
        about = [m.span() for m in topics]
        pays = list(_PHONE_PAY_RE.finditer(lower, a, b))
        pay = _nearest(pays, start, end, about) if pays else None
        contact = _nearest(_CONTACT_RE.finditer(lower, a, b), start, end)
        for m in topics:  # the topic of a contact is a contact word
            s, e = m.span()
            d = start - e if e <= start else None if m.group("receipt") else s - end if s >= end else None
            if d is not None and (contact is None or d < contact):
                contact = d
        cash = _nearest(_CASH_RE.finditer(lower, a, b), start, end)
        if cash is not None and (contact is None or cash < contact):
            contact = cash
        if pay is None and contact is None:
            continue
        if contact is not None and (pay is None or contact < pay):
            return False, []
        return True, sorted({m.group(0) for m in pays})
    return None, []


def speaks_of_payment(lower: str) -> bool:
    """Whether a text (an image's OCR text, say) has any phone-payment word."""
    return _PHONE_PAY_RE.search(lower) is not None


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
_BANK_RE = re.compile(trie_regex(BANK_NAMES))  # greedy: the longest name at each position

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
_NUM_TAIL_CHARS = frozenset(" \u00a0\u202f'’,.кkтысяч")  # what _NUM_BEFORE_RE matches, but digits and spaces


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
        # The number before the currency is made of digits, spaces, separators and "к"/"тыс":
        # search only the tail of such characters (the same match, without trying each start).
        lo, k = max(0, m.start() - 40), m.start()
        while k > lo and (text[k - 1] in _NUM_TAIL_CHARS or text[k - 1].isdecimal() or text[k - 1].isspace()):
            k -= 1
        before = _NUM_BEFORE_RE.search(text, k, m.start()) if k < m.start() else None
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


def card_words(lower: str, start: int, end: int) -> list[tuple[str, int]]:
    """Card keywords near a digit run."""
    return words_near(_CARD_RE, lower, start, end, 60, 20)
