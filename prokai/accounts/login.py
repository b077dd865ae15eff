"""Log in Telegram sessions on seized SIMs with the login codes that arrive on the SimBox.

For each SIM with a known number: request the code; if it went to the account's other sessions
(the app), ask for it again by SMS; wait for the SMS on that SIM's modem; sign in. Two-step
verification tries the case file's passwords, never more than `accounts.max_2fa_tries` per
account over all runs, else `2fa_locked`. No account on the number: `needs_app_registration`
(new accounts cannot be created through the API). A FloodWait persists a cooldown and the run
goes on with the other SIMs. Everything is in the database, so a second run resumes: it skips
what is done and retries what may now work.

    report = await login_all(db, settings, modem_pool, sandbox=server)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from prokai.accounts.clients import (
    Endpoint,
    build_client,
    device_for,
    endpoint_from_settings,
    proxy_for,
    sandbox_endpoint,
)
from prokai.accounts.clients import session_string as client_session_string
from prokai.accounts.errors import KIND_LOGIN, verdict
from prokai.accounts.liveness import announce
from prokai.accounts.passwords import PasswordBook
from prokai.accounts.pool import drop_lease, node_name, reap_dead_leases, take_lease
from prokai.accounts.state import (
    Clock,
    apply_verdict,
    cooldown_for,
    normalize_phone,
    refresh,
    set_state,
    store_session,
    utcnow,
)
from prokai.accounts.vault import Vault
from prokai.config import Settings
from prokai.store.audit import audit
from prokai.store.db import Database
from prokai.store.models import Account, AccountState, Sim, TwoFactorTry

if TYPE_CHECKING:
    from telethon import TelegramClient

    from simbox.pool import Pool

log = logging.getLogger(__name__)
ACTOR = "accounts.login"

# Outcomes of one SIM in one run.
LOGGED_IN = "logged_in"
ALREADY = "already_logged_in"
TWO_FA_LOCKED = "2fa_locked"
NEEDS_APP_REGISTRATION = "needs_app_registration"
BANNED = "banned"
COOLING = "cooling"
FAILED = "failed"
SKIPPED = "skipped"

APP_REGISTRATION_HINT = (
    "no Telegram account on {phone}: put this SIM in a handset, register it in the official "
    "Telegram app, then run `prokai accounts login --sim {iccid}` again"
)


@dataclass
class LoginTarget:
    """One SIM to log in: its ICCID, number, and the modem channel it sits in."""

    iccid: str
    phone: str | None
    modem: str


@dataclass
class LoginResult:
    """What happened to one SIM."""

    iccid: str
    phone: str | None
    outcome: str
    state: str | None = None
    detail: str = ""
    code_via: str | None = None  # "sms" or "app->sms"

    def to_json(self) -> dict[str, Any]:
        return {
            "iccid": self.iccid, "phone": self.phone, "outcome": self.outcome,
            "state": self.state, "detail": self.detail, "code_via": self.code_via,
        }


@dataclass
class LoginReport:
    """Every SIM's result in one run."""

    results: list[LoginResult] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many SIMs ended with each outcome."""
        return dict(Counter(r.outcome for r in self.results))

    def by_phone(self, phone: str) -> LoginResult:
        """The result for one number."""
        want = normalize_phone(phone)
        for r in self.results:
            if r.phone and normalize_phone(r.phone) == want:
                return r
        raise KeyError(phone)

    @property
    def ok(self) -> bool:
        """True when no SIM failed outright (locked, unregistered, banned, cooling are states)."""
        return not any(r.outcome == FAILED for r in self.results)


class LoginRunner:
    """Logs in many SIMs concurrently (limited overall and per modem)."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        modem_pool: Pool,
        *,
        vault: Vault | None = None,
        endpoint: Endpoint | None = None,
        passwords: PasswordBook | None = None,
        clock: Clock = utcnow,
        on_start: Callable[[LoginTarget], None] | None = None,
        on_status: Callable[[LoginTarget, str], None] | None = None,
        on_done: Callable[[LoginResult], None] | None = None,
        relogin: bool = False,
    ) -> None:
        self.db = db
        self.settings = settings
        self.modems = modem_pool
        self.vault = vault or Vault.from_settings(settings)
        self.endpoint = endpoint if endpoint is not None else endpoint_from_settings(settings)
        self.passwords = passwords or PasswordBook()
        self.clock = clock
        self.on_start = on_start
        self.on_status = on_status
        self.on_done = on_done
        self.relogin = relogin
        acc = settings.accounts
        self._overall = asyncio.Semaphore(acc.login_concurrency)
        self._per_modem: dict[str, asyncio.Semaphore] = {}
        self._run_id = uuid.uuid4().hex[:8]

    # ------------------------------------------------------------------ targets

    def targets(self, iccids: Sequence[str] | None = None) -> list[LoginTarget]:
        """SIMs in the modem pool (optionally only `iccids`), stored as `Sim` rows if new."""
        out: list[LoginTarget] = []
        seen: set[str] = set()
        for ch in self.modems.channels:
            sim = ch.sim
            if sim is None or not sim.iccid:
                continue
            if iccids and sim.iccid not in iccids:
                continue
            seen.add(sim.iccid)
            ident = getattr(ch, "identity", None)
            modem = ch.imei or getattr(ident, "imei", None) or ch.spec.path  # the modem, not the SIM
            out.append(LoginTarget(sim.iccid, normalize_phone(sim.msisdn) if sim.msisdn else None, str(modem)))
        if iccids:
            missing = [i for i in iccids if i not in seen]
            if missing:
                raise KeyError(f"no SIM with ICCID {missing[0]} in the SimBox")
        self._store_sims(out)
        return out

    def _store_sims(self, targets: list[LoginTarget]) -> None:
        try:
            self._store_sims_once(targets)
        except IntegrityError:  # another run stored the same SIM at the same moment
            self._store_sims_once(targets)

    def _store_sims_once(self, targets: list[LoginTarget]) -> None:
        with self.db.session() as s:
            for t in targets:
                row = s.scalars(select(Sim).where(Sim.iccid == t.iccid)).one_or_none()
                if row is None:
                    s.add(Sim(iccid=t.iccid, msisdn=t.phone))
                elif t.phone and not row.msisdn:
                    row.msisdn = t.phone

    # ------------------------------------------------------------------ run

    async def run(self, iccids: Sequence[str] | None = None) -> LoginReport:
        """Log in every target; one SIM's failure never stops the others. Leases a dead run left
        (kill -9 between a login and its release) are freed first, also on SIMs skipped now."""
        with self.db.session() as s:
            reap_dead_leases(s)
        targets = self.targets(iccids)
        results = await asyncio.gather(*(self._guarded(t) for t in targets))
        return LoginReport(list(results))

    async def _guarded(self, target: LoginTarget) -> LoginResult:
        sem = self._per_modem.setdefault(target.modem, asyncio.Semaphore(self.settings.accounts.login_concurrency_per_modem))
        async with self._overall, sem:
            if self.on_start:
                self.on_start(target)
            try:
                result = await self.login_one(target)
            except Exception as exc:  # never let one SIM stop the run
                log.exception("login of %s failed unexpectedly", target.phone or target.iccid)
                result = LoginResult(target.iccid, target.phone, FAILED, detail=f"{type(exc).__name__}: {exc}")
        if self.on_done:
            self.on_done(result)
        return result

    def _status(self, target: LoginTarget, text: str) -> None:
        if self.on_status:
            self.on_status(target, text)

    def _account(self, target: LoginTarget) -> tuple[int, LoginResult | None]:
        """Find or create the account; a result when there is nothing to do now."""
        try:
            return self._account_once(target)
        except IntegrityError:  # another run created the same account at the same moment
            return self._account_once(target)

    def _account_once(self, target: LoginTarget) -> tuple[int, LoginResult | None]:
        assert target.phone is not None
        now = self.clock()
        with self.db.session() as s:
            sim = s.scalars(select(Sim).where(Sim.iccid == target.iccid)).one()
            acc = s.scalars(select(Account).where(Account.phone == target.phone)).one_or_none()
            if acc is None:
                proxy = proxy_for(self.settings, target.phone)
                acc = Account(
                    phone=target.phone, sim_id=sim.id, state=AccountState.NEW.value, seized=True,
                    proxy=proxy, device=device_for(self.settings, target.phone), meta={},
                )
                s.add(acc)
                s.flush()
                audit(s, ACTOR, "account.created", "account", acc.id, phone=acc.phone, iccid=target.iccid)
            elif acc.sim_id != sim.id:
                acc.sim_id = sim.id
            refresh(s, acc, now, ACTOR)
            state = AccountState(acc.state)
            done: LoginResult | None = None
            if state == AccountState.BANNED:
                done = LoginResult(target.iccid, target.phone, BANNED, state.value, acc.state_reason or "")
            elif state == AccountState.FROZEN:
                done = LoginResult(target.iccid, target.phone, SKIPPED, state.value, "frozen")
            elif state == AccountState.TWO_FA_LOCKED and not self._untried_passwords(s, acc):
                done = LoginResult(target.iccid, target.phone, TWO_FA_LOCKED, state.value, acc.state_reason or "")
            if done is None:
                done = self._vaulted(target, acc)  # logged in already (unless this run logs in anew)
            if done is None:
                ends = cooldown_for(s, acc, KIND_LOGIN, now)
                if ends is not None:
                    done = LoginResult(
                        target.iccid, target.phone, COOLING, acc.state, f"login waits until {ends:%Y-%m-%d %H:%M:%S} UTC"
                    )
            if done is None:
                owner = self._owner(acc.id)
                until = now + timedelta(seconds=self.settings.accounts.sms_code_timeout_s * 3 + 120)
                if not take_lease(s, acc.id, owner, until, now, need_session=False):
                    s.refresh(acc)
                    held = f" until {acc.lease_until:%H:%M:%S} UTC" if acc.lease_until else ""
                    done = LoginResult(target.iccid, target.phone, SKIPPED, acc.state,
                                       f"account is leased by {acc.lease_owner}{held}")
                else:
                    # Another run may have logged it in and let go between our first read and
                    # our lease: look again now that the lease (and the write lock) is ours.
                    s.refresh(acc)
                    done = self._vaulted(target, acc)
                    if done is not None:
                        drop_lease(s, acc.id, owner)
            return acc.id, done

    def _vaulted(self, target: LoginTarget, acc: Account) -> LoginResult | None:
        """ALREADY when `acc` has a usable session in the vault and this run does not log in anew."""
        usable = (AccountState.ACTIVE, AccountState.COOLING, AccountState.LIMITED)
        if self.relogin or acc.session_enc is None or AccountState(acc.state) not in usable:
            return None
        return LoginResult(target.iccid, target.phone, ALREADY, acc.state, "session in the vault")

    def _owner(self, account_id: int) -> str:
        """The lease owner of this run's login of one account (unique per run)."""
        return f"{announce(self.db.engine, node_name())}:login:{self._run_id}:{account_id}"

    def _untried_passwords(self, s: Session, acc: Account) -> list[str]:
        """The case file's passwords for `acc` not tried yet, up to the limit of tries."""
        tried = set(s.scalars(select(TwoFactorTry.fingerprint).where(TwoFactorTry.account_id == acc.id)))
        left = self.settings.accounts.max_2fa_tries - len(tried)
        if left <= 0:
            return []
        untried = [p for p in self.passwords.for_phone(acc.phone) if self.vault.fingerprint(acc.phone, p) not in tried]
        return untried[:left]

    async def login_one(self, target: LoginTarget) -> LoginResult:
        """Log in one SIM (see the module docstring)."""
        if not target.phone:
            return LoginResult(target.iccid, None, SKIPPED, None, "the SIM's own number is unknown (run `prokai simbox scan`)")
        account_id, done = await asyncio.to_thread(self._account, target)
        if done is not None:
            return done
        client = build_client(self.settings, target.phone, None, endpoint=self.endpoint, receive_updates=False,
                              **self._identity(account_id))
        try:
            await client.connect()
            return await self._flow(client, target, account_id)
        finally:
            with contextlib.suppress(Exception):
                await client.disconnect()
            await asyncio.to_thread(self._release, account_id)

    def _identity(self, account_id: int) -> dict[str, Any]:
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            assert acc is not None
            return {"device": acc.device or None, "proxy": acc.proxy}

    def _release(self, account_id: int) -> None:
        with self.db.session() as s:
            drop_lease(s, account_id, self._owner(account_id))

    async def _flow(self, client: TelegramClient, target: LoginTarget, account_id: int) -> LoginResult:
        from telethon import errors, types

        phone = target.phone
        assert phone is not None
        via: str | None = None
        try:
            self._status(target, "requesting the code")
            since = time.time()
            sent = await client.send_code_request(phone)
            via = "sms"
            if not isinstance(sent.type, types.auth.SentCodeTypeSms):
                via = "app->sms"
                self._status(target, "code went to the app; asking for an SMS")
                await asyncio.to_thread(self._audit, account_id, "account.code_resend", reason=type(sent.type).__name__)
                sent = await client.send_code_request(phone)  # Telethon resends (auth.resendCode)
            self._status(target, "waiting for the SMS")
            try:
                sms = await self.modems.wait_code(target.iccid, timeout=self.settings.accounts.sms_code_timeout_s, since=since)
            except TimeoutError:
                return LoginResult(target.iccid, phone, FAILED, None,
                                   f"no SMS with a login code within {self.settings.accounts.sms_code_timeout_s:.0f} s", via)
            code = sms.login_code
            assert code is not None
            await asyncio.to_thread(self._keep_sms, sms)
            with contextlib.suppress(Exception):
                await sms.ack()
            self._status(target, "signing in")
            try:
                await client.sign_in(phone, code)
                used_2fa = False
            except errors.SessionPasswordNeededError:
                outcome = await self._two_step(client, target, account_id)
                if outcome is not None:
                    outcome.code_via = via
                    return outcome
                used_2fa = True
        except errors.PhoneNumberUnoccupiedError:
            reason = APP_REGISTRATION_HINT.format(phone=phone, iccid=target.iccid)
            state = await asyncio.to_thread(self._set, account_id, AccountState.NEEDS_APP_REGISTRATION, reason)
            return LoginResult(target.iccid, phone, NEEDS_APP_REGISTRATION, state, reason, via)
        except (errors.PhoneCodeInvalidError, errors.PhoneCodeExpiredError, errors.PhoneNumberInvalidError) as exc:
            return LoginResult(target.iccid, phone, FAILED, None, type(exc).__name__, via)
        except errors.RPCError as exc:
            return await asyncio.to_thread(self._error, target, account_id, exc, via)
        me = await client.get_me()
        text = client_session_string(client)
        state = await asyncio.to_thread(self._logged_in, account_id, text, me, via, used_2fa)
        return LoginResult(target.iccid, phone, LOGGED_IN, state, f"user id {getattr(me, 'id', '?')}", via)

    async def _two_step(self, client: TelegramClient, target: LoginTarget, account_id: int) -> LoginResult | None:
        """Try the untried passwords (up to the limit); None when signed in."""
        from telethon import errors
        from telethon.tl import functions

        phone = target.phone
        assert phone is not None
        hint = ""
        with contextlib.suppress(errors.RPCError):
            hint = (await client(functions.account.GetPasswordRequest())).hint or ""
        candidates = await asyncio.to_thread(self._candidates, account_id)
        for password in candidates:
            self._status(target, "two-step verification")
            try:
                await client.sign_in(password=password)
                return None
            except errors.PasswordHashInvalidError:
                await asyncio.to_thread(self._tried, account_id, password)
        tried = await asyncio.to_thread(self._tried_count, account_id)
        reason = (
            f"two-step verification: {tried} password(s) tried of at most {self.settings.accounts.max_2fa_tries}"
            + (f"; hint: {hint!r}" if hint else "")
            + "; add the password to the case file (--passwords) or unlock on a handset"
        )
        state = await asyncio.to_thread(self._set, account_id, AccountState.TWO_FA_LOCKED, reason, hint=hint)
        return LoginResult(target.iccid, phone, TWO_FA_LOCKED, state, reason)

    # ------------------------------------------------------------------ database steps

    def _candidates(self, account_id: int) -> list[str]:
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            assert acc is not None
            return self._untried_passwords(s, acc)

    def _tried(self, account_id: int, password: str) -> None:
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            assert acc is not None
            fingerprint = self.vault.fingerprint(acc.phone, password)
            known = select(TwoFactorTry.id).where(TwoFactorTry.account_id == acc.id, TwoFactorTry.fingerprint == fingerprint)
            if s.scalar(known) is None:
                s.add(TwoFactorTry(account_id=acc.id, fingerprint=fingerprint, tried_at=self.clock()))
                s.flush()
            audit(s, ACTOR, "account.2fa_try", "account", acc.id, phone=acc.phone, ok=False,
                  tries=self._tries(s, acc.id))

    def _tried_count(self, account_id: int) -> int:
        with self.db.session() as s:
            return self._tries(s, account_id)

    @staticmethod
    def _tries(s: Session, account_id: int) -> int:
        return int(s.scalar(select(func.count()).where(TwoFactorTry.account_id == account_id)) or 0)

    def _set(self, account_id: int, state: AccountState, reason: str, **details: Any) -> str:
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            assert acc is not None
            set_state(s, acc, state, reason, ACTOR, **details)
            return acc.state

    def _audit(self, account_id: int, action: str, **details: Any) -> None:
        with self.db.session() as s:
            audit(s, ACTOR, action, "account", account_id, **details)

    def _error(self, target: LoginTarget, account_id: int, exc: BaseException, via: str | None) -> LoginResult:
        v = verdict(exc, KIND_LOGIN, self.settings.accounts.peer_flood_cooldown_s)
        if v is None:
            return LoginResult(target.iccid, target.phone, FAILED, None, f"{type(exc).__name__}: {exc}", via)
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            assert acc is not None
            apply_verdict(s, acc, v, self.clock(), ACTOR)
            state = acc.state
        outcome = {AccountState.COOLING: COOLING, AccountState.BANNED: BANNED}.get(v.state, FAILED)
        return LoginResult(target.iccid, target.phone, outcome, state, v.reason, via)

    def _keep_sms(self, sms: Any) -> None:
        """Keep the login SMS as SimBox evidence (a failure here must not cost the login)."""
        try:
            from prokai.inventory.service import store_sms

            store_sms(self.db, sms)
        except Exception as exc:  # noqa: BLE001
            log.warning("login SMS on %s not stored: %s", sms.sim, exc)

    def _logged_in(self, account_id: int, text: str, me: Any, via: str, used_2fa: bool) -> str:
        with self.db.session() as s:
            acc = s.get(Account, account_id)
            assert acc is not None
            store_session(s, acc, self.vault, text)
            acc.telegram_user_id = getattr(me, "id", None)
            acc.username = getattr(me, "username", None)
            s.execute(delete(TwoFactorTry).where(TwoFactorTry.account_id == acc.id))
            acc.meta = {**(acc.meta or {}), "logged_in_via": via}
            audit(s, ACTOR, "account.login", "account", acc.id, phone=acc.phone, telegram_user_id=acc.telegram_user_id,
                  code_via=via, two_step=used_2fa)
            set_state(s, acc, AccountState.ACTIVE, f"logged in with an SMS code ({via})", ACTOR)
            return acc.state


async def login_all(
    db: Database,
    settings: Settings,
    modem_pool: Pool,
    *,
    sandbox: Any | None = None,
    iccids: Sequence[str] | None = None,
    passwords: PasswordBook | None = None,
    vault: Vault | None = None,
    clock: Clock = utcnow,
    **callbacks: Any,
) -> LoginReport:
    """Log in every SIM of a started `simbox.pool.Pool` (or only `iccids`).

    `sandbox` is a running `prokai.sandbox.server.SandboxServer` to log in to instead of the
    configured server (the demo and the tests)."""
    endpoint = sandbox_endpoint(sandbox) if sandbox is not None else None
    if passwords is None and settings.secrets.passwords_file is not None:
        passwords = PasswordBook.load(settings.secrets.passwords_file)
    runner = LoginRunner(db, settings, modem_pool, vault=vault, endpoint=endpoint, passwords=passwords, clock=clock,
                         **callbacks)
    return await runner.run(iccids)
