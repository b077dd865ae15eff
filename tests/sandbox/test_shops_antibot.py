"""Anti-bot rules ban (or refuse) exactly as the scenario writes them."""

from __future__ import annotations

import pytest
from mtsandbox import run
from test_shops_support import shop_env

from prokai.sandbox.shops.walk import Walker

pytestmark = pytest.mark.timeout(90)

BANNED = "🔒 Вы заблокированы системой безопасности."


def test_ban_after_max_orders_and_on_asking_again_too_soon() -> None:
    async def body() -> None:
        async with shop_env() as env:
            sc = env.scenario("paranoid-tron")
            walk = sc.spec.walks[0]
            rt = env.shops.shops[sc.id].runtime
            # max_orders: 2 -> two orders (10+ minutes apart) are served, the third is a ban
            client = await env.buyer("+77017100001")
            walker = Walker(client, env.shops)
            me = (await client.get_me()).id
            for n in range(2):
                res = await walker.walk(sc, walk)
                assert res.handout is not None and res.handout.order_no == n
                env.world.clock.advance(601)
            res = await walker.walk(sc, walk)
            assert res.texts == [BANNED] and rt.buyer(me).banned
            assert len([h for h in env.shops.handouts if h.user_id == me]) == 2
            # once banned, every message gets the ban
            res = await walker.walk(sc, sc.spec.walks[0].model_copy(update={"steps": ["start"]}))
            assert res.texts == [BANNED]
            await client.disconnect()

            # repeat_cooldown: 600 s -> asking again after 60 s is a ban
            other = await env.buyer("+77017100002")
            walker = Walker(other, env.shops)
            assert (await walker.walk(sc, walk)).handout is not None
            env.world.clock.advance(60)
            res = await walker.walk(sc, walk)
            assert res.texts == [BANNED]
            await other.disconnect()

    run(body)


def test_clicking_faster_than_a_human_is_a_ban() -> None:
    async def body() -> None:
        async with shop_env() as env:
            sc = env.scenario("paranoid-tron")  # min_action_interval: 1.2
            client = await env.buyer("+77017200001")
            me = (await client.get_me()).id
            # pauses of 1 s of sandbox time between actions: the captcha answer is already too fast
            res = await Walker(client, env.shops, pause=1.0).walk(sc, sc.spec.walks[0].model_copy(
                update={"steps": ["start", "captcha"]}))
            assert res.texts == [BANNED]
            assert env.shops.shops[sc.id].runtime.buyer(me).banned
            # a human pace (3 s) on another account is fine
            human = await env.buyer("+77017200002")
            res = await Walker(human, env.shops, pause=3.0).walk(sc, sc.spec.walks[0])
            assert res.handout is not None
            await client.disconnect()
            await human.disconnect()

    run(body)


def test_young_accounts_are_banned_or_refused() -> None:
    async def body() -> None:
        async with shop_env() as env:
            now = env.world.clock.now()
            # paranoid-tron: min_account_age_days 14, action ban
            young = await env.buyer("+77017300001", created=now - 3 * 86400)
            sc = env.scenario("paranoid-tron")
            res = await Walker(young, env.shops).walk(sc, sc.spec.walks[0])
            assert res.texts == [BANNED] and res.handout is None
            old = await env.buyer("+77017300002", created=now - 20 * 86400)
            assert (await Walker(old, env.shops).walk(sc, sc.spec.walks[0])).handout is not None
            # maks-operator-ru: min_account_age_days 30, action refuse (no ban: the next try may pass)
            maks = env.scenario("maks-operator-ru")
            res = await Walker(young, env.shops).walk(maks, maks.spec.walks[0])
            assert res.texts == ["Новых не обслуживаю, только по рекомендации."] and res.handout is None
            me = (await young.get_me()).id
            assert not env.shops.shops[maks.id].runtime.buyer(me).banned
            await young.disconnect()
            await old.disconnect()

    run(body)
