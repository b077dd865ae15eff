"""Health: is each session alive, and what restrictions does the account see on itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from prokai.accounts.pool import AccountPool, LeaseRefused
from prokai.accounts.state import active_cooldowns, aware, find_account
from prokai.store.db import Database
from prokai.store.models import Account


@dataclass
class CheckResult:
    """One account's check."""

    phone: str
    state: str
    alive: bool
    detail: str = ""
    restrictions: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"phone": self.phone, "state": self.state, "alive": self.alive, "detail": self.detail,
                "restrictions": self.restrictions}


def _phones(db: Database, refs: list[str] | None) -> list[str]:
    with db.session() as s:
        if not refs:
            return list(s.scalars(select(Account.phone).order_by(Account.id)))
        out = []
        for ref in refs:
            acc = find_account(s, ref)
            if acc is None:
                raise KeyError(f"no account {ref}")
            out.append(acc.phone)
        return out


async def check_accounts(pool: AccountPool, refs: list[str] | None = None) -> list[CheckResult]:
    """Connect every account that has a session and ask the server about it (states updated)."""
    from telethon import errors
    from telethon.tl import functions, types

    pool.refresh_all()
    results: list[CheckResult] = []
    for phone in _phones(pool.db, refs):
        try:
            async with pool.lease(kind="check", account=phone, receive_updates=False) as lease:
                full = await lease.client(functions.users.GetFullUserRequest(types.InputUserSelf()))
                me = full.users[0]
                notes: list[str] = []
                if getattr(me, "restricted", False):
                    notes += [f"{r.platform}: {r.reason}: {r.text}" for r in (me.restriction_reason or [])] or ["restricted"]
                for flag in ("scam", "fake", "deleted"):
                    if getattr(me, flag, False):
                        notes.append(flag)
                _remember(pool.db, lease.account.id, me)
                results.append(CheckResult(phone, _state(pool.db, phone), True, f"user id {me.id}", notes))
        except LeaseRefused as exc:
            results.append(CheckResult(phone, _state(pool.db, phone), False, str(exc)))
        except errors.RPCError as exc:
            results.append(CheckResult(phone, _state(pool.db, phone), False, type(exc).__name__))
    return results


def _remember(db: Database, account_id: int, me: Any) -> None:
    with db.session() as s:
        acc = s.get(Account, account_id)
        if acc is not None:
            acc.telegram_user_id = me.id
            acc.username = getattr(me, "username", None)


def _state(db: Database, phone: str) -> str:
    with db.session() as s:
        acc = s.scalars(select(Account).where(Account.phone == phone)).one()
        return acc.state


def listing(db: Database, now: Any, settings: Any | None = None) -> list[dict[str, Any]]:
    """Every account: state, reason, cooldowns per kind, lease, last use, proxy (redacted); with
    `settings`, `proxy_changed` says the config now names another proxy than the session uses."""
    from prokai.accounts.clients import ProxyError, parse_proxy, proxy_for

    rows: list[dict[str, Any]] = []
    with db.session() as s:
        for acc in s.scalars(select(Account).order_by(Account.id)):
            proxy = None
            if acc.proxy:
                try:
                    proxy = parse_proxy(acc.proxy).redacted()
                except ProxyError:
                    proxy = "invalid"
            lease_until = aware(acc.lease_until)
            rows.append({
                "id": acc.id, "phone": acc.phone, "username": acc.username, "state": acc.state,
                "reason": acc.state_reason, "session": acc.session_enc is not None, "key_id": acc.key_id,
                "cooldowns": {c.request_kind: _iso(c.until) for c in active_cooldowns(s, acc, now)},
                "leased_by": acc.lease_owner if lease_until and lease_until > now else None,
                "last_used_at": _iso(acc.last_used_at),
                "proxy": proxy, "seized": acc.seized,
                "proxy_changed": settings is not None and acc.proxy != proxy_for(settings, acc.phone),
            })
    return rows


def _iso(value: Any) -> str | None:
    when = aware(value)
    return when.isoformat(timespec="seconds") if when is not None else None
