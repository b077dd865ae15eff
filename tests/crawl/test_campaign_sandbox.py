"""A campaign against the sandbox with stock Telethon: a shop bot walked to its payment step
(captcha, city, product, two payment methods), a pizza bot left alone, a channel read and its
links discovered, guardrails holding, a banned account replaced, and a kill-and-resume; the
runner's progress hook, and `prokai campaign run` printing only its summary on stdout."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from sqlalchemy import func, select
from telethon import TelegramClient
from telethon.sessions import StringSession
from typer.testing import CliRunner

from prokai.cli import app
from prokai.crawl.campaigns import campaign_status, create_campaign
from prokai.crawl.engine import Budget
from prokai.crawl.models import KeywordModel
from prokai.crawl.runner import CampaignRunner, Leased, ProgressEvent, RunReport, StaticClients
from prokai.intake.targets import parse_targets
from prokai.sandbox.bots import BotChat, Button, CallbackAnswer, CallbackQuery, IncomingMessage
from prokai.sandbox.connect import configure
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.world import World
from prokai.store.chain import verify_chain
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import (
    Account,
    AuditRecord,
    Conversation,
    Message,
    Original,
    Requisite,
    Shop,
    Sighting,
    Target,
)

CARD = "4400430123456789"
BTC = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"


class TinyShop:
    """A constructor-style shop bot: captcha → city → product → payment method → requisites."""

    def __init__(self) -> None:
        self.paid_pressed = 0

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        if message.text.startswith("/start"):
            await chat.send("Добро пожаловать! Капча: 7 + 5 = ?",
                            [[Button.callback("11", "c:11"), Button.callback("12", "c:12")]])

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        data = query.data.decode()
        if data == "c:12":
            await chat.send("Выберите город:", [[Button.callback("Астана", "city:ast"),
                                                 Button.callback("Алматы", "city:alm")],
                                                [Button.link("Наш канал", "https://t.me/tiny_news")]])
        elif data.startswith("city:"):
            await chat.send("Выберите товар:", [[Button.callback("Шишки 1г — 15 000 ₸", "p:1"),
                                                 Button.callback("Шишки 2г — 28 000 ₸", "p:2")],
                                                [Button.callback("Работа у нас", "job")]])
        elif data.startswith("p:"):
            await chat.send("Выберите способ оплаты:", [[Button.callback("💳 Карта Kaspi", "pay:card"),
                                                          Button.callback("₿ Bitcoin", "pay:btc")]])
        elif data == "pay:card":
            await chat.send(f"Оплатите 15 000 ₸ на карту {CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:]}, 30 минут.",
                            [[Button.callback("Я оплатил", "paid")]])
        elif data == "pay:btc":
            await chat.send(f"Переведите 0.0004 BTC на {BTC}", [[Button.callback("Я оплатил", "paid")]])
        elif data in ("paid", "job"):
            self.paid_pressed += 1
        return None


class PizzaBot:
    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        await chat.send("Пиццерия «Маргарита»: пицца 30 см, доставка за 40 минут. Меню:",
                        [[Button.callback("Пепперони", "pep"), Button.callback("Маргарита", "mar")]])

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        await chat.send("Добавлено в корзину")
        return None


def _world(shop: TinyShop) -> World:
    world = World()
    world.add_bot("tiny_shop_bot", shop, about="Магазин шишки, клады Алматы")
    world.add_bot("pizza_margarita_bot", PizzaBot(), about="Доставка пиццы")
    channel = world.add_channel("Tiny shop news", username="tiny_news", about="Витрина: шишки, меф. Бот @tiny_shop_bot")
    world.post(channel.id, "Наш новый бот: @tiny_shop_bot, резерв @tiny_backup_bot. Закладки по Алматы")
    for n in range(3):
        world.add_account(f"+7701000000{n}", f"Buyer{n}")
    return world


async def _login(server: SandboxServer, phone: str) -> TelegramClient:
    client = TelegramClient(StringSession(), 2040, "b18441a1ff607e10a989891a5462e627",
                            flood_sleep_threshold=0, request_retries=1)
    configure(client, server.host, server.port, server.dc_id)
    await client.connect()
    await client.send_code_request(phone)
    await client.sign_in(phone, server.world.codes[phone.lstrip("+")].code)
    return client


def _run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 120))


@pytest.fixture
def store(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path}/crawl.db"
    upgrade(url)
    return Database(url)


BUDGET = Budget(max_steps=30, max_seconds=60, reply_timeout=3.0, operator_timeout=3.0)


TARGETS = ("@tiny_shop_bot", "https://t.me/pizza_margarita_bot", "t.me/tiny_news")


async def _campaign(
    store: Database, shop: TinyShop, accounts: int = 2, ban_first: bool = False,
    targets: tuple[str, ...] = TARGETS, prepare: Callable[[World], None] | None = None, **runner_options: Any,
) -> tuple[int, StaticClients, World, list[int]]:
    """Sandbox world, `accounts` signed-in crawler sessions, one campaign over `targets`, run."""
    specs, errors = parse_targets(list(targets))
    assert not errors
    campaign_id, _ = create_campaign(store, "CASE-1", "test", specs, actor="tester")
    _, provider, world, ids = await _run_in_sandbox(store, campaign_id, shop, accounts, ban_first, prepare,
                                                    **runner_options)
    return campaign_id, provider, world, ids


async def _run_in_sandbox(
    store: Database, campaign_id: int, shop: TinyShop, accounts: int = 2, ban_first: bool = False,
    prepare: Callable[[World], None] | None = None, **runner_options: Any,
) -> tuple[RunReport, StaticClients, World, list[int]]:
    """Sandbox world, `accounts` signed-in crawler sessions, campaign `campaign_id` run."""
    world = _world(shop)
    server = SandboxServer(world, "127.0.0.1", 0)
    await server.start()
    clients = [await _login(server, f"+7701000000{n}") for n in range(accounts)]
    if ban_first:
        world.users[world.phones["77010000000"]].banned = True
    if prepare is not None:
        prepare(world)
    with store.session() as s:
        rows = [Account(phone=f"+7701000000{n}", state="active") for n in range(accounts)]
        s.add_all(rows)
        s.flush()
        ids = [a.id for a in rows]
    provider = StaticClients([Leased(ids[i], c) for i, c in enumerate(clients)])
    options: dict[str, Any] = {"max_depth": 1, "concurrency": 2, **runner_options}
    runner = CampaignRunner(store, provider, KeywordModel(), city="Алматы", budget=BUDGET, **options)
    try:
        report = await runner.run(campaign_id)
    finally:
        for c in clients:
            await c.disconnect()
        await server.close()
    return report, provider, world, ids


def test_campaign_reaches_payment_step_and_leaves_pizza_alone(store: Database) -> None:
    shop = TinyShop()

    async def body() -> None:
        campaign_id, _, _, _ = await _campaign(store, shop)
        status = campaign_status(store, campaign_id)
        with store.session() as s:
            reqs = {(r.kind, r.value) for r in s.scalars(select(Requisite))}
            assert reqs == {("card", CARD), ("btc", BTC)}
            outcomes = {t.raw: t.outcome for t in s.scalars(select(Target))}
            assert outcomes["username:tiny_shop_bot"] == "requisites"
            assert outcomes["username:pizza_margarita_bot"] == "not_shop"
            assert outcomes["username:tiny_news"] == "read"
            # discovered from the channel post: the backup bot (does not exist → dead)
            assert outcomes.get("username:tiny_backup_bot") == "dead"
            # the post is kept as Telegram sent it, like every chat message
            post = s.scalar(select(Message).where(Message.text.like("Наш новый бот%")))
            assert post is not None
            original = s.scalar(select(Original).where(Original.message_id == post.id, Original.kind == "tl"))
            assert original is not None and original.size > 0
            pizza = s.scalar(select(Shop).where(Shop.username == "pizza_margarita_bot"))
            assert pizza is not None and pizza.status == "not_shop"
            # exactly one sighting per requisite in the shop conversation
            assert s.scalar(select(func.count()).select_from(Sighting)) == 2
            refusals = [a.details for a in s.scalars(select(AuditRecord).where(AuditRecord.action == "crawl.refused"))]
            sent = [m.text for m in s.scalars(select(Message).where(Message.direction == "out"))]
            assert verify_chain(s).ok
        assert status.requisites == {"card": 1, "btc": 1}
        assert shop.paid_pressed == 0, "the crawler must never press 'Я оплатил' or accept a job"
        assert all(r["reason"] for r in refusals)
        assert "/start" in sent

    _run(body)


def test_banned_account_is_replaced(store: Database) -> None:
    shop = TinyShop()

    async def body() -> None:
        _, provider, _, _ = await _campaign(store, shop, accounts=2, ban_first=True)
        assert provider.reports and provider.reports[0][1] == "UserDeactivatedBanError"
        with store.session() as s:
            reqs = {(r.kind, r.value) for r in s.scalars(select(Requisite))}
        assert ("card", CARD) in reqs

    _run(body)


def test_flood_wait_mid_conversation_moves_to_another_account(store: Database) -> None:
    shop = TinyShop()

    def flood_first(world: World) -> None:
        # the first account hits a FloodWait when it presses a button
        world.faults.inject("FLOOD_WAIT", method="GetBotCallbackAnswerRequest",
                            user_id=world.phones["77010000000"], seconds=600)

    async def body() -> None:
        campaign_id, provider, _, ids = await _campaign(store, shop, targets=("@tiny_shop_bot",),
                                                        prepare=flood_first, concurrency=1)
        assert "FloodWaitError" in [name for _, name in provider.reports]
        with store.session() as s:
            target = s.scalar(select(Target).where(Target.campaign_id == campaign_id))
            assert target is not None
            reqs = {r.value for r in s.scalars(select(Requisite))}
            accounts = {c.account_id for c in s.scalars(select(Conversation).where(Conversation.target_id == target.id))}
        assert target.outcome == "requisites" and CARD in reqs
        # the conversation the flood wait interrupted is carried on by the other account
        assert accounts == set(ids)

    _run(body)


def test_daily_cap_moves_work_to_another_account(store: Database) -> None:
    shop = TinyShop()

    async def body() -> None:
        _, _, _, ids = await _campaign(store, shop, targets=("@tiny_shop_bot", "@pizza_margarita_bot"),
                                       concurrency=1, daily_cap=1)
        with store.session() as s:
            used = [c.account_id for c in s.scalars(select(Conversation))]
        # each account sent its one message of the day to one shop
        assert sorted(used) == sorted(ids)

    _run(body)


def test_progress_hook_follows_the_run(store: Database) -> None:
    """The runner reports after each claim and each finished conversation; the total grows with
    the targets discovered on the way (the channel names a backup bot)."""
    events: list[ProgressEvent] = []

    async def body() -> None:
        specs, _ = parse_targets(list(TARGETS))
        campaign_id, _ = create_campaign(store, "CASE-1", "test", specs, actor="tester")
        report, _, _, _ = await _run_in_sandbox(store, campaign_id, TinyShop(), on_progress=events.append)
        assert events and all(e.campaign_id == campaign_id for e in events)
        done = [e.done for e in events]
        assert done == sorted(done) and done[-1] == report.done == 4
        assert all(e.total >= e.done for e in events)
        assert events[0].total == len(TARGETS) and events[-1].total == report.total == 4
        assert dict(events[-1].outcomes) == report.outcomes
        # each finished conversation counts one (claims repeat the count so far)
        assert {b - a for a, b in zip(done, done[1:], strict=False)} <= {0, 1}
        assert set(done) == set(range(report.done + 1))

    _run(body)


def _cli_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str, sandbox: bool = True) -> Result:
    """`prokai campaign run 1 *args` with the runner's conversations held in the sandbox (or,
    with `sandbox=False`, a runner without any account: for a campaign with nothing left to do)."""
    from prokai.cliutil import database
    from prokai.crawl import commands

    class SandboxRunner:  # what make_runner returns, with sandbox sessions instead of the account pool
        def __init__(self, ctx: Any) -> None:
            self.db = database(ctx)
            self.on_progress: Callable[[ProgressEvent], None] | None = None

        async def run(self, campaign_id: int) -> RunReport:
            report, _, _, _ = await _run_in_sandbox(self.db, campaign_id, TinyShop(), on_progress=self.on_progress)
            return report

    def make_runner(ctx: Any, model: str, concurrency: int) -> Any:
        if sandbox:
            return SandboxRunner(ctx)
        return CampaignRunner(database(ctx), StaticClients([]), KeywordModel(), city="Алматы", budget=BUDGET)

    monkeypatch.setattr(commands, "make_runner", make_runner)
    return CliRunner().invoke(app, ["campaign", "run", "1", *args], env={"PROKAI_DATA_DIR": str(tmp_path)})


def _cli_campaign(tmp_path: Path) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_text("\n".join(TARGETS) + "\n", encoding="utf-8")
    created = CliRunner().invoke(app, ["campaign", "create", "--case", "CASE-1", "--name", "cli", "--targets",
                                       str(targets)], env={"PROKAI_DATA_DIR": str(tmp_path)})
    assert created.exit_code == 0, created.output
    assert created.stdout == "campaign 1 created with 3 targets\n"


def _no_display(stderr: str) -> bool:
    """No trace of the progress display (stderr also carries the log, here the sandbox's)."""
    return "campaign 1" not in stderr and "━" not in stderr and "\x1b[" not in stderr


SUMMARY = ("4 conversations; outcomes: {'dead': 1, 'not_shop': 1, 'read': 1, 'requisites': 1}; "
           "new requisites: 2\n")


def test_campaign_run_cli_piped_prints_only_the_summary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped (stderr not a terminal, as here): no progress display at all; stdout is the summary line."""
    _cli_campaign(tmp_path)
    result = _cli_run(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY
    assert _no_display(result.stderr)


def test_campaign_run_cli_progress_goes_to_stderr(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the bar is drawn on stderr; stdout still holds the summary line alone."""
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich: treat the (captured) stderr as a terminal
    _cli_campaign(tmp_path)
    result = _cli_run(tmp_path, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.stdout == SUMMARY
    assert "campaign 1: requisites 1 · read 1 · not_shop 1 · dead 1" in result.stderr
    assert "4/4" in result.stderr
    again = _cli_run(tmp_path, monkeypatch, "--no-progress", sandbox=False)  # nothing left to do, no display
    assert again.exit_code == 0, again.output
    assert again.stdout == "0 conversations; outcomes: {}; new requisites: 0\n"
    assert _no_display(again.stderr)
