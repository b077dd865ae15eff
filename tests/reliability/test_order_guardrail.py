"""The crawler never completes an order or a booking with anyone: the guardrail refuses every
press that would place one on the shipped look-alikes (pizza, flowers, bank, news) and on every
scenario shop, while every step a shop's walk to its payment details needs stays allowed; and a
real crawl of the look-alikes with the shipped classifiers never gets "order accepted"."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from prokai.crawl.guardrails import Action, ActionKind, Guardrails, order_placed
from prokai.crawl.rehearsal import SCENARIOS, entry_targets
from prokai.intake.buttons import Button, ButtonKind
from prokai.sandbox.shops.loader import load_folder

pytestmark = pytest.mark.timeout(240)

GUARD = Guardrails()


def _presses(screen: Any) -> list[tuple[str, str]]:
    """Every (button label, screen it leads to) of one scenario screen."""
    out: list[tuple[str, str]] = [(b.text, b.go) for row in screen.buttons for b in row if b.go]
    if screen.choose is not None:
        for opt in screen.choose.options:
            label, go = (opt, None) if isinstance(opt, str) else (opt.text, opt.go)
            out.append((label, go or screen.choose.next))
    return out


def _allowed(screen: str, label: str) -> bool:
    return GUARD.check(Action(ActionKind.PRESS, text=screen, button=Button(label, ButtonKind.CALLBACK, 0, 0))).allowed


def _reachable(bot: Any) -> set[str]:
    """The screens a crawler can reach from the start pressing only what the guardrail allows."""
    commands = [(cmd, go) for cmd, go in bot.commands.items()]
    seen, todo = {bot.start}, [bot.start]
    while todo:
        screen = bot.screens[todo.pop()]
        typed = [("5000", screen.input.next)] if screen.input is not None else []  # an amount typed in
        for label, go in _presses(screen) + typed + commands:
            if go in bot.screens and go not in seen and _allowed(screen.text, label):
                seen.add(go)
                todo.append(go)
    return seen


SCENARIO_LIST = [sc for sc in load_folder(SCENARIOS) if sc.spec.bot is not None]


@pytest.mark.parametrize("scenario", SCENARIO_LIST, ids=lambda sc: sc.id)
def test_no_order_is_reachable_and_every_payment_step_is(scenario: Any) -> None:
    bot = scenario.spec.bot
    reachable = _reachable(bot)
    placed = [name for name in reachable if order_placed(bot.screens[name].text)]
    assert not placed, f"{scenario.id}: the guardrail lets the crawler reach {placed}"
    if scenario.is_shop:
        payments = {name for name, screen in bot.screens.items() if screen.payment is not None}
        assert payments <= reachable, f"{scenario.id}: payment steps {payments - reachable} cut off"


def test_the_look_alikes_do_place_orders_without_the_guardrail() -> None:
    """The probe is real: pressing everything would reach "order accepted" on pizza and flowers."""
    by_id = {sc.id: sc.spec.bot for sc in SCENARIO_LIST}
    for sid in ("pizza-almaty", "flowers-astana"):
        assert any(order_placed(screen.text) for screen in by_id[sid].screens.values())


@pytest.mark.parametrize("label", [
    "Подтвердить заказ", "✅ Оформить", "Оформить заказ", "Заказать", "Забронировать столик", "Checkout",
    "Place order", "Confirm order", "Book now", "Тапсырысты растау", "Тапсырыс беру", "💵 Наличными курьеру",
    "Оплата при получении", "Cash on delivery", "Қолма-қол курьерге",
])
def test_order_buttons_are_refused_anywhere(label: str) -> None:
    assert not _allowed("Меню", label)


def test_confirming_an_order_is_refused_unless_a_transfer_comes_first() -> None:
    assert not _allowed("Ваш заказ: Пепперони 30 см. Всё верно?", "✅ Да")
    assert not _allowed("Your order: 2 pizzas. Confirm?", "Confirm")
    assert not _allowed("Тапсырысыңыз: гүлдер. Растайсыз ба?", "Иә")
    assert not _allowed("Ваш заказ: 1 г. Оплата только Kaspi, или наличными курьеру. Подтверждаете?", "Подтвердить")
    # a prepaid shop's confirmation leads to its payment details: nothing is ordered until paid
    assert _allowed("Ваш заказ: Снег 1г.\nСумма: 28 000 ₸\nОплата только Kaspi. Подтверждаете?", "✅ Подтвердить")
    assert _allowed("Выберите город:", "Алматы")


def test_crawling_the_look_alikes_never_places_an_order(tmp_path: Path) -> None:
    from prokai.config import Settings
    from prokai.crawl.campaigns import create_campaign
    from prokai.crawl.models import load_model
    from prokai.crawl.rehearsal import REHEARSAL_BUDGET, rehearsal
    from prokai.crawl.runner import CampaignRunner
    from prokai.intake.targets import parse_targets
    from prokai.store.db import Database
    from prokai.store.migrate import upgrade

    look_alikes = [sc for sc in load_folder(SCENARIOS) if not sc.is_shop]
    assert {sc.id for sc in look_alikes} >= {"pizza-almaty", "flowers-astana"}
    url = f"sqlite:///{tmp_path}/crawl.db"
    upgrade(url)
    db = Database(url)

    async def body() -> list[Any]:
        async with rehearsal(db, accounts=2, scenarios=look_alikes) as rh:
            specs, _ = parse_targets(entry_targets(rh.scenarios))
            campaign_id, _ = create_campaign(db, "CASE-ORD", "look-alikes", specs, actor="test")
            runner = CampaignRunner(db, rh.provider, load_model(Settings()), city="Алматы", budget=REHEARSAL_BUDGET,
                                    max_depth=0, concurrency=2, pacer=rh.pacer)
            await runner.run(campaign_id)
            return list(rh.shops.sent)

    sent = asyncio.run(asyncio.wait_for(body(), 200))
    assert sent, "the crawler talked to nobody"
    placed = [(m.scenario, m.text) for m in sent if order_placed(m.text)]
    assert not placed, f"orders placed: {placed}"
