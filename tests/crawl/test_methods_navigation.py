"""Payment methods and navigation by state: the method behind a label (Kaspi transfer by phone
is not a Kaspi card), screen fingerprints that survive edits and /start, and a real sandbox shop
with three methods, pagination and a sold-out item, harvested in one conversation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from prokai.crawl.explorer import Memory, choose, is_pager, screen_key
from prokai.crawl.methods import Method, method_of, method_of_requisite
from prokai.intake.buttons import Button, ButtonKind

pytestmark = pytest.mark.timeout(200)

HERE = Path(__file__).resolve().parent


def cb(text: str, row: int = 0, col: int = 0) -> Button:
    return Button(text, ButtonKind.CALLBACK, row, col, data=text.encode())


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("📱 Kaspi перевод по номеру", "phone/kaspi"),
        ("Kaspi Gold (карта)", "card/kaspi"),
        ("💳 Карта Halyk", "card/halyk"),
        ("Перевод на номер телефона Halyk", "phone/halyk"),
        ("Телефон нөміріне аудару", "phone"),
        ("Картаға аудару", "card"),
        ("IBAN (банковский перевод)", "iban"),
        ("₿ Bitcoin", "crypto/btc"),
        ("Litecoin", "crypto/ltc"),
        ("Monero XMR", "crypto/xmr"),
        ("TON", "crypto/ton"),
        ("Ethereum (ETH)", "crypto/eth"),
        ("💵 USDT TRC-20", "crypto/usdt-trc20"),
        ("USDT ERC20", "crypto/usdt-erc20"),
        ("USDT (BEP-20)", "crypto/usdt-bep20"),
        ("Pay by card", "card"),
    ],
)
def test_method_behind_each_label(label: str, key: str) -> None:
    method = method_of(label)
    assert method is not None and method.key == key


@pytest.mark.parametrize("label", ["✅ Я оплатил", "🌿 Шишки 1 г — 12 000 ₸", "⬅️ Назад", "💰 Баланс"])
def test_menu_items_are_not_methods(label: str) -> None:
    assert method_of(label) is None


def test_found_requisite_names_its_method() -> None:
    from prokai.extract import extract

    [card] = extract("карта 4400 4315 8813 9985")
    assert method_of_requisite(card) == Method("card", "kaspi")
    [wallet] = extract("TQf4k2ufbi6Q1Z8i5J4VKZXWTS5gL1LbV9")
    assert method_of_requisite(wallet) == Method("crypto", "usdt-trc20")


def test_fingerprint_survives_edits_and_order_numbers() -> None:
    menu = [cb("💳 Карта"), cb("📱 Kaspi перевод", 0, 1)]
    assert screen_key("Заказ #1234. К оплате 25 000 ₸", menu) == screen_key("Заказ #9876. К оплате 25 000 ₸", menu)
    grown = [*menu, cb("₿ BTC", 1, 0)]
    assert screen_key("Способ оплаты", grown) != screen_key("Способ оплаты", menu)


@pytest.mark.parametrize("label", ["Далее", "➡️", "Ещё", "2", "стр. 3", "Next", "Келесі"])
def test_pagination_labels(label: str) -> None:
    assert is_pager(label)


def test_after_restart_the_same_menu_leads_to_the_unvisited_method() -> None:
    memory = Memory()
    city = [cb("Астана"), cb("Алматы", 0, 1)]
    pay = [cb("💳 Kaspi Gold карта"), cb("📱 Kaspi перевод по номеру", 1, 0), cb("₿ BTC", 2, 0)]
    asked = []
    for _ in range(3):  # three sweeps through the same screens, /start in between
        memory.restart()
        key = screen_key("Город", city)
        memory.arrive(key, city)
        first = choose("choose_city", "Город", city, memory, "Алматы")
        assert first is not None and first.text == "Алматы"
        memory.mark(key, first)
        key = screen_key("Способ оплаты", pay)
        memory.arrive(key, pay)
        method = choose("choose_payment", "Способ оплаты", pay, memory, "Алматы")
        assert method is not None
        asked.append(method.text)
        memory.mark(key, method)
        m = method_of(method.text)
        assert m is not None
        memory.harvested(m)
    assert asked == ["💳 Kaspi Gold карта", "📱 Kaspi перевод по номеру", "₿ BTC"]
    assert not memory.open_methods()


def test_city_on_the_second_page_and_sold_out_item() -> None:
    memory = Memory()
    page1 = [cb("Астана"), cb("Шымкент", 0, 1), cb("➡️ Далее", 1, 0)]
    assert (b := choose("choose_city", "Город", page1, memory, "Алматы")) is not None and b.text == "➡️ Далее"
    items = [cb("❌ Мука — нет в наличии"), cb("🌿 Шишки 1 г — 15 000 ₸", 1, 0)]
    assert (b := choose("choose_product", "Товар", items, memory, "Алматы")) is not None and b.text.startswith("🌿")


def test_prokai_rehearse_harvests_three_methods_pages_and_sold_out_once_each(tmp_path: Path) -> None:
    """`prokai rehearse --json` over two shops: three methods behind one menu; a city on page 2,
    a sold-out item and a colour captcha."""
    from typer.testing import CliRunner

    from prokai.cli import app

    out = CliRunner().invoke(app, ["rehearse", "--scenarios", str(HERE / "scenarios_methods"), "--accounts", "2",
                                   "--json"], env={"PROKAI_DATA_DIR": str(tmp_path)})
    assert out.exit_code == 0, out.output
    report = json.loads(out.stdout[out.stdout.index("{"):])
    by_id = {s["id"]: s for s in report["scenarios"]}
    three = by_id["test-three-methods"]
    assert three["pools_harvested"] == three["pools_offered"] == ["kaspi_card", "kaspi_phone", "usdt"]
    assert set(three["methods"]) == {"card/kaspi", "phone/kaspi", "crypto/usdt-trc20"}
    assert three["orders"] == 3, "each per-order pool is asked for once"
    pages = by_id["test-pages-soldout"]
    assert pages["pools_harvested"] == pages["pools_offered"] == ["btc", "halyk"]
    assert pages["orders"] == 2
    totals = report["totals"]
    assert totals["pool_recall"] == 1.0 and totals["guardrail_breaches"] == 0
