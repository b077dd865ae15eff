"""Account states, cooldowns and sealed sessions in the database; every transition is audited.

All functions take an open SQLAlchemy session and leave committing to the caller, so a state
change and its audit record are stored together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from prokai.accounts.errors import KIND_ANY, READ_KINDS, Verdict
from prokai.accounts.vault import Vault
from prokai.store.audit import audit
from prokai.store.models import Account, AccountCooldown, AccountState

Clock = Callable[[], datetime]

# States in which a session may be leased, by the kind of work.
WORK_STATES = frozenset({AccountState.ACTIVE, AccountState.COOLING})
READ_STATES = WORK_STATES | {AccountState.LIMITED}
# States a cooldown may move an account into (a banned or frozen account stays what it is).
_COOLABLE = frozenset(
    {
        AccountState.NEW,
        AccountState.ACTIVE,
        AccountState.COOLING,
        AccountState.NEEDS_RELOGIN,
        AccountState.NEEDS_APP_REGISTRATION,
    }
)
# States that kill the session (it cannot be used again: clear it).
_SESSION_DEAD = frozenset({AccountState.NEEDS_RELOGIN, AccountState.BANNED})


def utcnow() -> datetime:
    """Now, timezone-aware UTC."""
    return datetime.now(UTC)


def aware(value: datetime | None) -> datetime | None:
    """`value` as aware UTC (databases may hand back naive UTC)."""
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def allowed_states(kind: str) -> frozenset[AccountState]:
    """States whose sessions may be leased for work of `kind` (limited accounts may only read)."""
    return READ_STATES if kind in READ_KINDS else WORK_STATES


def set_state(
    session: Session, account: Account, state: AccountState, reason: str | None, actor: str, **details: Any
) -> bool:
    """Move `account` to `state` (audited); returns False when nothing changed."""
    old = account.state
    if old == state.value and account.state_reason == reason:
        return False
    account.state = state.value
    account.state_reason = reason
    if state in _SESSION_DEAD and account.session_enc is not None:
        account.session_enc = None
        account.key_id = None
        details["session_cleared"] = True
    audit(
        session, actor, "account.state", "account", account.id,
        phone=account.phone, old=old, new=state.value, reason=reason, **details,
    )
    return True


def active_cooldowns(session: Session, account: Account, now: datetime) -> list[AccountCooldown]:
    """Cooldowns of `account` that have not ended."""
    rows = session.scalars(select(AccountCooldown).where(AccountCooldown.account_id == account.id)).all()
    return [r for r in rows if (aware(r.until) or now) > now]


def cooldown_for(session: Session, account: Account, kind: str, now: datetime) -> datetime | None:
    """When the cooldown blocking `kind` (or every kind) ends, if one is active."""
    ends = [aware(c.until) for c in active_cooldowns(session, account, now) if c.request_kind in (kind, KIND_ANY)]
    return max((e for e in ends if e is not None), default=None)


def add_cooldown(
    session: Session, account: Account, kind: str, seconds: float, reason: str, now: datetime, actor: str
) -> datetime:
    """Persist a wait of `seconds` on `kind` (the longer of an existing one and this one wins)."""
    until = now + timedelta(seconds=seconds)
    row = session.scalars(
        select(AccountCooldown).where(AccountCooldown.account_id == account.id, AccountCooldown.request_kind == kind)
    ).one_or_none()
    if row is None:
        session.add(AccountCooldown(account_id=account.id, request_kind=kind, until=until, reason=reason))
    elif (aware(row.until) or now) < until:
        row.until = until
        row.reason = reason
    else:
        until = aware(row.until) or until
    current = aware(account.cooldown_until)
    if current is None or current < until or current <= now:
        account.cooldown_until = until
    audit(
        session, actor, "account.cooldown", "account", account.id,
        phone=account.phone, kind=kind, seconds=seconds, until=until.isoformat(), reason=reason,
    )
    return until


def apply_verdict(session: Session, account: Account, verdict: Verdict, now: datetime, actor: str) -> None:
    """Record what an error means: a cooldown on its request kind and/or a new state."""
    if verdict.cooldown_s is not None and verdict.kind is not None:
        add_cooldown(session, account, verdict.kind, verdict.cooldown_s, verdict.reason, now, actor)
    current = AccountState(account.state)
    if verdict.state == AccountState.COOLING:
        if current in _COOLABLE and current != AccountState.COOLING:
            set_state(session, account, AccountState.COOLING, verdict.reason, actor)
        return
    if verdict.state == AccountState.LIMITED and current in (AccountState.BANNED, AccountState.FROZEN):
        return
    if current == AccountState.BANNED and verdict.state != AccountState.BANNED:
        return
    set_state(session, account, verdict.state, verdict.reason, actor)


def refresh(session: Session, account: Account, now: datetime, actor: str) -> None:
    """Forget ended cooldowns; a cooling or limited account with none left becomes usable again."""
    session.execute(
        delete(AccountCooldown).where(AccountCooldown.account_id == account.id, AccountCooldown.until <= now)
    )
    left = active_cooldowns(session, account, now)
    ends = [e for e in (aware(c.until) for c in left) if e is not None]
    account.cooldown_until = max(ends) if ends else None
    state = AccountState(account.state)
    if state in (AccountState.COOLING, AccountState.LIMITED) and not left:
        if account.session_enc is not None:
            set_state(session, account, AccountState.ACTIVE, "cooldown over", actor)
        elif account.telegram_user_id is not None:
            set_state(session, account, AccountState.NEEDS_RELOGIN, "cooldown over, no session", actor)
        else:
            set_state(session, account, AccountState.NEW, "cooldown over", actor)


def store_session(session: Session, account: Account, vault: Vault, session_string: str) -> None:
    """Seal `session_string` into the account row (never stored in plain text)."""
    sealed = vault.seal(account.phone, session_string)
    account.session_enc = sealed.blob
    account.key_id = sealed.key_id


def open_session(account: Account, vault: Vault) -> str | None:
    """The account's session string, or None if it has none."""
    if account.session_enc is None:
        return None
    return vault.open(account.phone, bytes(account.session_enc), account.key_id)


def find_account(session: Session, ref: str) -> Account | None:
    """An account by id, phone (`+7…` or digits) or username."""
    ref = ref.strip()
    if ref.isdigit() and len(ref) < 9:
        acc = session.get(Account, int(ref))
        if acc is not None:
            return acc
    digits = "".join(c for c in ref if c.isdigit())
    if digits and not ref.startswith("@"):
        acc = session.scalars(select(Account).where(Account.phone.in_([ref, "+" + digits, digits]))).first()
        if acc is not None:
            return acc
    return session.scalars(select(Account).where(Account.username == ref.lstrip("@"))).first()


def normalize_phone(phone: str) -> str:
    """`+` and digits: '+7 701 123-45-67' -> '+77011234567'."""
    return "+" + "".join(c for c in phone if c.isdigit())
