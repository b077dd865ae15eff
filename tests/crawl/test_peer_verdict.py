"""The verdict on a peer combines its text scores with what it did (`prokai.crawl.verdict`):
tables of screens as shops and their innocent twins write them, in ru, kk and en, and the rule."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import select

from prokai.crawl.campaigns import create_campaign
from prokai.crawl.models import KeywordModel
from prokai.crawl.rehearsal import REHEARSAL_BUDGET, entry_targets, rehearsal
from prokai.crawl.runner import CampaignRunner
from prokai.crawl.verdict import Behaviour, decide, keep_walking
from prokai.intake.targets import parse_targets
from prokai.sandbox.shops.loader import usernames_with_paths
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import Conversation, Shop

THRESHOLD = 0.5

# (screens as (text, button labels), the signals they show)
SCREENS: list[tuple[list[tuple[str, list[str]]], set[str]]] = [
    # shops
    ([("⚖️ Шишки АК-47\nВыберите фасовку:", ["0.5 г — 15 000 ₸", "1 г — 25 000 ₸", "2 г — 45 000 ₸"])],
     {"gram_grid"}),
    ([("📍 Алматы. Выберите район:", ["Алмалинский", "Бостандыкский", "Медеуский"])], {"districts"}),
    ([("Тип клада:", ["🧲 Магнит", "⛏ Прикоп"])], {"drop_step"}),
    ([("Қаланың ауданын таңдаңыз:", ["Алмалы ауданы", "Медеу ауданы"]),
      ("Салмағы: 1г — 20 000 ₸", [])], {"districts", "gram_grid"}),
    ([("Choose your district:", ["Downtown", "Old town"]), ("Dead drop, photo + coordinates after payment", [])],
     {"districts", "drop_step"}),
    ([("Прайс: 0,5гр - 12к, 1гр - 20к", [])], {"gram_grid"}),
    # innocent twins: tea by the 100 g, flowers and pizza to a district, a bank's branches
    ([("Пуэр Шу 100 г — 3 500 ₸, 250 г — 8 000 ₸", ["100 г", "250 г"])], set()),
    ([("💐 Куда доставить? Выберите район Астаны:", ["Есиль", "Сарыарка"])], {"districts"}),
    ([("Пицца 30 см — 3 900 ₸, 40 см — 5 200 ₸", ["30 см", "40 см"])], set()),
    ([("Наши отделения по районам города: Бостандыкский, Медеуский", [])], {"districts"}),
    ([("Витамин D3 5000 МЕ, 60 капсул — 4 500 ₸", [])], set()),
    ([("🚕 Отправьте геопозицию или координаты подачи. Район:", ["Алмалинский", "Медеуский"])], {"districts"}),
    ([("Магниты на холодильник — 1 500 ₸, доставка на склад (қойма)", [])], set()),
    ([("Кладовая, кладбище, складной стол", [])], set()),
]


@pytest.mark.parametrize(("screens", "signals"), SCREENS)
def test_signals_of_screens(screens: list[tuple[str, list[str]]], signals: set[str]) -> None:
    b = Behaviour()
    for text, labels in screens:
        b.observe(text, labels)
    assert b.signals == signals
    for signal in signals:
        assert b.evidence[signal]  # each signal carries the line that showed it


def _behaviour(*signals: str) -> Behaviour:
    b = Behaviour()
    lines = {"gram_grid": ("Фасовка", ["1 г — 10 000 ₸", "2 г — 18 000 ₸"]),
             "districts": ("Выберите район:", []),
             "drop_step": ("Клад: магнит", [])}
    for s in signals:
        if s == "requisite":
            b.requisite("card 4400430123456789")
        else:
            b.observe(*lines[s])
    assert b.signals == set(signals)
    return b


@pytest.mark.parametrize(("text", "signals", "shop"), [
    (0.9, (), True),  # the words decide when they are clear
    (0.1, ("drop_step", "requisite"), True),
    (0.1, ("drop_step", "gram_grid"), True),
    (0.1, ("requisite", "gram_grid", "districts"), True),
    (0.1, ("drop_step",), False),  # one signal never decides
    (0.1, ("requisite",), False),  # a card for pizza is no shop
    (0.1, ("districts", "requisite"), False),  # flowers to a district, paid by card
    (0.1, ("gram_grid", "requisite"), False),
    (0.1, ("gram_grid", "districts"), False),  # walked on, but not decided without a payment step
])
def test_rule(text: float, signals: tuple[str, ...], shop: bool) -> None:
    verdict = decide(text, _behaviour(*signals), THRESHOLD)
    assert verdict.shop is shop
    assert (verdict.score >= THRESHOLD) is shop
    if shop and text < THRESHOLD:
        assert all(s in verdict.reason for s in signals)


def test_keep_walking_on_a_shop_shaped_path_only() -> None:
    assert keep_walking(_behaviour("drop_step"))
    assert keep_walking(_behaviour("gram_grid", "districts"))
    assert not keep_walking(_behaviour("districts"))
    assert not keep_walking(_behaviour("gram_grid"))


def test_every_scenario_judged_by_its_steps_when_the_words_say_nothing(tmp_path: Path) -> None:
    """A text model blind to every shop (all scores 0): shops whose steps show the rule's
    signals are still recorded as shops, and no non-shop scenario is taken for one."""
    url = f"sqlite:///{tmp_path}/blind.db"
    upgrade(url)
    db = Database(url)

    class Blind(KeywordModel):
        def shop_scores(self, texts: Sequence[str]) -> list[float]:
            return [0.0 for _ in texts]

    async def body() -> dict[str, bool]:
        async with rehearsal(db, accounts=4) as rh:
            specs, errors = parse_targets(entry_targets(rh.scenarios))
            assert not errors
            campaign_id, _ = create_campaign(db, "CASE-BLIND", "blind words", specs, actor="test")
            runner = CampaignRunner(db, rh.provider, Blind(), city="Алматы", budget=REHEARSAL_BUDGET, max_depth=1,
                                    concurrency=4, pacer=rh.pacer)
            await runner.run(campaign_id)
            return {name: sc.is_shop for sc in rh.scenarios for _, name in usernames_with_paths(sc.spec)}

    is_shop = asyncio.run(asyncio.wait_for(body(), 280))
    by_steps = []
    with db.session() as s:
        for conv, shop in s.execute(select(Conversation, Shop).join(Shop, Shop.id == Conversation.shop_id)):
            signals = set(conv.state.get("signals") or [])
            decided = decide(0.0, _from_signals(signals), THRESHOLD).shop
            assert (shop.shop_score is not None and shop.shop_score >= THRESHOLD) is decided, (shop.username, signals)
            if not is_shop.get(str(shop.username), True):
                assert not decided, f"{shop.username} taken for a shop by {signals}"
            elif decided:
                by_steps.append(shop.username)
    shops_yielding = [n for n, shop in is_shop.items() if shop]
    assert len(by_steps) >= 3, f"only {by_steps} of {shops_yielding} recognized by their steps"


def _from_signals(signals: set[str]) -> Behaviour:
    return _behaviour(*sorted(signals))
