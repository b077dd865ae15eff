"""The account pool: leases on sessions, errors turned into states and cooldowns.

    pool = AccountPool(db, settings)
    async with pool.lease(kind="message") as lease:       # LeaseRefused if none is free
        await lease.client.send_message("shop_bot", "/start")

One live client per session, across processes and nodes: a lease is taken with a conditional
UPDATE (`… WHERE lease_owner IS NULL OR lease_until < now`) and renewed while held. The owner
token (`host:pid:start:random`) names the process that holds it and fences it: renewing and
releasing are conditional on the token, so a holder whose lease was taken over learns so and
stops. A lease held by a dead process on this host (kill -9; its pid gone, or reused by a process
that started later) is taken over at once with a compare-and-set on that token; a lease of another
host frees when it expires (`accounts.lease_ttl_s`). A Telegram error that escapes the
`async with` body is reported (state, cooldown, audit) before it propagates.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from prokai.accounts.clients import Endpoint, build_client, endpoint_from_settings, session_string
from prokai.accounts.errors import KIND_READ, Verdict, verdict
from prokai.accounts.liveness import announce, holder_is_gone
from prokai.accounts.state import (
    Clock,
    allowed_states,
    apply_verdict,
    aware,
    cooldown_for,
    open_session,
    refresh,
    set_state,
    store_session,
    utcnow,
)
from prokai.accounts.vault import Vault
from prokai.accounts.watchdog import Watchdog
from prokai.config import Settings
from prokai.store.db import Database
from prokai.store.models import Account, AccountState

if TYPE_CHECKING:
    from telethon import TelegramClient

log = logging.getLogger(__name__)
ACTOR = "accounts"


class LeaseRefused(Exception):
    """No session could be leased (named account busy, unusable, or none free).

    `busy`: at least one account that could serve is only leased by a live holder right now,
    so waiting may help; False when no account can serve at all (banned, cooling, none)."""

    def __init__(self, message: str, *, busy: bool = False) -> None:
        super().__init__(message)
        self.busy = busy


@dataclass
class Lease:
    """A leased, connected session: use `client`; `account` is a snapshot of the row."""

    client: TelegramClient
    account: Account
    kind: str
    owner: str
    lost: bool = False
    watchdog: Watchdog | None = field(default=None, repr=False)


def _start_ticks(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, /proc), None if unknown or gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    if len(fields) < 20:
        return None
    return "Z" if fields[0] in ("Z", "X") else fields[19]  # a zombie is dead for our purposes


def node_name() -> str:
    """This process, as a lease owner prefix: host:pid:start (start: /proc start time, or 0)."""
    pid = os.getpid()
    return f"{socket.gethostname()}:{pid}:{_start_ticks(pid) or 0}"


def owner_is_dead(owner: str | None) -> bool:
    """Whether the process named by lease token `owner` is certainly gone (same host only).

    Unknown formats, other hosts and live processes count as alive: their leases wait for the TTL.
    """
    if not owner:
        return False
    parts = owner.split(":")
    if len(parts) < 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    if not Path("/proc").is_dir():
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        except OSError:
            return False
        return False
    started = _start_ticks(pid)
    if started is None or started == "Z":
        return True
    recorded = parts[2] if len(parts) > 2 else ""
    # The pid was reused by a process that started later: the holder is gone.
    return recorded.isdigit() and recorded != "0" and recorded != started


class AccountPool:
    """Leases, errors → states, cooldowns. Thread-compatible; one instance per process is enough."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        *,
        vault: Vault | None = None,
        endpoint: Endpoint | None = None,
        clock: Clock = utcnow,
        watchdog: bool = True,
    ) -> None:
        """`watchdog=False` turns off reconnecting (leases are renewed either way)."""
        self.db = db
        self.settings = settings
        self.vault = vault or Vault.from_settings(settings)
        self.endpoint = endpoint if endpoint is not None else endpoint_from_settings(settings)
        self.clock = clock
        self.watchdog = watchdog
        self.node = announce(db.engine, node_name())  # on PostgreSQL: judged alive by its lock

    # ------------------------------------------------------------------ leases (database)

    def acquire(
        self,
        kind: str = KIND_READ,
        account: str | int | None = None,
        *,
        also: Iterable[str] = (),
        avoid: Iterable[int] = (),
    ) -> tuple[Account, str]:
        """Take a lease row-wise; returns the account snapshot and the lease owner token.

        `also`: further request kinds that must not be cooling down (e.g. "resolve" for a crawler
        that looks up usernames); `avoid`: account ids not to hand out (when picking any)."""
        from prokai.accounts.state import find_account

        now = self.clock()
        owner = f"{self.node}:{uuid.uuid4().hex[:12]}"
        until = now + timedelta(seconds=self.settings.accounts.lease_ttl_s)
        allowed = [s.value for s in allowed_states(kind)]
        with self.db.session() as s:
            reap_dead_leases(s)
            if account is not None:
                acc = s.get(Account, account) if isinstance(account, int) else find_account(s, account)
                if acc is None:
                    raise LeaseRefused(f"no account {account}")
                candidates = [acc]
            else:
                skip = set(avoid)
                candidates = [
                    a for a in s.scalars(
                        select(Account)
                        .where(Account.session_enc.is_not(None), Account.state.in_(allowed))
                        .order_by(Account.last_used_at.is_not(None), Account.last_used_at, Account.id)
                    )
                    if a.id not in skip
                ]
            reasons: list[str] = []
            busy = False
            for acc in candidates:
                refresh(s, acc, now, ACTOR)
                s.flush()
                if acc.session_enc is None:
                    reasons.append(f"{acc.phone}: no session (state {acc.state})")
                    continue
                if acc.state not in allowed:
                    reasons.append(f"{acc.phone}: state {acc.state} does not allow {kind}")
                    continue
                blocked = [(k, e) for k in (kind, *also) if (e := cooldown_for(s, acc, k, now)) is not None]
                if blocked:
                    k, ends = blocked[0]
                    reasons.append(f"{acc.phone}: cooling down for {k} until {ends:%Y-%m-%d %H:%M:%S} UTC")
                    continue
                if take_lease(s, acc.id, owner, until, now, need_session=True):
                    s.refresh(acc)
                    s.expunge(acc)
                    return acc, owner
                reasons.append(f"{acc.phone}: already leased")
                busy = True
        if account is not None:
            raise LeaseRefused(reasons[0] if reasons else f"account {account} cannot be leased", busy=busy)
        raise LeaseRefused(f"no session free for {kind}" + (f" ({'; '.join(reasons[:3])})" if reasons else ""),
                           busy=busy)

    def renew(self, account_id: int, owner: str) -> bool:
        """Extend a held lease; False if it was lost (expired and taken by someone else)."""
        now = self.clock()
        until = now + timedelta(seconds=self.settings.accounts.lease_ttl_s)
        with self.db.session() as s:
            result = s.execute(
                update(Account)
                .where(Account.id == account_id, Account.lease_owner == owner)
                .values(lease_until=until, last_used_at=now)
                .execution_options(synchronize_session=False)
            )
            return getattr(result, "rowcount", 0) == 1

    def release(self, account_id: int, owner: str, new_session: str | None = None) -> None:
        """Give a lease back (and store the session if the client changed it)."""
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            if acc is None or acc.lease_owner != owner:
                return
            if new_session and acc.session_enc is not None and open_session(acc, self.vault) != new_session:
                store_session(s, acc, self.vault, new_session)
            acc.lease_owner = None
            acc.lease_until = None

    # ------------------------------------------------------------------ leases (clients)

    @asynccontextmanager
    async def lease(
        self,
        kind: str = KIND_READ,
        account: str | int | None = None,
        *,
        also: Iterable[str] = (),
        avoid: Iterable[int] = (),
        receive_updates: bool = True,
    ) -> AsyncIterator[Lease]:
        """A connected client on a leased session (see `acquire` for the arguments); Telegram
        errors that escape the block are reported (state, cooldown, audit), then raised."""
        from telethon import errors

        tried = set(avoid)
        while True:
            acc, owner = self.acquire(kind, account, also=also, avoid=tried)
            try:
                client = await self._open(acc, kind, receive_updates)
            except LeaseRefused:
                self.release(acc.id, owner)
                if account is not None:
                    raise
                tried.add(acc.id)  # that session is dead: try another one
                continue
            except BaseException:
                self.release(acc.id, owner)
                raise
            break
        lease: Lease | None = None
        try:
            lease = Lease(client, acc, kind, owner)
            lease.watchdog = self._watch(lease)
            yield lease
        except errors.RPCError as exc:
            self.report_error(acc, exc, kind)
            raise
        finally:
            new_text = None
            with contextlib.suppress(Exception):
                new_text = session_string(client) if client.session.auth_key else None
            try:
                if lease is not None and lease.watchdog is not None:
                    await lease.watchdog.stop()
                with contextlib.suppress(Exception):
                    await client.disconnect()
            finally:
                # Also when a cancellation (SIGTERM) interrupts the disconnect: never leave it held.
                self.release(acc.id, owner, new_text)

    async def _open(self, acc: Account, kind: str, receive_updates: bool) -> TelegramClient:
        """A connected client on `acc`'s session whose key the server accepts; LeaseRefused (and
        the account's new state recorded) when the session is dead."""
        from telethon import errors
        from telethon.tl import functions

        client = build_client(
            self.settings, acc.phone, open_session(acc, self.vault), device=acc.device or None, proxy=acc.proxy,
            endpoint=self.endpoint, receive_updates=receive_updates,
        )
        try:
            await client.connect()
            await client(functions.users.GetUsersRequest([_self_user()]))
        except errors.RPCError as exc:
            self.report_error(acc, exc, kind)
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise LeaseRefused(f"{acc.phone}: {type(exc).__name__}") from exc
        except BaseException:
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise
        return client

    def _watch(self, lease: Lease) -> Watchdog:
        acc = self.settings.accounts

        renew_every = timedelta(seconds=acc.lease_ttl_s / 3)
        renewed = [self.clock()]

        async def tick() -> bool:
            now = self.clock()
            if now - renewed[0] < renew_every:
                return True
            if not self.renew(lease.account.id, lease.owner):
                lease.lost = True
                log.warning("lease on %s lost (expired and taken); disconnecting", lease.account.phone)
                await lease.client.disconnect()
                return False
            renewed[0] = now
            return True

        async def dead(exc: BaseException) -> None:
            self.report_error(lease.account, exc, lease.kind)

        dog = Watchdog(
            lease.client, interval=acc.watchdog_interval_s, max_backoff=acc.watchdog_max_backoff_s,
            name=lease.account.phone, on_dead=dead, on_tick=tick, reconnect=self.watchdog,
        )
        dog.start()
        return dog

    # ------------------------------------------------------------------ errors and states

    def report_error(self, account: Account | int, exc: BaseException, kind: str | None = None) -> Verdict | None:
        """Record what a Telegram error means for `account` (state, cooldown, audit); None if nothing."""
        v = verdict(exc, kind, self.settings.accounts.peer_flood_cooldown_s)
        if v is None:
            return None
        account_id = account if isinstance(account, int) else account.id
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            if acc is None:
                return v
            apply_verdict(s, acc, v, self.clock(), ACTOR)
            log.warning("account %s: %s -> %s", acc.phone, v.reason, acc.state)
        return v

    def refresh_all(self) -> None:
        """End cooldowns that are over and bring those accounts back."""
        now = self.clock()
        with self.db.session() as s:
            for acc in s.scalars(select(Account)):
                refresh(s, acc, now, ACTOR)

    def mark(self, account: Account | int, state: AccountState, reason: str, **details: Any) -> None:
        """Set a state by hand (audited)."""
        account_id = account if isinstance(account, int) else account.id
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            if acc is not None:
                set_state(s, acc, state, reason, ACTOR, **details)

    def lease_holder(self, account_id: int) -> tuple[str | None, datetime | None]:
        """Who holds the lease on an account and until when (for listings)."""
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            if acc is None:
                return None, None
            return acc.lease_owner, aware(acc.lease_until)


def take_lease(
    s: Session, account_id: int, owner: str, until: datetime, now: datetime, *, need_session: bool
) -> bool:
    """The conditional UPDATE behind every lease: it succeeds for one taker only, in any process.

    A free or expired lease is taken; a lease whose holder died, on this host (`owner_is_dead`) or
    on another one sharing this PostgreSQL database (`liveness.holder_is_gone`), is taken over with
    a compare-and-set on the dead holder's token, audited."""
    conds = [
        Account.id == account_id,
        or_(Account.lease_owner.is_(None), Account.lease_until.is_(None), Account.lease_until < now),
    ]
    if need_session:
        conds.append(Account.session_enc.is_not(None))
    result = s.execute(
        update(Account)
        .where(*conds)
        .values(lease_owner=owner, lease_until=until, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) == 1:
        return True
    held_by = s.scalar(select(Account.lease_owner).where(Account.id == account_id))
    if not owner_is_dead(held_by) and not holder_is_gone(s, held_by or ""):
        return False
    conds[1] = Account.lease_owner == held_by
    result = s.execute(
        update(Account)
        .where(*conds)
        .values(lease_owner=owner, lease_until=until, last_used_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        return False
    from prokai.store.audit import audit

    audit(s, ACTOR, "lease.taken_over", "account", account_id, dead_owner=held_by, owner=owner)
    log.warning("account %s: lease of dead process %s taken over", account_id, held_by)
    return True


def reap_dead_leases(s: Session) -> int:
    """Free every lease held by a dead process of this host (compare-and-set, audited); how many."""
    freed = 0
    for account_id, held_by in s.execute(select(Account.id, Account.lease_owner).where(Account.lease_owner.is_not(None))).all():
        if not owner_is_dead(held_by) and not holder_is_gone(s, held_by or ""):
            continue
        result = s.execute(
            update(Account)
            .where(Account.id == account_id, Account.lease_owner == held_by)
            .values(lease_owner=None, lease_until=None)
            .execution_options(synchronize_session=False)
        )
        if getattr(result, "rowcount", 0) == 1:
            from prokai.store.audit import audit

            audit(s, ACTOR, "lease.reaped", "account", account_id, dead_owner=held_by)
            log.warning("account %s: lease of dead process %s freed", account_id, held_by)
            freed += 1
    return freed


def drop_lease(s: Session, account_id: int, owner: str) -> None:
    """Give a lease back if `owner` still holds it."""
    s.execute(
        update(Account)
        .where(Account.id == account_id, Account.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )


def _self_user() -> Any:
    from telethon.tl import types

    return types.InputUserSelf()
