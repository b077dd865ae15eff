"""Rotation, renames and deaths over fast-forwarded sandbox days match the ground truth export."""

from __future__ import annotations

import asyncio
import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mtsandbox import run
from telethon import TelegramClient, errors
from telethon.tl import functions
from test_shops_support import SCENARIOS, Env, check_received, shop_env
from typer.testing import CliRunner

from prokai.sandbox.shops import Requisite, ground_truth
from prokai.sandbox.shops.rotation import active_items, pick, sandbox_date
from prokai.sandbox.shops.spec import PoolSpec
from prokai.sandbox.shops.walk import Walker

pytestmark = pytest.mark.timeout(120)

PER_DAY = ["snezhok-astana", "aigerim-operator-kk", "kurier-commands", "balance-topup", "almaz-dead", "orbita-renamed",
           "magnit-karaganda"]


async def _resolves(client: TelegramClient, username: str) -> bool:
    try:
        await client(functions.contacts.ResolveUsernameRequest(username))
    except errors.UsernameNotOccupiedError:
        return False
    return True


async def _next_day(env: Env) -> None:
    """Jump to 01:00 of the next sandbox day and let the lifecycle task apply it."""
    env.world.clock.advance(86400)
    target = (sandbox_date(env.world.clock.now()) - env.start).days
    for _ in range(200):
        if env.shops.day_index() == target and all(
            s.applied == (s.runtime.life().alive, s.runtime.life().renamed) for s in env.shops.shops.values()
        ):
            break
        await asyncio.sleep(0.01)
    env.shops.apply_day()  # idempotent; the task has normally done it already


def test_five_days_of_rotation_renames_and_deaths_match_the_truth() -> None:
    async def body() -> None:
        async with shop_env() as env:
            clients = {sid: await env.buyer(f"+7701700{i:04d}") for i, sid in enumerate([*PER_DAY, "kristall-almaty"])}
            walkers = {sid: Walker(c, env.shops) for sid, c in clients.items()}
            seen: dict[str, set[str]] = {sid: set() for sid in clients}
            probe = clients["kristall-almaty"]
            for day in range(5):
                today = env.start + timedelta(days=day)
                assert sandbox_date(env.world.clock.now()) == today
                truth = ground_truth(env.scenarios, today, env.start)
                alive = {s["id"]: s for s in truth["shops"]}

                async def walk_one(sid: str, today=today, alive=alive) -> None:
                    sc = env.scenario(sid)
                    if not alive[sid]["alive"]:
                        assert alive[sid]["requisites"] == []
                        return
                    walk = sc.spec.walks[0]
                    res = await walkers[sid].walk(sc, walk)
                    await check_received(clients[sid], sc, walk, res, today, env.start)
                    assert res.handout is not None
                    seen[sid].add(res.handout.requisite.value)
                    if sid == "kristall-almaty":  # per order: the first order of each day gets position 0
                        assert res.handout.order_no == 0
                        assert res.handout.requisite.value == alive[sid]["requisites"][0]["value"]

                await asyncio.gather(*(walk_one(sid) for sid in clients))

                # renamed on day 1: the old name is gone, the new one is the bot; the channel says so
                if day >= 1:
                    assert alive["orbita-renamed"]["bot"] == "orbita_new_bot"
                    assert not await _resolves(probe, "orbita_kz_bot")
                    if day < 4:
                        assert await _resolves(probe, "orbita_new_bot")
                        posts = await probe.get_messages("orbita_news", limit=5)
                        assert any("@orbita_new_bot" in (p.message or "") for p in posts)
                else:
                    assert await _resolves(probe, "orbita_kz_bot") and not await _resolves(probe, "orbita_new_bot")
                # deleted on day 2
                assert await _resolves(probe, "almaz_kz_bot") == (day < 2)
                assert alive["almaz-dead"]["alive"] == (day < 2)
                # silent from day 3: the operator reads and never answers
                assert alive["zhuldyz-channel-kk"]["alive"] == (day < 3)
                # closed on day 4: the bot answers with its closing text
                if day == 4:
                    res = await walkers["kristall-almaty"].walk(
                        env.scenario("orbita-renamed"),
                        env.scenario("orbita-renamed").spec.walks[0].model_copy(update={"steps": ["start"]}))
                    assert res.texts == ["🪐 Орбита закрыта. Спасибо, что были с нами."]
                if day < 4:
                    await _next_day(env)

            # per-day pools really rotated (5 days, pools of 3-7 -> several different values)
            for sid in ("snezhok-astana", "kurier-commands", "aigerim-operator-kk"):
                assert len(seen[sid]) >= 3, (sid, seen[sid])
            for c in clients.values():
                await c.disconnect()

    run(body, timeout=110)


def test_silent_operator_never_answers_after_its_death() -> None:
    async def body() -> None:
        async with shop_env() as env:
            client = await env.buyer("+77017500001")
            sc = env.scenario("zhuldyz-channel-kk")
            res = await Walker(client, env.shops).walk(sc, sc.spec.walks[0])
            assert res.handout is not None
            for _ in range(3):
                await _next_day(env)
            op = await client.get_input_entity("zhuldyz_operator")
            await client.send_message(op, "Сәлеметсіз бе, бар ма?")
            for _ in range(20):  # an hour of sandbox time in 3-minute steps: nobody answers
                env.world.clock.advance(180)
                await asyncio.sleep(0.01)
            last = await client.get_messages(op, limit=1)
            assert last[0].out
            await client.disconnect()

    run(body)


def test_ground_truth_cli_exports_json() -> None:
    import typer

    from prokai.sandbox.shops.cli import register_scenario_commands

    app = typer.Typer()
    register_scenario_commands(app)
    runner = CliRunner()
    res = runner.invoke(app, ["ground-truth", "--scenarios", str(SCENARIOS), "--date", "2026-12-01",
                              "--start", "2026-11-30", "--days", "3"])
    assert res.exit_code == 0, res.output
    docs = json.loads(res.stdout)
    assert [d["date"] for d in docs] == ["2026-12-01", "2026-12-02", "2026-12-03"]
    assert [d["day_index"] for d in docs] == [1, 2, 3]
    shops = {s["id"]: s for s in docs[0]["shops"]}
    assert shops["orbita-renamed"]["bot"] == "orbita_new_bot" and shops["orbita-renamed"]["renamed"]
    snezhok = shops["snezhok-astana"]["requisites"]
    assert len(snezhok) == 1 and snezhok[0]["kind"] == "phone" and snezhok[0]["value"].startswith("+77")
    assert snezhok[0]["valid_from"] == "2026-12-01T00:00:00+05:00"
    assert [r["value"] for r in shops["kristall-almaty"]["requisites"] if r["pool"] == "cards"]
    assert all(not s["requisites"] for s in docs[0]["shops"] if not s["is_shop"])
    assert not {s["id"]: s for s in docs[1]["shops"]}["almaz-dead"]["alive"]
    # the same truth as the function
    from prokai.sandbox.shops import load_folder

    loaded = load_folder(SCENARIOS)
    from datetime import date

    assert ground_truth(loaded, date(2026, 12, 1), date(2026, 11, 30)) == docs[0]
    # bad input: one line, exit 2
    bad = runner.invoke(app, ["ground-truth", "--date", "yesterday"])
    assert bad.exit_code == 2 and "--date must be a date" in bad.output
    bad = runner.invoke(app, ["scenarios", "check", "/nonexistent/folder"])
    assert bad.exit_code == 2 and "not a folder of scenarios" in bad.output


@settings(max_examples=150, deadline=None)
@given(n=st.integers(1, 9), k=st.integers(1, 9), start=st.dates(), buyers=st.lists(st.integers(1, 10**9), max_size=5))
def test_rotation_rules(n: int, k: int, start: date, buyers: list[int]) -> None:
    items = [Requisite("card", str(i)) for i in range(n)]
    per_day = PoolSpec(rotate="per_day", items=[])
    # per day: one item a day, every item within n consecutive days
    seen = {active_items(per_day, items, start + timedelta(days=d))[0].value for d in range(n)}
    assert len(seen) == n
    # per order with a daily window of k: orders cycle through exactly the window
    window = PoolSpec(rotate="per_order", active_per_day=k, items=[])
    active = active_items(window, items, start)
    assert len(active) == min(k, n) and len({a.value for a in active}) == len(active)
    got = [pick("s", "p", window, items, start, o, 1).value for o in range(2 * len(active))]
    assert got == [a.value for a in active] * 2
    # per buyer: the same buyer always gets the same item of the day's window
    per_buyer = PoolSpec(rotate="per_buyer", active_per_day=k, items=[])
    for b in buyers:
        first = pick("s", "p", per_buyer, items, start, 0, b)
        assert all(pick("s", "p", per_buyer, items, start, o, b) == first for o in range(3))
        assert first in active_items(per_buyer, items, start)
    fixed = PoolSpec(rotate="fixed", items=[])
    assert active_items(fixed, items, start) == [items[0]]
