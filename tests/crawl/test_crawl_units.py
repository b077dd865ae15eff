"""Pure parts of the crawler, table-driven: target parsing, guardrails, captcha solvers, the
menu explorer, the operator policy."""

from __future__ import annotations

import pytest

from prokai.crawl.captcha import solve, solve_arithmetic, solve_press
from prokai.crawl.explorer import Memory, choose
from prokai.crawl.guardrails import Action, ActionKind, Guardrails, forbidden_reason
from prokai.crawl.methods import Method
from prokai.crawl.policy import OperatorPolicy, all_phrases, language_of
from prokai.intake.buttons import Button, ButtonKind
from prokai.intake.targets import (
    TargetKind,
    TargetParseError,
    find_target_mentions,
    parse_target,
    parse_targets,
)


def cb(text: str, row: int = 0, col: int = 0) -> Button:
    return Button(text, ButtonKind.CALLBACK, row, col, data=text.encode())


@pytest.mark.parametrize(
    ("line", "kind", "value", "start"),
    [
        ("@Kristall_Almaty_Bot", TargetKind.USERNAME, "kristall_almaty_bot", None),
        ("kristall_almaty_bot", TargetKind.USERNAME, "kristall_almaty_bot", None),
        ("https://t.me/shop_bot?start=ref42", TargetKind.USERNAME, "shop_bot", "ref42"),
        ("t.me/s/vitrina_kz", TargetKind.USERNAME, "vitrina_kz", None),
        ("t.me/vitrina_kz/125", TargetKind.USERNAME, "vitrina_kz", None),
        ("tg://resolve?domain=oper_almaty", TargetKind.USERNAME, "oper_almaty", None),
        ("https://t.me/+AbCdEf123456", TargetKind.INVITE, "AbCdEf123456", None),
        ("+7 701 123 45 67", TargetKind.PHONE, "+77011234567", None),
        ("8 (701) 123-45-67", TargetKind.PHONE, "+77011234567", None),
    ],
)
def test_parse_target(line: str, kind: TargetKind, value: str, start: str | None) -> None:
    spec = parse_target(line)
    assert (spec.kind, spec.value, spec.start_param) == (kind, value, start)


@pytest.mark.parametrize("line", ["", "hello world", "@ab", "+7 000", "https://example.com/shop"])
def test_bad_targets(line: str) -> None:
    with pytest.raises(TargetParseError):
        parse_target(line)


def test_parse_targets_dedupes_and_reports_lines() -> None:
    specs, errors = parse_targets(["@shop_bot", "# a comment", "t.me/Shop_Bot", "", "nonsense here", "+77011234567"])
    assert [s.value for s in specs] == ["shop_bot", "+77011234567"]
    assert errors == ["line 5: 'nonsense here': expected @username, a t.me link, a bot name or a phone number"]


def test_mentions_in_posts() -> None:
    text = "Новый бот: @new_shop_bot, резерв https://t.me/reserve_bot, почта info@mail.kz"
    assert {s.value for s in find_target_mentions(text)} == {"new_shop_bot", "reserve_bot"}


@pytest.mark.parametrize(
    "label",
    ["✅ Я оплатил", "Оплатил", "Подтвердить оплату", "Проверить оплату", "Я перевёл", "Отправить чек",
     "Төледім", "I have paid", "💼 Работа", "Вакансии", "Стать курьером", "Отправить геолокацию",
     "Поделиться номером"],
)
def test_forbidden_buttons(label: str) -> None:
    assert forbidden_reason(label)
    verdict = Guardrails().check(Action(ActionKind.PRESS, button=cb(label)))
    assert not verdict.allowed and verdict.reason


@pytest.mark.parametrize("label", ["Алматы", "💳 Карта", "₿ Bitcoin", "1 г — 25 000 ₸", "Пополнить баланс",
                                   "🛒 Каталог", "Доставка курьером"])
def test_allowed_buttons(label: str) -> None:
    assert Guardrails().check(Action(ActionKind.PRESS, button=cb(label))).allowed


def test_guardrails_never_allow_media_contacts_locations_links_or_channel_writes() -> None:
    guard = Guardrails(all_phrases("Алматы"))
    for kind in (ActionKind.SEND_MEDIA, ActionKind.SEND_CONTACT, ActionKind.SEND_LOCATION, ActionKind.OPEN_URL,
                 ActionKind.PAY):
        assert not guard.check(Action(kind)).allowed
    link = Button("Наш канал", ButtonKind.URL, 0, 0, url="https://t.me/x")
    assert not guard.check(Action(ActionKind.PRESS, button=link)).allowed
    assert not guard.check(Action(ActionKind.SEND_TEXT, text="Алматы", peer_is_channel=True)).allowed
    assert guard.check(Action(ActionKind.READ, peer_is_channel=True)).allowed


def test_only_policy_phrases_are_said() -> None:
    guard = Guardrails(all_phrases("Алматы"))
    assert guard.check(Action(ActionKind.SEND_TEXT, text="Алматы")).allowed
    assert guard.check(Action(ActionKind.SEND_TEXT, text="Что есть и почём?")).allowed
    assert not guard.check(Action(ActionKind.SEND_TEXT, text="Привет, я из полиции")).allowed
    assert not guard.check(Action(ActionKind.SEND_TEXT, text="Я оплатил", ), derived=True).allowed
    assert guard.check(Action(ActionKind.SEND_TEXT, text="12"), derived=True).allowed


@pytest.mark.parametrize(
    ("text", "answer"),
    [
        ("Капча: 7 + 5 = ?", "12"),
        ("Решите пример 15 - 8", "7"),
        ("Сколько будет 6 × 7?", "42"),
        ("18 : 3 = ?", "6"),
        ("Сколько будет семь плюс пять?", "12"),
        ("двадцать три минус три равно?", "20"),
        ("🤖 Роботқа тексеру. алты алу төрт неше болады?", "2"),
        ("жеті қосу бес", "12"),
        ("What is four plus nine?", "13"),
    ],
)
def test_arithmetic_captchas(text: str, answer: str) -> None:
    solution = solve_arithmetic(text)
    assert solution is not None and solution.answer == answer


def test_press_the_object_captchas() -> None:
    buttons = [cb("🍌", 0, 0), cb("🍎", 0, 1), cb("🍒", 0, 2)]
    for text in ("Нажмите на 🍎", "Выберите яблоко", "Алманы басыңыз", "Press the apple"):
        solution = solve_press(text, buttons)
        assert solution is not None and solution.button is not None and solution.button.text == "🍎", text
    words = [cb("Банан"), cb("Вишня"), cb("Яблоко")]
    solution = solve_press("Нажмите на вишню", words)
    assert solution is not None and solution.answer == "Вишня"


def test_arithmetic_answer_pressed_when_offered_as_buttons() -> None:
    solution = solve("7 + 5 = ?", [cb("11"), cb("12"), cb("13")])
    assert solution is not None and solution.button is not None and solution.button.text == "12"


def test_unsolvable_captcha_gives_none() -> None:
    assert solve("Введите слово с картинки", [], None) is None


def test_explorer_steers_to_the_region_the_cheapest_and_payment() -> None:
    memory = Memory()
    city = choose("choose_city", "Выберите город", [cb("Астана"), cb("Алматы", 0, 1), cb("Назад", 1, 0)],
                  memory, "Алматы")
    assert city is not None and city.text == "Алматы"
    product = choose("choose_amount", "Фасовка", [cb("2 г — 45 000 ₸"), cb("0.5 г — 15 000 ₸", 1), cb("1 г — 25 000 ₸", 2)],
                     memory, "Алматы")
    assert product is not None and product.text == "0.5 г — 15 000 ₸"
    pay = [cb("💳 Карта"), cb("₿ BTC", 0, 1), cb("✅ Я оплатил", 1, 0)]
    first = choose("choose_payment", "Способ оплаты", pay, memory, "Алматы")
    assert first is not None and first.text == "💳 Карта"
    memory.harvested(Method("card"))
    second = choose("choose_payment", "Способ оплаты", pay, memory, "Алматы")
    assert second is not None and second.text == "₿ BTC"


def test_explorer_never_offers_forbidden_or_link_buttons() -> None:
    buttons = [cb("✅ Я оплатил"), Button("Канал", ButtonKind.URL, 0, 1, url="https://t.me/x")]
    assert choose("wait_confirm", "Ожидайте", buttons, Memory(), "Алматы") is None


def test_operator_policy_climbs_to_payment_and_stops() -> None:
    policy = OperatorPolicy("Алматы")
    assert policy.reply("choose_city", "Какой город?") == "Алматы"
    assert policy.reply("choose_district", "Какой район?") == "Любой район. Что есть и почём?"
    assert "Куда оплатить" in (policy.reply("choose_amount", "1г 25к, 2г 45к. Сколько?") or "")
    assert policy.reply("payment_details", "Карта 4400 ...", got_requisites=True, want_other_payment=True)
    assert policy.reply("payment_details", "Карта 4400 ...", got_requisites=True) is None
    assert policy.reply("refusal_ban", "Ты мент? Бан.") is None


def test_operator_policy_speaks_kazakh_to_kazakh() -> None:
    assert language_of("Қай қала?") == "kk"
    policy = OperatorPolicy("Алматы")
    assert policy.reply("choose_district", "Алматының қай ауданы?") == "Кез келген аудан. Не бар, бағасы қанша?"


def test_image_captcha_is_read_per_glyph() -> None:
    """Distorted-text captchas as the sandbox shops draw them: some are read exactly; an
    unreadable picture gives a clean 'no solution', never a crash."""
    import random

    from prokai.crawl.captcha import solve_image
    from prokai.sandbox.shops.render import captcha_image

    rng = random.Random(4)
    alphabet = "ABCDEFGHJKLMNPRSTUVWXYZ23456789"
    exact = 0
    for _ in range(6):
        text = "".join(rng.choice(alphabet) for _ in range(5))
        solution = solve_image(captcha_image(text, rng.getrandbits(32)).data)
        exact += bool(solution and solution.answer == text)
    assert exact >= 1
    assert solve_image(b"not an image") is None


@pytest.mark.parametrize(
    ("text", "refusal"),
    [("⛔ Подозрительная активность. Доступ закрыт.", True), ("Вы забанены", True), ("Бан!", True),
     ("Магазин закрыт.", True), ("Банк Kaspi", False), ("Банан 🍌", False), ("Костанай: в наличии", False)],
)
def test_refusal_needs_the_words_of_a_ban(text: str, refusal: bool) -> None:
    from prokai.crawl.engine import _looks_like_refusal

    assert _looks_like_refusal(text) is refusal


def test_progress_bar_sums_the_campaigns_of_a_sweep() -> None:
    """The CLI's bar: done / total summed over campaigns (a sweep runs one per source), the
    outcomes in a fixed order, unknown ones after them."""
    from rich.progress import Progress

    from prokai.crawl.commands import CrawlProgress, describe
    from prokai.crawl.runner import ProgressEvent

    assert describe("sweep", {}) == "sweep"
    assert describe("sweep", {"dead": 1, "zzz": 2, "requisites": 3, "error": 0}) == "sweep: requisites 3 · dead 1 · zzz 2"
    progress = Progress(disable=True)
    bar = CrawlProgress(progress, "sweep")
    bar(ProgressEvent(7, 0, 2, {}))
    bar(ProgressEvent(7, 2, 2, {"requisites": 1, "dead": 1}))
    bar(ProgressEvent(8, 0, 3, {}))
    bar(ProgressEvent(8, 1, 4, {"requisites": 1}))
    task = progress.tasks[0]
    assert (task.completed, task.total) == (3, 6)
    assert task.description == "sweep: requisites 2 · dead 1"
