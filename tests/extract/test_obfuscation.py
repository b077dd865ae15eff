"""Obfuscation: each technique alone and combined, spans mapping back to what was written, and
requisites split across consecutive messages (the window API)."""

from __future__ import annotations

import pytest

from prokai.extract import extract, extract_window
from prokai.extract.normalize import normalize

CARD = "4400430123456789"
ETH = "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359"
TRX = "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW"
BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
IBAN = "KZ86125KZT5004100100"

FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
ZW = "\u200b"
RU = ["ноль", "один", "два", "три", "четыре", "пять", "шесть", "семь", "восемь", "девять"]
KK = ["нөл", "бір", "екі", "үш", "төрт", "бес", "алты", "жеті", "сегіз", "тоғыз"]
EN = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]


def words(digits: str, vocab: list[str]) -> str:
    return " ".join(vocab[int(d)] for d in digits)


TECHNIQUES = {
    "spaces": "4400 4301 2345 6789",
    "dashes": "4400-4301-2345-6789",
    "dots": "4400.4301.2345.6789",
    "bars": "4400 | 4301 | 2345 | 6789",
    "emoji": "4400🔥4301🔥2345🔥6789",
    "emoji_spaced": "4400 💳 4301 💳 2345 💳 6789",
    "zero_width": ZW.join(CARD),
    "fullwidth": CARD.translate(FULLWIDTH),
    "keycaps": "".join(d + "\ufe0f\u20e3" for d in CARD),
    "lookalike_letters": "44OO 43O1 2345 6789",
    "cyrillic_o": "44ОО 43О1 2345 6789",
    "words_ru": words(CARD, RU),
    "words_kk": words(CARD, KK),
    "words_en": words(CARD, EN),
    "words_ru_pairs": "сорок четыре ноль ноль сорок три ноль один двадцать три сорок пять шестьдесят семь восемьдесят девять",
    "newlines": "4400\n4301\n2345\n6789",
}


@pytest.mark.parametrize("name", sorted(TECHNIQUES))
def test_card_through_each_technique(name: str) -> None:
    written = TECHNIQUES[name]
    text = f"Карта для оплаты: {written} (Kaspi)"
    found = [f for f in extract(text) if f.kind == "card"]
    assert [f.value for f in found] == [CARD], name
    f = found[0]
    assert text[f.start : f.end].strip() == written.strip(), name
    assert f.method in ("pattern", "normalized", "words", "lookalike")
    if name.startswith("words"):
        assert f.method == "words"


@pytest.mark.parametrize("combo", [
    ("fullwidth", "zero_width"), ("emoji", "lookalike_letters"), ("words_ru", "spaces"),
])
def test_techniques_combined(combo: tuple[str, str]) -> None:
    a, b = combo
    half_a = TECHNIQUES[a].split()[0] if a.startswith("words") else None
    if a == "fullwidth" and b == "zero_width":
        written = ZW.join(CARD.translate(FULLWIDTH))
    elif a == "emoji":
        written = "44OO🔥43O1🔥2345🔥6789"
    else:
        assert half_a is not None
        written = words("44004301", RU) + " 2345 6789"
    text = f"перевод на карту {written}"
    assert [f.value for f in extract(text) if f.kind == "card"] == [CARD]


def test_wallets_through_obfuscation() -> None:
    cyr_trx = TRX.replace("a", "а").replace("o", "о")  # Cyrillic а, о
    assert [f.value for f in extract(f"USDT {cyr_trx}")] == [TRX]
    fw_eth = "".join(chr(ord(c) + 0xFEE0) for c in ETH)  # whole address in fullwidth
    assert [f.value for f in extract(f"ETH {fw_eth}")] == [ETH]
    zw_btc = ZW.join([BTC[:10], BTC[10:25], BTC[25:]])
    [f] = extract(f"btc {zw_btc}")
    assert f.value == BTC and f.method == "normalized"
    chunked = " ".join(BTC[i : i + 8] for i in range(0, len(BTC), 8))
    [f] = extract(f"btc: {chunked}")
    assert f.value == BTC
    greek_iban = IBAN.replace("K", "Κ")  # Greek capital kappa
    assert [f.value for f in extract(f"IBAN {greek_iban}")] == [IBAN]


def test_span_map_points_into_original() -> None:
    text = "карта: четыре четыре ноль ноль 4301 2345 6789!"
    n = normalize(text)
    assert "4 4 0 0 4301" in n.text
    [f] = extract(text)
    assert text[f.start : f.end] == "четыре четыре ноль ноль 4301 2345 6789"


def test_window_split_across_messages() -> None:
    msgs = ["Оплата Kaspi, карта 4400 4301", "2345 6789", "сумма 25 000 тг, 30 минут"]
    assert extract(msgs[0]) == [] and extract(msgs[1]) == []
    [f] = extract_window(msgs)
    assert f.value == CARD and f.method == "window" and f.message == 0
    assert f.parts == [(0, 20, 29), (1, 0, 9)]
    assert (f.amount, f.currency) == (25000.0, "KZT")


def test_window_wallet_split_in_two() -> None:
    msgs = ["USDT TRC20:", TRX[:17], TRX[17:]]
    [f] = extract_window(msgs)
    assert (f.kind, f.value, f.method) == ("trx", TRX, "window")
    assert [p[0] for p in f.parts or []] == [1, 2]


def test_window_keeps_single_message_results() -> None:
    msgs = ["BTC " + BTC, "карта 5555 5555 5555 4444"]
    found = extract_window(msgs)
    assert [(f.kind, f.message, f.method) for f in found] == [("btc", 0, "pattern"), ("card", 1, "pattern")]
