"""`login_all` over a SimBox emulator and the sandbox: every kind of SIM a seizure turns up."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from accounts_harness import make_settings, rig, run
from sqlalchemy import select
from sqlalchemy.orm import Session

from prokai.accounts.login import login_all
from prokai.accounts.passwords import PasswordBook
from prokai.accounts.vaultops import reset_account
from prokai.sandbox.sms import SimBoxGateway
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import Account, AccountCooldown, AuditRecord, SmsMessage, TwoFactorTry

pytestmark = pytest.mark.timeout(120)

PLAIN = ["+77051110001", "+77051110002", "+77051110003", "+77051110004", "+77051110005"]
TWO_FA_KNOWN = "+77051110006"
TWO_FA_UNKNOWN = "+77051110007"
UNOCCUPIED = "+77051110008"
BANNED = "+77051110009"
APP_FIRST = "+77051110010"
ALL = [*PLAIN, TWO_FA_KNOWN, TWO_FA_UNKNOWN, UNOCCUPIED, BANNED, APP_FIRST]


def build(world: World) -> None:
    for i, phone in enumerate(PLAIN):
        world.add_account(phone, f"Plain{i}")
    world.add_account(TWO_FA_KNOWN, "Guarded", password="kolesa-2024", password_hint="car site")
    world.add_account(TWO_FA_UNKNOWN, "Locked", password="nobody-knows", password_hint="?")
    world.add_account(BANNED, "Banned", banned=True)
    world.add_account(APP_FIRST, "Busy", has_app_session=True)


def tries(s: Session, account_id: int) -> list[str]:
    """The 2FA fingerprints tried on an account, in the order tried."""
    return list(s.scalars(select(TwoFactorTry.fingerprint).where(TwoFactorTry.account_id == account_id)
                          .order_by(TwoFactorTry.id)))


def test_login_ten_sims(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path, max_2fa_tries=3, login_concurrency=3)
    book = PasswordBook.parse(f"wrong-one\n{TWO_FA_KNOWN}: kolesa-2024\nqwerty\n123456\nletmein\n")

    async def body() -> None:
        async with rig(sqlite_db, settings, ALL, build) as r:
            running: list[int] = [0, 0]  # now, most at once

            def started(_t: object) -> None:
                running[0] += 1
                running[1] = max(running)

            def finished(_r: object) -> None:
                running[0] -= 1

            report = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, passwords=book, vault=r.vault,
                                     on_start=started, on_done=finished)
            assert running == [0, 3]  # accounts.login_concurrency
            outcomes = {res.phone: res.outcome for res in report.results}
            for phone in PLAIN:
                assert outcomes[phone] == "logged_in", report.by_phone(phone)
            assert outcomes[TWO_FA_KNOWN] == "logged_in"
            assert outcomes[TWO_FA_UNKNOWN] == "2fa_locked"
            assert outcomes[UNOCCUPIED] == "needs_app_registration"
            assert "official Telegram app" in report.by_phone(UNOCCUPIED).detail
            assert outcomes[BANNED] == "banned"
            assert outcomes[APP_FIRST] == "logged_in"
            assert report.by_phone(APP_FIRST).code_via == "app->sms"
            assert report.by_phone(PLAIN[0]).code_via == "sms"
            # the sandbox has a logged-in auth key for each of the seven
            logged = {r.world.users[k.user_id].phone for k in r.world.auth_keys.values() if k.user_id}
            assert len(logged) == 7

            with sqlite_db.session() as s:
                accounts = {a.phone: a for a in s.scalars(select(Account))}
                assert {p: accounts[p].state for p in ALL} == {
                    **{p: "active" for p in PLAIN}, TWO_FA_KNOWN: "active", TWO_FA_UNKNOWN: "2fa_locked",
                    UNOCCUPIED: "needs_app_registration", BANNED: "banned", APP_FIRST: "active",
                }
                # never more than max_2fa_tries passwords against the locked account
                locked = accounts[TWO_FA_UNKNOWN]
                assert len(tries(s, locked.id)) == 3 and "2fa_tried" not in locked.meta
                assert "car site" not in (accounts[TWO_FA_UNKNOWN].state_reason or "")
                assert accounts[PLAIN[0]].session_enc is not None and accounts[PLAIN[0]].key_id == r.vault.current_id
                assert accounts[PLAIN[0]].telegram_user_id == r.world.user_by_phone(PLAIN[0]).id  # type: ignore[union-attr]
                # the login SMS are kept as SimBox evidence
                assert len(s.scalars(select(SmsMessage)).all()) >= 8
                actions = [a.action for a in s.scalars(select(AuditRecord))]
                assert actions.count("account.login") == 7
                assert actions.count("account.2fa_try") == 3

            # a second run resumes: nothing logged in twice, locked stays locked without new passwords
            keys_before = len(r.world.auth_keys)
            again = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, passwords=book, vault=r.vault)
            assert again.by_phone(PLAIN[0]).outcome == "already_logged_in"
            assert again.by_phone(TWO_FA_UNKNOWN).outcome == "2fa_locked"
            assert again.by_phone(BANNED).outcome == "banned"
            assert again.by_phone(UNOCCUPIED).outcome == "needs_app_registration"
            assert len(r.world.auth_keys) - keys_before == 1  # only the unoccupied number asked again

            # the right password turns up, but the limit is spent: still locked until an operator resets
            r.advance(301)  # the codes expire: fresh codes, fresh SMS (the driver drops a byte-identical repeat)
            found = PasswordBook.parse(f"{TWO_FA_UNKNOWN}: nobody-knows\n")
            third = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, passwords=found, vault=r.vault)
            assert third.by_phone(TWO_FA_UNKNOWN).outcome == "2fa_locked"
            with sqlite_db.session() as s:
                assert len(tries(s, locked.id)) == 3  # the third run added none: the limit was spent
            assert reset_account(sqlite_db, TWO_FA_UNKNOWN).state == "new"
            with sqlite_db.session() as s:
                assert tries(s, locked.id) == []  # the operator's reset forgets them
            fourth = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, passwords=found, vault=r.vault)
            assert fourth.by_phone(TWO_FA_UNKNOWN).outcome == "logged_in"
            with sqlite_db.session() as s:
                assert tries(s, locked.id) == []

    run(body, 100)


def test_flood_wait_during_login_is_persisted_and_resumed(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)
    numbers = [PLAIN[0], PLAIN[1], APP_FIRST]

    async def body() -> None:
        async with rig(sqlite_db, settings, numbers, build) as r:
            # asking for the SMS (auth.resendCode) is flood-limited: only the SIM whose code went to the app
            r.world.faults.inject("FLOOD_WAIT", seconds=600, method="auth.ResendCode")
            first = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault, clock=r.clock)
            assert first.by_phone(PLAIN[0]).outcome == "logged_in"
            assert first.by_phone(PLAIN[1]).outcome == "logged_in"
            waiting = first.by_phone(APP_FIRST)
            assert waiting.outcome == "cooling" and waiting.detail == "FLOOD_WAIT_600"
            with sqlite_db.session() as s:
                acc = s.scalars(select(Account).where(Account.phone == APP_FIRST)).one()
                assert acc.state == "cooling" and acc.session_enc is None
                cds = s.scalars(select(AccountCooldown).where(AccountCooldown.account_id == acc.id)).all()
                assert [(c.request_kind, c.reason) for c in cds] == [("login", "FLOOD_WAIT_600")]
            # a run before the wait is over does not touch it
            early = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault, clock=r.clock)
            assert early.by_phone(APP_FIRST).outcome == "cooling"
            assert "login waits until" in early.by_phone(APP_FIRST).detail
            # later: the run finishes the waiting one
            r.advance(601)
            later = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault, clock=r.clock)
            assert later.by_phone(APP_FIRST).outcome == "logged_in"
            assert later.by_phone(PLAIN[0]).outcome == "already_logged_in"
            with sqlite_db.session() as s:
                acc = s.scalars(select(Account).where(Account.phone == APP_FIRST)).one()
                assert acc.state == "active" and acc.session_enc is not None and acc.cooldown_until is None

    run(body, 100)


class LossyGateway(SimBoxGateway):
    """The network loses the first SMS to one number (it happens)."""

    def __init__(self, emulator: object, lose: str) -> None:
        super().__init__(emulator)
        self.lose: str | None = lose

    async def deliver(self, phone: str, text: str) -> None:
        if self.lose and phone.lstrip("+") == self.lose.lstrip("+"):
            self.lose = None
            return
        await super().deliver(phone, text)


def test_a_lost_sms_fails_that_sim_only_and_the_next_run_logs_it_in(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path, sms_code_timeout_s=1.0)
    numbers = [PLAIN[0], PLAIN[1]]

    async def body() -> None:
        async with rig(sqlite_db, settings, numbers, build) as r:
            r.world.sms = LossyGateway(r.emu, PLAIN[1])
            first = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault)
            assert first.by_phone(PLAIN[0]).outcome == "logged_in"
            lost = first.by_phone(PLAIN[1])
            assert lost.outcome == "failed" and "no SMS with a login code" in lost.detail
            assert not first.ok
            with sqlite_db.session() as s:
                acc = s.scalars(select(Account).where(Account.phone == PLAIN[1])).one()
                assert acc.state == "new" and acc.lease_owner is None and acc.session_enc is None
            again = await login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault)
            assert again.by_phone(PLAIN[1]).outcome == "logged_in" and again.ok

    run(body, 60)


def test_two_runs_at_once_log_each_sim_in_once(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)
    numbers = PLAIN[:4]

    async def body() -> None:
        async with rig(sqlite_db, settings, numbers, build) as r:
            one, two = await asyncio.gather(
                login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault),
                login_all(sqlite_db, settings, r.modems, sandbox=r.server, vault=r.vault),
            )
            for phone in numbers:
                outcomes = [one.by_phone(phone).outcome, two.by_phone(phone).outcome]
                assert outcomes.count("logged_in") == 1, outcomes
                assert {*outcomes} - {"logged_in"} <= {"already_logged_in", "skipped"}, outcomes
            bound = [k for k in r.world.auth_keys.values() if k.user_id is not None]
            assert len(bound) == len(numbers)
            with sqlite_db.session() as s:
                assert all(a.lease_owner is None and a.state == "active" for a in s.scalars(select(Account)))

    run(body, 60)
