"""The account pool against the sandbox: leases, errors turned into states, cooldowns, watchdog."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from accounts_harness import Rig, make_settings, rig, run
from sqlalchemy import select
from telethon import TelegramClient, errors
from telethon.sessions import StringSession
from telethon.tl import types

from prokai.accounts.clients import api_hash
from prokai.accounts.login import login_all
from prokai.accounts.pool import LeaseRefused
from prokai.accounts.state import open_session
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import Account, AccountCooldown, AuditRecord

pytestmark = pytest.mark.timeout(120)

A, B = "+77052220001", "+77052220002"


def build(world: World) -> None:
    world.add_account(A, "Alpha")
    world.add_account(B, "Bravo")
    world.add_bot("kladmen_bot", None)


async def logged_in(r: Rig) -> None:
    report = await login_all(r.db, r.settings, r.modems, sandbox=r.server, vault=r.vault)
    assert report.counts() == {"logged_in": 2}, report.results


def account(db: Database, phone: str) -> Account:
    with db.session() as s:
        acc = s.scalars(select(Account).where(Account.phone == phone)).one()
        s.expunge(acc)
        return acc


def test_second_lease_of_a_session_is_refused(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path, lease_ttl_s=60)

    async def body() -> None:
        async with rig(sqlite_db, settings, [A, B], build) as r:
            await logged_in(r)
            one, two = r.pool(), r.pool()  # two "processes"
            async with one.lease(account=A) as lease:
                assert (await lease.client.get_me()).phone == A.lstrip("+")
                with pytest.raises(LeaseRefused, match="already leased"):
                    two.acquire(account=A)
                # the other process gets the other session, then nothing
                async with two.lease() as other:
                    assert other.account.phone == B
                    with pytest.raises(LeaseRefused, match="no session free"):
                        async with two.lease():
                            pass
            # released: leasable again
            async with two.lease(account=A) as again:
                assert again.account.phone == A
                # a holder that stalls past the lease time loses it, and learns so
                r.clock.advance(61)
                thief_acc, thief = one.acquire(account=A)
                while not again.lost:
                    await asyncio.sleep(0.02)
                assert not again.client.is_connected()
            one.release(thief_acc.id, thief)

            # a crashed holder: its lease expires and another process takes it
            acc, owner = one.acquire(account=A)
            with pytest.raises(LeaseRefused):
                two.acquire(account=A)
            r.clock.advance(61)
            acc2, owner2 = two.acquire(account=A)
            assert not one.renew(acc.id, owner)  # the old holder learns it lost the lease
            assert two.renew(acc2.id, owner2)
            two.release(acc2.id, owner2)

    run(body, 90)


def test_session_used_from_a_second_ip_needs_relogin(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)

    async def body() -> None:
        async with rig(sqlite_db, settings, [A, B], build) as r:
            await logged_in(r)
            pool = r.pool(watchdog=False)
            text = open_session(account(r.db, A), r.vault)
            with pytest.raises(errors.AuthKeyDuplicatedError):
                async with pool.lease(account=A) as lease:
                    # the same session string, used by a client on another address (127.0.0.2)
                    thief = TelegramClient(StringSession(text), settings.telegram.api_id, api_hash(settings),
                                           local_addr=("127.0.0.2", 0), flood_sleep_threshold=0)
                    await thief.connect()
                    assert (await thief.get_me()).phone == A.lstrip("+")
                    await thief.disconnect()
                    uid = lease.account.telegram_user_id
                    assert uid is not None
                    # Telegram invalidates a key seen from two IPs at once (the sandbox: kill_sessions)
                    if not any(k.dead_reason for k in r.world.auth_keys.values()):
                        r.world.kill_sessions(uid, "AUTH_KEY_DUPLICATED")
                    await lease.client.get_dialogs()
            acc = account(r.db, A)
            assert acc.state == "needs_relogin"
            assert "AUTH_KEY_DUPLICATED" in (acc.state_reason or "")
            assert acc.session_enc is None and acc.lease_owner is None
            with pytest.raises(LeaseRefused):
                pool.acquire(account=A)
            # the next login run logs it in again through the SimBox
            report = await login_all(r.db, r.settings, r.modems, sandbox=r.server, vault=r.vault)
            assert report.by_phone(A).outcome == "logged_in"
            assert account(r.db, A).state == "active"

    run(body, 90)


def test_errors_become_states_and_cooldowns(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path, peer_flood_cooldown_s=3600)

    async def body() -> None:
        async with rig(sqlite_db, settings, [A, B], build) as r:
            await logged_in(r)
            pool = r.pool(watchdog=False)
            uid_a = account(r.db, A).telegram_user_id
            # FloodWait on a username look-up: a cooldown on "resolve" only, persisted
            r.world.faults.inject("FLOOD_WAIT", seconds=900, method="contacts.ResolveUsername", user_id=uid_a)
            with pytest.raises(errors.FloodWaitError):
                async with pool.lease(kind="resolve", account=A) as lease:
                    await lease.client.get_entity("kladmen_bot")
            acc = account(r.db, A)
            assert acc.state == "cooling" and acc.cooldown_until is not None
            with r.db.session() as s:
                cds = s.scalars(select(AccountCooldown).where(AccountCooldown.account_id == acc.id)).all()
                assert [(c.request_kind, c.reason) for c in cds] == [("resolve", "FLOOD_WAIT_900")]
            with pytest.raises(LeaseRefused, match="cooling down for resolve"):
                pool.acquire(kind="resolve", account=A)
            bot = r.world.resolve("kladmen_bot")
            assert bot is not None
            async with pool.lease(kind="message", account=A) as lease:  # other kinds still work
                await lease.client.send_message(types.InputPeerUser(bot.id, bot.access_hash), "/start")
            r.advance(901)
            async with pool.lease(kind="resolve", account=A) as lease:
                assert (await lease.client.get_entity("kladmen_bot")).username == "kladmen_bot"
            assert account(r.db, A).state == "active"

            # PEER_FLOOD: limited, may read but not write
            r.world.faults.inject("PEER_FLOOD", method="messages.SendMessage", user_id=uid_a)
            with pytest.raises(errors.PeerFloodError):
                async with pool.lease(kind="message", account=A) as lease:
                    await lease.client.send_message("kladmen_bot", "hello")
            assert account(r.db, A).state == "limited"
            with pytest.raises(LeaseRefused, match="does not allow message"):
                pool.acquire(kind="message", account=A)
            async with pool.lease(kind="read", account=A) as lease:
                assert await lease.client.get_dialogs()
            r.advance(3601)
            pool.refresh_all()
            assert account(r.db, A).state == "active"

            # frozen, then banned
            r.world.faults.inject("FROZEN_METHOD_INVALID", method="messages.SendMessage", user_id=uid_a)
            with pytest.raises(errors.FrozenMethodInvalidError):
                async with pool.lease(kind="message", account=A) as lease:
                    await lease.client.send_message("kladmen_bot", "hello")
            assert account(r.db, A).state == "frozen"
            bravo = r.world.user_by_phone(B)
            assert bravo is not None
            bravo.banned = True
            with pytest.raises(LeaseRefused, match="UserDeactivatedBan"):
                async with pool.lease(account=B):
                    pass
            acc_b = account(r.db, B)
            assert acc_b.state == "banned" and acc_b.session_enc is None
            with r.db.session() as s:
                moves = [(a.details["old"], a.details["new"]) for a in s.scalars(
                    select(AuditRecord).where(AuditRecord.action == "account.state", AuditRecord.object_id == str(acc.id))
                ).all()]
            assert moves[-6:] == [("new", "active"), ("active", "cooling"), ("cooling", "active"),
                                  ("active", "limited"), ("limited", "active"), ("active", "frozen")]

    run(body, 90)


def test_watchdog_reconnects_after_the_server_was_down(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)

    async def body() -> None:
        async with rig(sqlite_db, settings, [A, B], build) as r:
            await logged_in(r)
            pool = r.pool()
            async with pool.lease(account=A) as lease:
                assert lease.watchdog is not None
                await r.server.stop()
                while lease.client.is_connected():  # Telethon gives up after its retries
                    await asyncio.sleep(0.05)
                await asyncio.sleep(0.3)  # the watchdog keeps trying while the server is down
                await r.server.start()
                while lease.watchdog.reconnects < 1:
                    await asyncio.sleep(0.05)
                assert (await lease.client.get_me()).phone == A.lstrip("+")
            assert account(r.db, A).state == "active"

    run(body, 90)


def test_each_account_goes_through_its_own_fixed_proxy(sqlite_db: Database, tmp_path: Path) -> None:
    from accounts_socks5 import Socks5Proxy

    from prokai.accounts.health import listing
    from prokai.accounts.state import utcnow

    async def body() -> None:
        proxy = Socks5Proxy("case12", "s3cret-proxy-pw")
        await proxy.start()
        settings = make_settings(sqlite_db.url, tmp_path, proxies={A: f"socks5://case12:s3cret-proxy-pw@127.0.0.1:{proxy.port}"})
        try:
            async with rig(sqlite_db, settings, [A, B], build) as r:
                await logged_in(r)
                logins = len(proxy.connects)
                assert logins >= 1 and all(p == r.server.port for _, p, _ in proxy.connects)  # A's login went through it
                assert account(r.db, A).proxy and account(r.db, B).proxy is None
                async with r.pool().lease(account=A) as lease:
                    assert (await lease.client.get_me()).phone == A.lstrip("+")
                assert len(proxy.connects) > logins
                seen = len(proxy.connects)
                async with r.pool().lease(account=B) as lease:  # B has no proxy: direct
                    await lease.client.get_me()
                assert len(proxy.connects) == seen
                rows = {row["phone"]: row for row in listing(r.db, utcnow(), settings)}
                assert rows[A]["proxy"] == f"socks5://***@127.0.0.1:{proxy.port}" and not rows[A]["proxy_changed"]
                # the config changes: the session keeps its proxy, and the listing says so
                settings.accounts.proxies = {A: "socks5://127.0.0.1:1"}
                rows = {row["phone"]: row for row in listing(r.db, utcnow(), settings)}
                assert rows[A]["proxy_changed"] and not rows[B]["proxy_changed"]
                async with r.pool().lease(account=A) as lease:
                    assert (await lease.client.get_me()).phone == A.lstrip("+")
        finally:
            await proxy.close()

    run(body, 90)


def test_any_lease_skips_a_session_the_server_killed(sqlite_db: Database, tmp_path: Path) -> None:
    settings = make_settings(sqlite_db.url, tmp_path)

    async def body() -> None:
        async with rig(sqlite_db, settings, [A, B], build) as r:
            await logged_in(r)
            uid_a = account(r.db, A).telegram_user_id
            assert uid_a is not None
            r.world.kill_sessions(uid_a, "SESSION_REVOKED")  # e.g. the owner ended it from a handset
            async with r.pool().lease() as lease:  # A comes first (same use, lower id) and is dead
                assert lease.account.phone == B
            acc = account(r.db, A)
            assert acc.state == "needs_relogin" and "SESSION_REVOKED" in (acc.state_reason or "")
            assert acc.lease_owner is None

    run(body, 60)
