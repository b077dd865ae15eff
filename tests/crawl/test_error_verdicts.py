"""Telegram errors are classified once (`prokai.accounts.errors.TELEGRAM_ERRORS`), by type, and
acted on the same way by the runner, its client providers and the account pool.

The production path: a campaign runner over `PoolClients` and the real account pool, against the
sandbox with stock Telethon. The sandbox fails the first account's button press with an error;
the job moves to the second account, which reaches the requisites, and the first account's state
in the database says what the error meant.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from poolkit import CARD, KaspiShop, migrated_db, pool_accounts
from sqlalchemy import select
from telethon import errors
from telethon.tl import functions, types

from prokai.accounts.clients import sandbox_endpoint
from prokai.accounts.errors import TELEGRAM_ERRORS, Action, classify, verdict
from prokai.accounts.pool import AccountPool
from prokai.config import AccountsSettings, DatabaseSettings, Settings
from prokai.crawl.campaigns import create_campaign
from prokai.crawl.engine import Budget
from prokai.crawl.models import KeywordModel
from prokai.crawl.runner import CampaignRunner, Leased, PoolClients, StaticClients
from prokai.intake.targets import parse_targets
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import (
    Account,
    AccountCooldown,
    AccountState,
    AuditRecord,
    Conversation,
    Requisite,
    Target,
)

pytestmark = pytest.mark.timeout(120)

PHONES = ("+77010000000", "+77010000001")
BUDGET = Budget(max_steps=30, max_seconds=60, reply_timeout=3.0, operator_timeout=3.0)
SEND = functions.messages.SendMessageRequest(types.InputPeerSelf(), "hi")
PRESS = functions.messages.GetBotCallbackAnswerRequest(types.InputPeerSelf(), 1)


def _run(body: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(body(), 100))


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Database:
    return migrated_db(tmp_path, monkeypatch)


def _account(db: Database, account_id: int) -> Account:
    with db.session() as s:
        acc = s.get(Account, account_id)
        assert acc is not None
        s.expunge(acc)
        return acc


def _telethon_name(error: str) -> str:
    """Telethon's class name for an error as Telegram spells it (SESSION_EXPIRED → SessionExpiredError)."""
    return "".join(part.title() for part in error.split("_")) + "Error"


# error injected (sandbox spelling, seconds) → the first account's state afterwards
MISSED = {
    "SESSION_EXPIRED": (None, AccountState.NEEDS_RELOGIN),
    "PHONE_NUMBER_BANNED": (None, AccountState.BANNED),
    "USER_DEACTIVATED": (None, AccountState.BANNED),
    "FLOOD_PREMIUM_WAIT": (600, AccountState.COOLING),
}


@pytest.mark.parametrize("error", list(MISSED))
def test_account_error_moves_the_job_and_changes_the_account(store: Database, tmp_path: Path, error: str) -> None:
    seconds, expected = MISSED[error]
    settings = Settings(data_dir=tmp_path, database=DatabaseSettings(url=store.url),
                        accounts=AccountsSettings(connection_retries=1, retry_delay_s=0))

    async def body() -> None:
        world = World()
        world.add_bot("kaspi_shop_bot", KaspiShop(), about="Магазин шишки, клады Алматы")
        for n, phone in enumerate(PHONES):
            world.add_account(phone, f"Buyer{n}")
        server = SandboxServer(world, "127.0.0.1", 0)
        await server.start()
        try:
            first, second = await pool_accounts(store, server, PHONES)
            # the account the pool hands out first (never used, lowest id) fails its button press
            world.faults.inject(error, method="GetBotCallbackAnswerRequest", seconds=seconds,
                                user_id=world.phones[PHONES[0].lstrip("+")])
            specs, bad = parse_targets(["@kaspi_shop_bot"])
            assert not bad
            campaign_id, _ = create_campaign(store, "CASE-17", "errors", specs, actor="tester")
            pool = AccountPool(store, settings, endpoint=sandbox_endpoint(server), watchdog=False)
            runner = CampaignRunner(store, PoolClients(pool, wait_s=0.05), KeywordModel(), city="Алматы",
                                    budget=BUDGET, max_depth=0, concurrency=1)
            report = await runner.run(campaign_id)
        finally:
            await server.close()

        with store.session() as s:
            target = s.scalar(select(Target).where(Target.campaign_id == campaign_id))
            assert target is not None
            conversations = [(c.account_id, c.outcome) for c in s.scalars(select(Conversation).order_by(Conversation.id))]
            cards = {r.value for r in s.scalars(select(Requisite))}
            moves = [(a.details["old"], a.details["new"]) for a in s.scalars(
                select(AuditRecord).where(AuditRecord.action == "account.state", AuditRecord.object_id == str(first)))]
            cooldowns = [(c.request_kind, c.reason) for c in s.scalars(
                select(AccountCooldown).where(AccountCooldown.account_id == first))]
        # the job moved to the other account, which reached the card
        assert target.outcome == "requisites", (target.outcome, target.meta, report.errors)
        assert CARD in cards
        assert conversations == [(first, "handed_over"), (second, "requisites")]
        assert f"target {target.id}: {_telethon_name(error)} on account {first}" in report.errors
        # the first account's state says what the error meant; the second one is untouched
        assert _account(store, first).state == expected.value
        assert moves == [("active", expected.value)]
        assert _account(store, second).state == AccountState.ACTIVE.value
        if seconds is not None:
            assert cooldowns == [("message", f"FLOOD_WAIT_{seconds}")]
        if expected in (AccountState.BANNED, AccountState.NEEDS_RELOGIN):
            assert _account(store, first).session_enc is None

    _run(body)


def test_static_clients_act_on_the_table(store: Database) -> None:
    """The fixed-session provider of tests and rehearsals reads the same table: a wait leaves the
    account usable for other jobs, a dead session or a ban takes it out."""
    provider = StaticClients([Leased(1, None), Leased(2, None), Leased(3, None)])
    provider.report(1, errors.FloodPremiumWaitError(SEND, capture=60))
    provider.report(2, errors.SessionExpiredError(SEND))
    provider.report(3, errors.UserDeactivatedError(SEND))
    assert provider.states == {1: AccountState.COOLING, 2: AccountState.NEEDS_RELOGIN, 3: AccountState.BANNED}
    assert provider.broken == {2, 3}
    assert [name for _, name in provider.reports] == ["FloodPremiumWaitError", "SessionExpiredError",
                                                      "UserDeactivatedError"]


@pytest.mark.parametrize(
    ("exc", "action", "state"),
    [
        (errors.FloodWaitError(PRESS, capture=30), Action.RETRY, AccountState.COOLING),
        (errors.FloodPremiumWaitError(PRESS, capture=30), Action.RETRY, AccountState.COOLING),
        (errors.SessionExpiredError(SEND), Action.RETRY, AccountState.NEEDS_RELOGIN),
        (errors.PhoneNumberBannedError(SEND), Action.RETRY, AccountState.BANNED),
        (errors.UserDeactivatedError(SEND), Action.RETRY, AccountState.BANNED),
        (errors.UserDeactivatedBanError(SEND), Action.RETRY, AccountState.BANNED),
        (errors.PeerFloodError(SEND), Action.RETRY, AccountState.LIMITED),
        (errors.FrozenMethodInvalidError(SEND), Action.RETRY, AccountState.FROZEN),
        (errors.AuthKeyDuplicatedError(SEND), Action.RETRY, AccountState.NEEDS_RELOGIN),
        (errors.RPCError(SEND, "SESSION_REVOKED", 401), Action.RETRY, AccountState.NEEDS_RELOGIN),
        (errors.UsernameNotOccupiedError(SEND), Action.TARGET_DEAD, None),
        (errors.UsernameInvalidError(SEND), Action.TARGET_DEAD, None),
        (errors.InputUserDeactivatedError(SEND), Action.TARGET_DEAD, None),
        (ValueError('No user has "gone_bot" as username'), Action.TARGET_DEAD, None),
        (ValueError("something else"), Action.ERROR, None),
        (errors.PeerIdInvalidError(SEND), Action.ERROR, None),
        (ConnectionError("reset"), Action.ERROR, None),
    ],
)
def test_one_table_decides(exc: Exception, action: Action, state: AccountState | None) -> None:
    decided = classify(exc, "message")
    assert decided.action is action and decided.name == type(exc).__name__
    assert (decided.account.state if decided.account else None) == state
    # the account pool reads the same answer
    assert verdict(exc, "message") == decided.account


def test_table_rows_match_by_type_and_subclass() -> None:
    """Rows are keyed by exception type: a subclass of a listed error gets the row's verdict."""

    class RegionalFloodWait(errors.FloodWaitError):
        pass

    decided = classify(RegionalFloodWait(PRESS, capture=5))
    assert decided.action is Action.RETRY and decided.account is not None
    assert (decided.account.state, decided.account.cooldown_s, decided.account.kind) == (
        AccountState.COOLING, 5.0, "message")
    assert all(rule.action is Action.RETRY or rule.state is None for rule in TELEGRAM_ERRORS)
