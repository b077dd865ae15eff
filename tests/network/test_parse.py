"""Holders' names and named peers, read from texts as the sandbox's scenario shops write them."""

from __future__ import annotations

import pytest

from prokai.network.parse import find_holder, find_mentions, holder_key


@pytest.mark.parametrize(("text", "value", "holder"), [
    ("Переведите 25 000 ₸ на карту:\n4400 4315 8813 9985\nПолучатель: Ержан К.\n⏳ 30 минут.", "4400 4315 8813 9985",
     "Ержан К."),
    ("Перевод на счёт KZ44722C784726714751\nПолучатель: ИП Сейткали\nСумма 30 000 ₸", "KZ44722C784726714751",
     "ИП Сейткали"),
    ("Оплатите 18 000 ₸ переводом Kaspi на номер +7 702 836 01 61 (Жанна Б.).", "+7 702 836 01 61", "Жанна Б."),
    ("4400 4388 4472 9400 картасына 25 000 ₸ аударыңыз. Алушы: Айгерім С.", "4400 4388 4472 9400", "Айгерім С."),
    ("Пополнение через перевод на счёт KZ52998C331908452059 (Jusan Bank). Сумма 5 000 ₸.", "KZ52998C331908452059", None),
    ("Оплата 14 000 ₸ на карту 4400 4364 4700 6341\n⏳ 30 мин.", "4400 4364 4700 6341", None),
])
def test_holder_as_the_shop_wrote_it(text: str, value: str, holder: str | None) -> None:
    start = text.index(value)
    assert find_holder(text, start, start + len(value)) == holder


def test_one_holder_however_it_is_spelled() -> None:
    assert holder_key("Ержан К.") == holder_key("ЕРЖАН  К") == holder_key("ёржан к.".replace("ё", "Е"))


def test_what_a_shop_says_about_the_peers_it_names() -> None:
    about = "Актуальное наличие и цены. Бот: @tsvetnoy_shop_bot | Резерв: @tsvetnoy_reserve_bot | Оператор: @tsvetnoy_operator"
    assert {(m.target, m.kind) for m in find_mentions(about)} == {
        ("tsvetnoy_shop_bot", "links_to"), ("tsvetnoy_reserve_bot", "backup_of"), ("tsvetnoy_operator", "operator")}
    notice = "❗ Старый бот заблокирован. Новый бот: @orbita_new_bot"
    assert [(m.target, m.kind) for m in find_mentions(notice)] == [("orbita_new_bot", "renamed_to")]
    news = "Полиция закрыла @kristall_bot и @luna_bot. Резерв @kristall_reserve_bot тоже."
    assert {(m.target, m.kind) for m in find_mentions(news)} == {
        ("kristall_bot", "links_to"), ("luna_bot", "links_to"), ("kristall_reserve_bot", "backup_of")}
    buttons = [{"text": "🤖 Резерв 1", "kind": "url", "url": "https://t.me/tsvetnoy_reserve_bot"},
               {"text": "👤 Оператор", "kind": "url", "url": "https://t.me/tsvetnoy_operator"},
               {"text": "Меню", "kind": "callback", "data": "00"}]
    assert {(m.target, m.kind, m.context) for m in find_mentions("", buttons)} == {
        ("tsvetnoy_reserve_bot", "backup_of", "🤖 Резерв 1"), ("tsvetnoy_operator", "operator", "👤 Оператор")}
    assert find_mentions("почта a@b.kz, звоните +7 701 000 00 00") == []
