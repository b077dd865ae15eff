"""Vault operations over the database: status, rekey, and moving one session between nodes."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select

from prokai.accounts.state import find_account, normalize_phone, open_session, set_state, store_session
from prokai.accounts.vault import Vault, VaultError, open_export, seal_export
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Account, AccountState, Sim, TwoFactorTry

ACTOR = "accounts.vault"


@dataclass
class RekeyReport:
    rekeyed: int = 0
    current: int = 0
    failed: list[str] = field(default_factory=list)


def key_usage(db: Database) -> dict[str, int]:
    """How many sealed sessions each key id seals."""
    with db.session() as s:
        return dict(Counter(k or "?" for k in s.scalars(select(Account.key_id).where(Account.session_enc.is_not(None)))))


def rekey(db: Database, vault: Vault) -> RekeyReport:
    """Re-seal every session not under the current key (old keys must be loaded in `vault`).

    One transaction: either every session that could be opened is re-sealed, or none is.
    """
    report = RekeyReport()
    with db.session() as s:
        for acc in s.scalars(select(Account).where(Account.session_enc.is_not(None)).order_by(Account.id)):
            if acc.key_id == vault.current_id:
                report.current += 1
                continue
            try:
                text = open_session(acc, vault)
            except VaultError as exc:
                report.failed.append(str(exc))
                continue
            assert text is not None
            old = acc.key_id
            store_session(s, acc, vault, text)
            audit(s, ACTOR, "vault.rekey", "account", acc.id, phone=acc.phone, old_key_id=old, new_key_id=vault.current_id)
            report.rekeyed += 1
    return report


def export_session(db: Database, vault: Vault, ref: str, passphrase: str, *, keep: bool = False) -> str:
    """One account's session as a passphrase-sealed document; the local copy is dropped unless `keep`
    (one live client per session: the account now lives on the other node)."""
    with db.session() as s:
        acc = find_account(s, ref)
        if acc is None:
            raise VaultError(f"no account {ref}")
        if acc.session_enc is None:
            raise VaultError(f"account {acc.phone} has no session to export (state {acc.state})")
        if acc.lease_owner is not None:
            raise VaultError(f"account {acc.phone} is leased by {acc.lease_owner}; export it when it is free")
        text = open_session(acc, vault)
        sim = s.get(Sim, acc.sim_id) if acc.sim_id else None
        meta = dict(acc.meta or {})  # the 2FA tries (`account_2fa_tries`) are not carried to the other node
        record: dict[str, Any] = {
            "phone": acc.phone, "session": text, "device": acc.device, "proxy": acc.proxy,
            "telegram_user_id": acc.telegram_user_id, "username": acc.username, "state": acc.state,
            "seized": acc.seized, "iccid": sim.iccid if sim else None, "meta": meta,
        }
        doc = seal_export(passphrase, record)
        audit(s, ACTOR, "vault.export", "account", acc.id, phone=acc.phone, kept=keep)
        if not keep:
            set_state(s, acc, AccountState.NEEDS_RELOGIN, "session exported to another node", ACTOR)
        return doc


def import_session(db: Database, vault: Vault, doc: str, passphrase: str, *, force: bool = False) -> Account:
    """Store an exported session here, sealed with this node's key."""
    record = open_export(passphrase, doc)
    phone = normalize_phone(str(record["phone"]))
    with db.session() as s:
        acc = s.scalars(select(Account).where(Account.phone == phone)).one_or_none()
        if acc is not None and acc.session_enc is not None and not force:
            raise VaultError(f"account {phone} already has a session here (use --force to replace it)")
        if acc is None:
            acc = Account(phone=phone, state=AccountState.NEW.value, meta={})
            s.add(acc)
            s.flush()
        iccid = record.get("iccid")
        if iccid:
            sim = s.scalars(select(Sim).where(Sim.iccid == iccid)).one_or_none()
            if sim is None:
                sim = Sim(iccid=iccid, msisdn=phone)
                s.add(sim)
                s.flush()
            acc.sim_id = sim.id
        acc.device = record.get("device") or {}
        acc.proxy = record.get("proxy")
        acc.telegram_user_id = record.get("telegram_user_id")
        acc.username = record.get("username")
        acc.seized = bool(record.get("seized", True))
        acc.meta = {**(acc.meta or {}), **(record.get("meta") or {})}
        store_session(s, acc, vault, str(record["session"]))
        audit(s, ACTOR, "vault.import", "account", acc.id, phone=phone)
        set_state(s, acc, AccountState.ACTIVE, "session imported from another node", ACTOR)
        s.flush()
        s.expunge(acc)
        return acc


def reset_account(db: Database, ref: str, actor: str = "accounts.operator") -> Account:
    """An operator's reset: forget 2FA tries and cooldowns, free a stale lease, and make the account
    eligible for the next login run (a session in the vault is kept)."""
    from prokai.store.models import AccountCooldown

    with db.session() as s:
        acc = find_account(s, ref)
        if acc is None:
            raise VaultError(f"no account {ref}")
        s.execute(delete(AccountCooldown).where(AccountCooldown.account_id == acc.id))
        acc.cooldown_until = None
        acc.lease_owner = None
        acc.lease_until = None
        s.execute(delete(TwoFactorTry).where(TwoFactorTry.account_id == acc.id))
        audit(s, actor, "account.reset", "account", acc.id, phone=acc.phone, old_state=acc.state)
        state = AccountState.ACTIVE if acc.session_enc is not None else AccountState.NEW
        set_state(s, acc, state, "reset by an operator", actor)
        s.flush()
        s.expunge(acc)
        return acc
