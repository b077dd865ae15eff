"""Context decides per value: every requisite kind beside every identifier context (order,
ticket, tracking, ID) in ru/kk/en; the identifier itself is never a requisite, the requisite
next to it always is. Phones in the ways people write them and the pay-or-contact decision;
separators between digit groups; canonical forms."""

from __future__ import annotations

import pytest

from prokai.extract import extract

from .conftest import load_vectors


def got(text: str) -> set[tuple[str, str]]:
    return {(f.kind, f.value) for f in extract(text)}


TON = load_vectors("tep0002.json")
XMR = next(v for v, net, kind in load_vectors("monero.json")["valid"] if net == "main" and kind == "standard")
# (kind, value as written, canonical value)
REQUISITES = [
    ("card", "4400 4301 2345 6789", "4400430123456789"),  # Visa, Kaspi BIN
    ("card", "2200-7001-2345-6781", "2200700123456781"),  # Mir 2200, dashed
    ("card", "2201 3820 0000 0013", "2201382000000013"),  # Mir 2201 (NSPK test card)
    ("card", "2202 2012 3456 7895", "2202201234567895"),  # Mir 2202
    ("card", "2204-1234-5678-9015", "2204123456789015"),  # Mir 2204, dashed
    ("card", "2223 0031 2200 3222", "2223003122003222"),  # Mastercard 2-series
    ("card", "5536-9101-1234-5675", "5536910112345675"),  # Mastercard 5x, dashed
    ("iban", "KZ86 125K ZT50 0410 0100", "KZ86125KZT5004100100"),
    ("phone", "+7 777 123 45 67", "+77771234567"),
    ("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"),
    ("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"),
    ("trx", "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW", "TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW"),
    ("ltc", "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz", "LaMT348PWRnrqeeWArpwQPbuanpXDZGEUz"),
    ("ton", TON["bounceable"], TON["bounceable"]),
    ("ton", TON["non_bounceable"].replace("-", "+").replace("_", "/"), TON["non_bounceable"]),
    ("xmr", XMR, XMR),
    ("iban", "KZ86-125K-ZT50-0410-0100", "KZ86125KZT5004100100"),
    ("phone", "8 (701) 234-56-78", "+77012345678"),
]
# Luhn-valid, issuer-valid numbers used as the identifiers: each would be a card on its own.
ID_NUMBERS = ["4003031234567893", "5555555555554444"]
# {id}: the identifier, {x}: the requisite. Each names the identifier with a label chain and
# gives the requisite for payment in the same message.
CONTEXTS = {
    "ru": [
        "Оплата заказа №{id}: переведите на {x}",
        "Номер заказа {id}. Реквизиты для оплаты: {x}",
        "Заявка #{id} принята, оплатите на {x}",
        "Трек-номер {id}; оплата доставки на {x}",
        "ID {id} — к оплате, перевод на {x}",
        "Ваш заказ {id} ждёт оплаты, переведите на {x}",
    ],
    "kk": [
        "Тапсырыс №{id} төлемі: {x} аударыңыз",
        "Тапсырыс нөмірі {id}. Төлем: {x}",
        "Өтінім {id}, төлеу үшін аударыңыз: {x}",
        "Трек-нөмір {id}; жеткізу төлемі: {x}",
        "ID {id}, төлем {x} аударыңыз",
    ],
    "en": [
        "Payment for order #{id}: transfer to {x}",
        "Order number {id}. Pay to {x}",
        "Ticket {id}: please pay to {x}",
        "Tracking number {id}; pay for delivery to {x}",
        "ID {id} - payment, send to {x}",
    ],
}
MATRIX = [(lang, t, kind, written, value) for lang, ts in CONTEXTS.items() for t in ts
          for kind, written, value in REQUISITES]


@pytest.mark.parametrize(("lang", "template", "kind", "written", "value"), MATRIX)
def test_identifier_context_rejects_only_the_identifier(lang: str, template: str, kind: str,
                                                        written: str, value: str) -> None:
    for ident in ID_NUMBERS:
        text = template.format(id=ident, x=written)
        assert got(text) == {(kind, value)}, (lang, text)


@pytest.mark.parametrize("text", [
    "Номер заказа {id}", "Ваш заказ №{id} оформлен", "Трек-номер {id} для отслеживания",
    "Номер заявки: {id}", "ID: {id}", "ИИН {id}", "Чек № {id}", "Номер обращения {id}",
    "Тапсырыс нөмірі {id}", "Трек-нөмір: {id}", "Өтінім №{id}", "ЖСН {id}",
    "Order ID: {id}", "Your order #{id} is confirmed", "Tracking number {id}", "Ticket {id}",
    "Оплата заказа №{id}", "{id} — номер вашего заказа",
])
def test_the_identifier_itself_is_not_a_requisite(text: str) -> None:
    for ident in ID_NUMBERS:
        assert got(text.format(id=ident)) == set()


@pytest.mark.parametrize("card", ["4400 4301 2345 6789", "2200-7001-2345-6781", "2204 1234 5678 9015",
                                  "2223-0031-2200-3222", "5536 9101 1234 5675"])
@pytest.mark.parametrize("template", [
    "Оплата заказа #4812, карта {c}", "Заказ №4812: {c}", "Номер заказа 4812 {c}",
    "Тапсырыс №4812, карта {c}", "Тапсырыс нөмірі 4812 {c}",
    "Order #4812 card {c}", "Order no. 4812 {c}", "Ticket 4812 — pay {c}",
    "Трек-номер RR123456789KZ, оплата на карту {c}", "ИИН 900101300123 карта {c}",
    "Заказ #5555555555554444, {c}", "Номер заказа: 5555555555554444\n{c}",
])
def test_a_short_or_luhn_valid_identifier_next_to_the_card(template: str, card: str) -> None:
    value = card.replace(" ", "").replace("-", "")
    assert got(template.format(c=card)) == {("card", value)}


def test_payment_word_governing_the_order_word_keeps_the_card() -> None:
    assert got("реквизиты вашего заказа — 4400 4301 2345 6789") == {("card", "4400430123456789")}
    assert got("Оплата заказа: 2200 7001 2345 6781") == {("card", "2200700123456781")}
    assert got("Тапсырысты төлеу: 2204 1234 5678 9015") == {("card", "2204123456789015")}


# ---------------------------------------------------------------- phones


@pytest.mark.parametrize("written", [
    "+7 777 123 45 67", "+77771234567", "87771234567", "8 777 123 45 67", "8-777-123-45-67",
    "+7 (777) 123-45-67", "8(777)1234567", "+7 77 71 23 45 67", "+7 7771 23 45 67",
    "8 7771 234 567", "+7-777-1234567", "7 777 123 4567", "777 123 45 67", "(777) 123-45-67",
    "777-123-45-67", "7771234567", "+7 777 l23 45 67", "8 777 1 2 3 4 5 6 7", "+7.777.123.45.67",
    "+7 777 123 45 6 7", "8 (777) 12-34-567",
])
def test_payment_phone_in_any_grouping(written: str) -> None:
    assert got(f"Оплата Kaspi переводом по номеру {written}") == {("phone", "+77771234567")}


@pytest.mark.parametrize(("text", "value"), [
    ("Переведите на номер восемь семьсот семь сто двадцать три сорок пять шестьдесят семь", "+77071234567"),
    ("Kaspi перевод: плюс семь девятьсот шестнадцать двести тридцать четыре пятьдесят шесть семьдесят восемь", "+79162345678"),
    ("Оплата по номеру восемь семь семь семь один два три четыре пять шесть семь", "+77771234567"),
    ("Нөмірге аударыңыз: сегіз жеті жүз жеті жүз жиырма үш қырық бес алпыс жеті", "+77071234567"),
    ("Каспиге аударыңыз: жеті жеті жүз жетпіс жеті бір жүз он бір елу бес тоқсан тоғыз", "+77771115599"),
    ("Pay by Kaspi to eight seven zero seven one two three four five six seven", "+77071234567"),
])
def test_phone_spelled_out_with_hundreds_and_tens(text: str, value: str) -> None:
    assert got(text) == {("phone", value)}


@pytest.mark.parametrize("text", [
    "Kaspi перевод 8 семь 0 1 два 3 4 5 6 7 8",
    "Переведите по номеру восемь 7 0 1 2 3 4 5 6 7 восемь",
    "Каспиге аударыңыз 8 жеті 0 1 екі 3 4 5 6 7 8",
    "Kaspi transfer to 8 seven 0 1 two 3 4 5 6 7 8",
])
def test_phone_dictated_digit_by_digit_part_in_words(text: str) -> None:
    assert got(text) == {("phone", "+77012345678")}


@pytest.mark.parametrize(("text", "value"), [
    ("Kaspi перевод по номеру: семь ноль один два три четыре пять шесть семь восемь", "+77012345678"),
    ("Каспиге аударыңыз: жеті нөл бір екі үш төрт бес алты жеті сегіз", "+77012345678"),
    ("СБП: девять один шесть один два три четыре пять шесть семь", "+79161234567"),
    ("Kaspi transfer 7 0 1 2 3 4 5 6 7 8", "+77012345678"),
])
def test_phone_without_trunk_prefix_dictated_digit_by_digit(text: str, value: str) -> None:
    assert got(text) == {("phone", value)}


def test_a_digit_word_after_a_group_of_digits_stays_a_word() -> None:
    # "один раз" after a Mir card must not become a 17th digit of it
    assert got("Карта Мир 2200 7001 2345 6781 один раз") == {("card", "2200700123456781")}
    assert got("Переведите 5 тысяч на каспи 8 701 234 56 78") == {("phone", "+77012345678")}


PAY = [
    "Переведите по номеру {x}",
    "Оплата на Kaspi {x}, сумма 5000 тг",
    "Реквизиты для оплаты:\n{x}",
    "Скиньте деньги на {x} и пришлите чек",
    "Төлем нөмірге: {x}",
    "Каспиге {x} нөміріне аударыңыз",
    "Pay via Kaspi to {x}",
    "Transfer 5000 KZT to {x}",
    "Оплата наличными или Kaspi переводом на {x}",
    "Переведите на Kaspi {x} и скиньте чек",
    "Kaspi: {x} (только переводы, звонки не принимаем)",
    "Внимание! 8 777 123 45 67 — мошенники. Оплата только на {x}",
]
NOT_PAY = [
    "Оплата на карту 4400 4301 2345 6789, курьер позвонит с {x}",
    "Переведите на карту 4400 4301 2345 6789. По вопросам звоните {x}",
    "Оплата наличными курьеру, номер курьера {x}",
    "Это не наш номер {x}, никогда не переводите на него",
    "Осторожно, мошенники! Не переводите деньги на {x}",
    "Оператор в WhatsApp: {x}",
    "Курьерге хабарласыңыз: {x}",
    "Бұл біздің нөмір емес, {x} нөміріне ақша аудармаңыз",
    "Төлем қолма-қол, курьердің нөмірі {x}",
    "Call the courier at {x}, pay by card 4400 4301 2345 6789",
    "Pay cash on delivery, driver's phone {x}",
    "Not us! Never pay to {x}",
    "Вопросы по оплате: {x}",
    "По вопросам оплаты: {x}",
    "Төлем бойынша сұрақтар: {x}",
    "Questions about payment: {x}",
    "После оплаты скиньте чек на {x}",
    "Вопросы: {x}",
    "Чекті {x} нөміріне жіберіңіз",
    "Send the receipt to {x}",
    "Kaspi перевод на 4400 4301 2345 6789. Вопросы: {x}",
]


@pytest.mark.parametrize("template", PAY)
def test_phone_to_pay_to(template: str) -> None:
    assert ("phone", "+77012345678") in got(template.format(x="+7 701 234 56 78"))


@pytest.mark.parametrize("template", NOT_PAY)
def test_phone_as_contact_cash_or_warning_is_not_a_requisite(template: str) -> None:
    assert not any(k == "phone" for k, _ in got(template.format(x="+7 701 234 56 78")))


def test_price_is_not_a_phone() -> None:
    assert got("Оплата: 7 700 000 000 ₸ за всё") == set()


# ---------------------------------------------------------------- separators and canonical forms

SEPARATORS = [" ", "-", ".", "/", "|", " | ", "•", " • ", "·", "_", "—", " – ", "\n", "\r\n", "\n\n",
              "🔥", " 👉 ", "➖", ",", ";", ":", "  ", "\t", "\u00a0", "\u202f", "*", "💳", " ✅ ", "🇰🇿",
              "\u200b", "⏺", "🇰🇿🇰🇿", " 🇰🇿 🇰🇿 ", " 👉🏻 ", "➡️", " ▪️ ", "~", "+", "\n\n\n", "💰💰💰"]


@pytest.mark.parametrize("sep", SEPARATORS)
def test_every_separator_between_card_groups(sep: str) -> None:
    card = "4400430123456789"
    written = sep.join(card[i : i + 4] for i in range(0, 16, 4))
    assert got(f"Карта для оплаты: {written}") == {("card", card)}


@pytest.mark.parametrize("sep", [" ", "-", "\n", " | ", "·", ".", " • ", " ➖ ", "🔥", "➡️", "/"])
def test_separators_in_wallets_ibans_and_phones(sep: str) -> None:
    btc = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
    assert got("BTC: " + sep.join(btc[i : i + 6] for i in range(0, len(btc), 6))) == {("btc", btc)}
    iban = "KZ86125KZT5004100100"
    assert got("IBAN: " + sep.join(iban[i : i + 4] for i in range(0, 20, 4))) == {("iban", iban)}
    phone = sep.join(["+7", "701", "234", "56", "78"])
    assert got(f"Kaspi перевод по номеру {phone}") == {("phone", "+77012345678")}


def test_keycap_digits_are_digits() -> None:
    keycaps = "".join(d + "\ufe0f\u20e3" for d in "4400430123456789")
    assert got(f"Карта {keycaps}") == {("card", "4400430123456789")}


def test_canonical_forms() -> None:
    std = TON["bounceable"].replace("-", "+").replace("_", "/")
    assert got(f"TON {std}") == {("ton", TON["bounceable"])}
    assert got(f"TON {TON['non_bounceable']}") == {("ton", TON["non_bounceable"])}
    raw = TON["raw"]
    assert got(f"TON {raw.upper().replace('-1:', '-1:')}") == {("ton", raw)}
    assert got("BTC BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4") == {
        ("btc", "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4")}
    assert got("ETH 0x5aaeb6053f3e94c9b9a09f33669435e7ef1beaed") == {
        ("eth", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed")}
    assert got("IBAN kz86 125k zt50 0410 0100") == {("iban", "KZ86125KZT5004100100")}
    assert got("IBAN: KZ 86 125K ZT50 0410 0100") == {("iban", "KZ86125KZT5004100100")}
    assert got("ИИК: K Z 8 6 1 2 5 K Z T 5 0 0 4 1 0 0 1 0 0") == {("iban", "KZ86125KZT5004100100")}
    assert got("ИИК: КZ86125КZТ5004100100 БИК CASPKZKA") == {("iban", "KZ86125KZT5004100100")}
    assert got("Kaspi перевод 8 (701) 234-56-78") == {("phone", "+77012345678")}


@pytest.mark.parametrize("text", [
    "Карта: четыре тысячи четыреста, четыре тысячи триста один, две тысячи триста сорок пять, "
    "шесть тысяч семьсот восемьдесят девять",
    "Картаға аударыңыз: төрт мың төрт жүз төрт мың үш жүз бір екі мың үш жүз қырық бес алты мың "
    "жеті жүз сексен тоғыз",
    "Card: four thousand four hundred, four thousand three hundred one, two thousand three hundred "
    "forty five, six thousand seven hundred eighty nine",
    "Карта 44ОО 43Ol 2З45 б789",
    "Карта 44OO 43O1 2З4S б789",
])
def test_card_groups_spelled_as_numbers_or_with_lookalike_letters(text: str) -> None:
    assert got(text) == {("card", "4400430123456789")}


@pytest.mark.parametrize(("text", "expected"), [
    ("Фейковый бот принимает на 4400 4301 2345 6789 — это не мы", set()),
    ("Not us: never pay to TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW", set()),
    ("Бұл біздің карта емес, 4400 4301 2345 6789 картасына төлемеңіз", set()),
    ("Осторожно: новая карта 4400 4301 2345 6789", {("card", "4400430123456789")}),
    ("Не переводите на старую карту! Новая: 4400 4301 2345 6789", {("card", "4400430123456789")}),
])
def test_a_warning_rejects_only_the_requisite_in_its_clause(text: str, expected: set[tuple[str, str]]) -> None:
    assert got(text) == expected


@pytest.mark.parametrize("sep", [" ", "\n", "  "])
def test_ton_in_chunks_from_either_alphabet(sep: str) -> None:
    v = TON["bounceable"]
    for written in (v, v.replace("-", "+").replace("_", "/")):
        chunks = sep.join(written[i : i + 8] for i in range(0, 48, 8))
        assert got(f"TON для оплаты: {chunks}") == {("ton", v)}


def test_numbers_in_links_are_phones_only_as_a_phone_parameter() -> None:
    ton = TON["non_bounceable"]
    assert got(f"ton://transfer/{ton}?amount=7000000000") == {("ton", ton)}
    assert got("Kaspi перевод https://kaspi.kz/pay?phone=87071234567") == {("phone", "+77071234567")}
    assert got("Kaspi перевод +7 700 000 00 00") == set()
