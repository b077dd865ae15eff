"""Every scenario walked to its payment step by stock Telethon clients, concurrently, on one server."""

from __future__ import annotations

import asyncio

import pytest
from mtsandbox import run
from telethon import errors
from telethon.tl import functions, types
from test_shops_support import all_walks, check_received, shop_env

from prokai.sandbox.shops import ground_truth
from prokai.sandbox.shops.harness import recall
from prokai.sandbox.shops.rotation import sandbox_date
from prokai.sandbox.shops.walk import Walker, button_rows

pytestmark = pytest.mark.timeout(120)


def test_every_walk_reaches_payment_with_the_ground_truth_requisite() -> None:
    async def body() -> None:
        async with shop_env() as env:
            walks = all_walks(env.scenarios)
            assert len(walks) >= 15

            async def one(i: int) -> str:
                sc, walk = walks[i]
                client = await env.buyer(f"+7701600{i:04d}")
                try:
                    res = await Walker(client, env.shops).walk(sc, walk)
                    today = sandbox_date(env.world.clock.now())
                    await check_received(client, sc, walk, res, today, env.start)
                    assert res.handout is not None
                    # the shop's intent log names the buyer-side ids of what the walk received
                    me = (await client.get_me()).id
                    log = [m for m in env.shops.sent if m.user_id == me]
                    latest = {m.message_id: m.intent for m in log}  # an edit re-tags its message
                    assert {latest.get(m.id) for m in res.messages} == {"payment_details"}
                    if sc.spec.bot is not None and sc.spec.bot.captcha is not None and walk.via == "bot":
                        assert "captcha" in {m.intent for m in log}
                    return res.handout.requisite.value
                finally:
                    await client.disconnect()

            values = await asyncio.gather(*(one(i) for i in range(len(walks))))
            assert len(values) == len(walks)
            score = recall(ground_truth(env.scenarios, sandbox_date(env.world.clock.now()), env.start), values)
            assert score["unexpected"] == [] and score["hits"] == len(set(values)) and 0.4 < score["recall"] < 1
            # the shops' own record: one handout per walk, all of them shops (never a negative)
            assert len(env.shops.handouts) == len(walks)
            negatives = {sc.id for sc in env.scenarios if not sc.is_shop}
            assert not negatives & {h.scenario for h in env.shops.handouts}

    run(body, timeout=110)


def test_showcase_channel_links_to_bot_backups_and_operator() -> None:
    async def body() -> None:
        async with shop_env() as env:
            client = await env.buyer("+77016100001")
            channel = await client.get_entity("tsvetnoy_vitrina")
            full = await client(functions.channels.GetFullChannelRequest(channel))
            about = full.full_chat.about
            assert "@tsvetnoy_shop_bot" in about and "@tsvetnoy_reserve_bot" in about and "@tsvetnoy_operator" in about
            posts = await client.get_messages(channel, limit=10)
            urls = [b.type.url for p in posts for row in button_rows(p) for b in row]
            for name in ("tsvetnoy_shop_bot", "tsvetnoy_reserve_bot", "tsvetnoy_reserve2_bot", "tsvetnoy_operator"):
                assert f"https://t.me/{name}" in urls
            price = next(p for p in posts if p.photo)
            data = await client.download_media(price, file=bytes)
            assert isinstance(data, bytes) and data[:2] == b"\xff\xd8"
            # every link target is a live peer of the world
            for name in ("tsvetnoy_shop_bot", "tsvetnoy_reserve_bot", "tsvetnoy_reserve2_bot"):
                bot = await client.get_entity(name)
                assert isinstance(bot, types.User) and bot.bot
            op = await client.get_entity("tsvetnoy_operator")
            assert isinstance(op, types.User) and not op.bot
            # the day-1 post is not there yet
            assert not any("резерв" in (p.message or "").lower() and "недоступен" in (p.message or "") for p in posts)
            await client.disconnect()

    run(body)


def test_negatives_hand_out_nothing() -> None:
    async def body() -> None:
        async with shop_env() as env:
            client = await env.buyer("+77016200001")
            walker = Walker(client, env.shops)
            from prokai.sandbox.shops.spec import StepSpec, WalkSpec

            pizza = env.scenario("pizza-almaty")
            walk = WalkSpec(via="bot", pool="none", steps=[
                "start", StepSpec(press="Алматы"), StepSpec(press="Пепперони — 3 990 ₸"),
                StepSpec(press="30 см"), StepSpec(press="📱 Kaspi QR при получении"),
            ])
            res = await walker.walk(pizza, walk)
            assert res.handout is None
            assert "Оплата при получении" in res.texts[-1]
            bank = env.scenario("bank-support")
            res = await walker.walk(bank, WalkSpec(via="bot", pool="none", steps=["start", StepSpec(press="💳 Мои карты")]))
            assert "4400 43** **** 1234" in res.texts[-1] and res.handout is None
            news = await client.get_entity("kz_news_24")
            posts = await client.get_messages(news, limit=10)
            assert len(posts) == 3 and any("дропперов" in p.message for p in posts)
            assert not env.shops.handouts
            await client.disconnect()

    run(body)


def test_captcha_wrong_answers_then_ban() -> None:
    async def body() -> None:
        async with shop_env() as env:
            client = await env.buyer("+77016300001")
            bot = await client.get_input_entity("tron_market_kz_bot")
            engine = env.shops.shops["paranoid-tron"].bot_engine
            assert engine is not None
            me = await client.get_me()

            async def say(text: str) -> list[str]:
                before = {m.id for m in await client.get_messages(bot, limit=20)}
                env.world.clock.advance(5)
                await client.send_message(bot, text)
                for _ in range(500):
                    msgs = [m for m in await client.get_messages(bot, limit=20) if m.id not in before and not m.out]
                    if msgs:
                        return [m.message for m in sorted(msgs, key=lambda m: m.id)]
                    await asyncio.sleep(0.02)
                raise AssertionError("no answer")

            first = await say("/start")
            assert "Проверка на робота" in first[-1]
            challenge = engine.session(me.id).challenge
            assert challenge is not None
            wrong = str(int(challenge.answer) + 1)
            again = await say(wrong)
            assert "Неверно" in again[0] and "Проверка на робота" in again[-1]
            challenge = engine.session(me.id).challenge
            assert challenge is not None
            banned = await say(str(int(challenge.answer) + 1))
            assert banned == ["🔒 Проверка не пройдена. Доступ закрыт."]
            assert env.shops.shops["paranoid-tron"].runtime.buyer(me.id).banned
            assert (await say("/start")) == ["🔒 Вы заблокированы системой безопасности."]
            await client.disconnect()

    run(body)


def test_dead_bot_username_does_not_resolve_after_its_day() -> None:
    async def body() -> None:
        async with shop_env() as env:
            client = await env.buyer("+77016400001")
            bot = await client.get_entity("almaz_kz_bot")
            assert bot.bot
            env.world.clock.advance(2 * 86400)
            for _ in range(500):  # the lifecycle task wakes at the sandbox midnight
                if "almaz_kz_bot" not in env.world.usernames:
                    break
                await asyncio.sleep(0.02)
            with pytest.raises((errors.UsernameNotOccupiedError, ValueError)):
                await client.get_entity("almaz_kz_bot")
            # a buyer who still has the chat sees a deleted account and cannot write to it
            with pytest.raises(errors.InputUserDeactivatedError):
                await client.send_message(bot, "/start")
            [again] = await client(functions.users.GetUsersRequest([bot]))
            assert again.deleted and not again.username
            await client.disconnect()

    run(body)


def test_operator_answers_by_kind_and_wants_a_city_before_the_card() -> None:
    async def body() -> None:
        async with shop_env() as env:
            client = await env.buyer("+77016500001")
            sc = env.scenario("aigerim-operator-kk")
            walker = Walker(client, env.shops)
            from prokai.sandbox.shops.spec import StepSpec, WalkSpec

            def says(*texts: str) -> WalkSpec:
                return WalkSpec(via="operator", pool="kaspi", steps=[StepSpec(say=t) for t in texts])

            res = await walker.walk(sc, says("Сәлем"))
            assert res.texts[-1] in ("Сәлем. Қай қала?", "Иә, тыңдап тұрмын. Қай қала?")
            res = await walker.walk(sc, says("Қайда төлеймін?"))  # payment before naming a city: no card
            assert res.texts == ["Түсінбедім. Қай қала, не керек?"] and res.handout is None
            res = await walker.walk(sc, says("Алматы", "1 грамм алам, қайда төлеймін?"))
            assert res.handout is not None and res.handout.via == "aigerim_almaty_op"
            assert "картасына" in res.texts[-1]
            # the operator took her time: every answer came 30-150 s (sandbox time) after the question
            history = list(reversed(await client.get_messages("aigerim_almaty_op", limit=20)))
            assert [m.out for m in history] == [True, False] * 4
            for asked, answered in zip(history[::2], history[1::2], strict=True):
                # (the walker moves the clock in 15 s steps while it waits, so up to 150 + 15)
                assert 30 <= (answered.date - asked.date).total_seconds() <= 166
            await client.disconnect()

    run(body)
