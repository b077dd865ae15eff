"""Cards (masks, timestamps, order/tracking numbers, BIN data), phones in payment context only,
IBAN banks, amounts and currencies."""

from __future__ import annotations

import pickle
import random

import pytest

from prokai.extract import extract
from prokai.extract.bins import BINS_CSV, load_smartbindb, lookup
from prokai.extract.context import amounts


def kinds(text: str) -> list[tuple[str, str]]:
    return [(f.kind, f.value) for f in extract(text)]


def test_kaspi_card_with_bank_amount_and_span() -> None:
    text = "Оплата на Kaspi Gold 4400 4301 2345 6789, сумма 25 000 ₸, у вас 30 минут"
    [f] = extract(text)
    assert (f.kind, f.value, f.brand, f.bank, f.country) == ("card", "4400430123456789", "visa", "Kaspi Bank", "KZ")
    assert text[f.start : f.end] == "4400 4301 2345 6789"
    assert (f.amount, f.currency) == (25000.0, "KZT")
    assert f.checksum == "luhn" and "kaspi" in f.context


@pytest.mark.parametrize("text", [
    "карта 4400 43** **** 6789",
    "карта 4400 43XX XXXX 6789",
    "карта 4400••••••••6789",
    "Visa **** **** **** 6789",
    "оплачено картой 440043******6789",
])
def test_masked_numbers_are_not_requisites(text: str) -> None:
    assert kinds(text) == []


def test_random_millisecond_timestamps_produce_no_card() -> None:
    rnd = random.Random(4)
    texts = [str(rnd.randrange(1_000_000_000_000, 2_000_000_000_000)) for _ in range(10_000)]
    assert all(len(t) == 13 for t in texts)
    assert [t for t in texts if extract(t)] == []
    assert [t for t in texts if extract(f"создано {t} мс")] == []


@pytest.mark.parametrize("text", [
    "Номер заказа 4400430123456789",
    "Ваш заказ №5555555555554444 оформлен",
    "Трек-номер 4111111111111111 для отслеживания",
    "Order ID: 4242424242424242",
    "ИИН 4000056655665556",
])
def test_luhn_passing_order_and_tracking_numbers_rejected(text: str) -> None:
    assert kinds(text) == []


def test_card_next_to_phone_and_amount_does_not_bleed() -> None:
    text = "Сумма 25000 тг +7 777 123 45 67 4400 4301 2345 6789"
    assert ("card", "4400430123456789") in kinds(text)


def test_bin_lookup_kazakh_and_russian_banks() -> None:
    assert lookup("4400430000000000").bank == "Kaspi Bank"  # type: ignore[union-attr]
    assert lookup("4003030000000000").bank == "Halyk Bank"  # type: ignore[union-attr]
    assert lookup("5395450000000000").bank == "Jusan Bank"  # type: ignore[union-attr]
    assert lookup("2200700000000000").bank == "T-Bank"  # type: ignore[union-attr]
    head = BINS_CSV.read_text(encoding="utf-8").splitlines()[0]
    assert head == "bin,brand,type,issuer,bank,country"


def test_bin_data_reader_refuses_pickled_code() -> None:
    class Evil:
        def __reduce__(self) -> tuple[object, tuple[str]]:
            return (print, ("pwned",))

    with pytest.raises(pickle.UnpicklingError):
        load_smartbindb(pickle.dumps({"country_data": Evil()}))
    assert load_smartbindb(pickle.dumps({"country_data": {}}))["country_data"] == {}


@pytest.mark.parametrize("text", [
    "Переведите по номеру +7 777 123 45 67 (Kaspi перевод)",
    "Kaspi перевод на 87071234567, 5000 тг",
    "Төлем нөмірге: +7 701 234 56 78",
    "оплата через СБП по номеру +7 916 123-45-67",
])
def test_phone_in_payment_context(text: str) -> None:
    found = extract(text)
    assert [f.kind for f in found] == ["phone"]
    assert found[0].value.startswith("+7") and len(found[0].value) == 12
    assert found[0].checksum == "e164"


@pytest.mark.parametrize("text", [
    "Для связи звоните +7 777 123 45 67",
    "Оператор в WhatsApp: +7 701 234 56 78",
    "Мой номер 87071234567",
])
def test_contact_phone_is_not_a_requisite(text: str) -> None:
    assert kinds(text) == []


def test_kz_iban_bank_and_currency() -> None:
    [f] = extract("Перевод на счёт KZ86 125K ZT50 0410 0100, 150 $")
    assert (f.kind, f.value, f.country) == ("iban", "KZ86125KZT5004100100", "KZ")
    assert (f.amount, f.currency) == (150.0, "USD")


@pytest.mark.parametrize(("text", "value", "currency"), [
    ("25 000 ₸", 25000.0, "KZT"), ("150 $", 150.0, "USD"), ("$150", 150.0, "USD"),
    ("0.002 BTC", 0.002, "BTC"), ("300 USDT", 300.0, "USDT"), ("5к руб", 5000.0, "RUB"),
    ("1 500,50 тг", 1500.5, "KZT"),
])
def test_amounts(text: str, value: float, currency: str) -> None:
    [a] = amounts(text.lower())
    assert (a.value, a.currency) == (value, currency)


def test_wallets_in_shop_phrasing() -> None:
    text = ("Оплата USDT (TRC20) на TJCnKsPa7y5okkXvQAidZBzqx3QyQ6sxMW — 300 USDT, "
            "или BTC bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4 0.002 BTC")
    found = extract(text)
    assert [(f.kind, f.amount, f.currency) for f in found] == [("trx", 300.0, "USDT"), ("btc", 0.002, "BTC")]
