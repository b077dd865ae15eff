"""A modem behind one AT port: identity, SIM inventory, PIN, registration, signal, USSD, restart.

    async with AtPort("/dev/ttyUSB3") as port:
        modem = Modem(port)
        ident = await modem.init()          # IMEI, vendor, model → profile
        sim = await modem.sim_info()         # ICCID, IMSI, number, operator, signal
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from simbox import parsers
from simbox.at.framer import Urc
from simbox.at.port import AtPort, Response
from simbox.errors import AtError, AtTimeout, CmeError, PinError, PortClosed, SimboxError
from simbox.pdu import gsm7
from simbox.pin import PinGuard, next_action
from simbox.profiles import GENERIC, VendorProfile, detect

log = logging.getLogger("simbox.modem")

# Own-number USSD codes by MCC-MNC (Kazakhstan). Operators change these; override per pool.
OWN_NUMBER_USSD = {"40101": "*160#", "40102": "*114#", "40177": "*201#", "40107": "*201#"}


@dataclass
class ModemIdentity:
    imei: str | None = None
    manufacturer: str | None = None
    model: str | None = None
    revision: str | None = None
    profile: str = GENERIC.name


@dataclass
class SimInfo:
    """What the inventory records about one SIM."""

    iccid: str | None = None
    imsi: str | None = None
    msisdn: str | None = None
    msisdn_source: str | None = None  # cnum | phonebook | ussd | config
    operator: str | None = None
    mcc_mnc: str | None = None
    pin_state: str | None = None
    registration: str | None = None
    signal_dbm: int | None = None
    csq: int | None = None
    errors: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class Modem:
    """AT-level operations on one modem; every method is safe to call concurrently."""

    def __init__(
        self,
        port: AtPort,
        profile: VendorProfile | None = None,
        *,
        pin_guard: PinGuard | None = None,
        timeout: float | None = None,
        own_number_ussd: dict[str, str] | None = None,
    ) -> None:
        self.port = port
        self.profile = profile or GENERIC
        self._fixed_profile = profile is not None
        self.pin_guard = pin_guard or PinGuard()
        self.timeout = timeout
        self.identity = ModemIdentity()
        self.iccid: str | None = None
        self.own_number_ussd = {**OWN_NUMBER_USSD, **(own_number_ussd or {})}
        self._ussd_waiters: list[asyncio.Future[parsers.Ussd]] = []
        self._ussd_lock = asyncio.Lock()
        port.add_urc_handler(self._on_urc)

    @property
    def name(self) -> str:
        return self.port.name

    async def at(self, cmd: str, timeout: float | None = None, **kw: Any) -> Response:
        """One command (see `AtPort.command`)."""
        return await self.port.command(cmd, timeout if timeout is not None else self.timeout, **kw)

    async def try_at(self, cmd: str, timeout: float | None = None, **kw: Any) -> Response | None:
        """One command; None if the modem answers with an error (timeouts and lost ports still raise)."""
        try:
            return await self.at(cmd, timeout, **kw)
        except AtError:
            return None

    # --- identity ----------------------------------------------------------------------------

    async def init(self, probe_timeout: float | None = None) -> ModemIdentity:
        """Wake the port (AT), echo off, numeric errors, identity, vendor profile, vendor init."""
        first = probe_timeout if probe_timeout is not None else self.timeout
        await self.port.raw_write(b"\x1b")  # leave a `> ` prompt a previous user may have left open
        await self.at("AT", first)
        await self.try_at("ATE0")
        await self.try_at("AT+CMEE=1")
        ident = await self.identify()
        for cmd in self.profile.init:
            await self.try_at(cmd)
        return ident

    async def identify(self) -> ModemIdentity:
        ident = ModemIdentity()
        r = await self.try_at("AT+CGSN")
        ident.imei = parsers.parse_imei(r.lines) if r else None
        r = await self.try_at("AT+CGMI")
        ident.manufacturer = (r.lines[0].removeprefix("+CGMI:").strip() if r and r.lines else None)
        r = await self.try_at("AT+CGMM")
        ident.model = (r.lines[0].removeprefix("+CGMM:").strip() if r and r.lines else None)
        r = await self.try_at("AT+CGMR")
        ident.revision = (r.lines[0].removeprefix("+CGMR:").strip() if r and r.lines else None)
        if ident.imei is None or ident.manufacturer is None:
            r = await self.try_at("ATI")
            if r:
                info = parsers.parse_identity(r.lines)
                ident.imei = ident.imei or info.get("imei") or parsers.parse_imei(r.lines)
                ident.manufacturer = ident.manufacturer or info.get("manufacturer")
                ident.model = ident.model or info.get("model")
        if not self._fixed_profile:
            self.profile = detect(ident.manufacturer, ident.model)
        ident.profile = self.profile.name
        self.identity = ident
        return ident

    async def read_iccid(self) -> str | None:
        """ICCID through the profile's commands in order (nibble-swapped formats unswapped)."""
        for cmd, swapped in self.profile.iccid:
            r = await self.try_at(cmd)
            if r is None:
                continue
            iccid = parsers.parse_iccid(r.lines, swapped)
            if iccid:
                self.iccid = iccid
                return iccid
        return None

    # --- PIN ------------------------------------------------------------------------------------

    async def pin_state(self) -> str:
        """READY, SIM PIN, SIM PUK, … or NOT INSERTED (CME 10) / SIM FAILURE (CME 13)."""
        try:
            r = await self.at("AT+CPIN?", final_on_prefix=self.profile.cpin_no_ok, prefixes=("+CPIN:",))
        except CmeError as exc:
            if exc.code == 10:
                return "NOT INSERTED"
            if exc.code == 14:
                return "NOT READY"
            if exc.code in (13, 15):
                return "SIM FAILURE"
            raise
        except AtError:
            return "NOT INSERTED"
        return parsers.parse_cpin(r.lines) or "UNKNOWN"

    async def pin_attempts(self) -> tuple[int | None, int | None]:
        if not self.profile.pin_counter:
            return None, None
        r = await self.try_at(self.profile.pin_counter)
        return parsers.parse_pin_counter(r.lines) if r else (None, None)

    async def unlock(self, pin: str | None, wait_ready: float = 10.0) -> str:
        """Bring the SIM to READY with `pin` if it asks for one. Raises `PinError` with the reason
        when it must not or cannot (no PIN given, PIN failed before, last attempt, PUK)."""
        state = await self.pin_state()
        iccid = self.iccid or await self.read_iccid() or f"imei:{self.identity.imei}"
        attempts, _puk = (await self.pin_attempts()) if state == "SIM PIN" else (None, None)
        action = next_action(state, pin, iccid, self.pin_guard, attempts)
        if action == "ready":
            return state
        if action != "enter":
            raise PinError(f"{self.name}: SIM {iccid} is {state}: not unlocking ({action})")
        assert pin is not None
        try:
            await self.at(f'AT+CPIN="{pin}"')
        except CmeError as exc:
            if exc.code == 16 or "incorrect" in exc.meaning.lower():
                self.pin_guard.mark_failed(iccid, pin)
                raise PinError(f"{self.name}: wrong PIN for SIM {iccid}; it will not be tried again") from None
            raise
        deadline = time.monotonic() + wait_ready
        while time.monotonic() < deadline:
            state = await self.pin_state()
            if state == "READY":
                return state
            await asyncio.sleep(0.2)
        raise PinError(f"{self.name}: SIM {iccid} did not become ready after the PIN")

    # --- network -------------------------------------------------------------------------------

    async def registration(self) -> parsers.Registration | None:
        best: parsers.Registration | None = None
        for cmd in ("AT+CREG?", "AT+CEREG?", "AT+CGREG?") if self.profile.lte else ("AT+CREG?",):
            r = await self.try_at(cmd)
            line = r.first("+C") if r else None
            reg = parsers.parse_creg(line) if line else None
            if reg and reg.registered:
                return reg
            best = best or reg
        return best

    async def operator(self) -> parsers.Operator | None:
        r = await self.try_at("AT+COPS?")
        name_op = parsers.parse_cops(r.first("+COPS:") or "") if r else None
        numeric = None
        if await self.try_at("AT+COPS=3,2"):
            r2 = await self.try_at("AT+COPS?")
            numeric = parsers.parse_cops(r2.first("+COPS:") or "") if r2 else None
            await self.try_at("AT+COPS=3,0")
        if name_op is None and numeric is None:
            return None
        act = name_op.act if name_op else (numeric.act if numeric else None)
        return parsers.Operator(name_op.name if name_op else None, numeric.numeric if numeric else None, act)

    async def signal(self) -> tuple[int | None, int | None]:
        """(dBm, raw CSQ rssi) — None when unknown."""
        r = await self.try_at("AT+CSQ")
        line = r.first("+CSQ:") if r else None
        if not line:
            return None, None
        dbm, _ = parsers.parse_csq(line)
        try:
            raw = int(line.split(":")[1].split(",")[0])
        except (ValueError, IndexError):
            raw = None
        return dbm, raw

    async def wait_registered(self, timeout: float = 60.0, poll: float = 0.5) -> parsers.Registration:
        deadline = time.monotonic() + timeout
        reg = None
        while time.monotonic() < deadline:
            reg = await self.registration()
            if reg and reg.registered:
                return reg
            await asyncio.sleep(poll)
        raise SimboxError(f"{self.name}: not registered after {timeout:.0f}s ({reg.state if reg else 'no answer'})")

    async def restart(self, hard: bool = False, settle: float = 0.1, timeout: float = 15.0) -> None:
        """CFUN=0 then CFUN=1 (soft), or CFUN=1,1 (full reboot; the port may re-enumerate).
        CFUN can take seconds on real modules: `timeout` is per command."""
        if hard:
            with contextlib.suppress(AtTimeout, PortClosed):
                await self.at("AT+CFUN=1,1", timeout)
        else:
            await self.try_at("AT+CFUN=0", timeout)
            await asyncio.sleep(settle)
            await self.try_at("AT+CFUN=1", timeout)

    # --- number --------------------------------------------------------------------------------

    async def own_number(self, mcc_mnc: str | None = None, use_ussd: bool = True) -> tuple[str | None, str | None]:
        """(number, source): CNUM, then the ON phonebook, then the operator's USSD code."""
        r = await self.try_at("AT+CNUM")
        if r and (num := parsers.parse_cnum(r.lines)):
            return num, "cnum"
        if await self.try_at('AT+CPBS="ON"'):
            r = await self.try_at("AT+CPBR=1")
            await self.try_at('AT+CPBS="SM"')
            if r and (num := parsers.parse_cpbr(r.lines)):
                return num, "phonebook"
        if use_ussd and mcc_mnc and (code := self.own_number_ussd.get(mcc_mnc)):
            with contextlib.suppress(SimboxError):
                answer = await self.ussd(code, timeout=15)
                if answer.text and (num := parsers.number_from_text(answer.text)):
                    return num, "ussd"
        return None, None

    async def sim_info(self, pin: str | None = None, use_ussd: bool = True) -> SimInfo:
        """Inventory of the SIM: never raises for a missing or locked SIM, records why instead."""
        info = SimInfo()
        info.iccid = await self.read_iccid()
        info.pin_state = await self.pin_state()
        if info.pin_state == "SIM PIN" and pin is not None:
            try:
                info.pin_state = await self.unlock(pin)
            except PinError as exc:
                info.errors.append(str(exc))
        if info.pin_state != "READY":
            return info
        r = await self.try_at("AT+CIMI")
        info.imsi = parsers.parse_imsi(r.lines) if r else None
        reg = await self.registration()
        info.registration = reg.state if reg else None
        op = await self.operator()
        if op:
            info.operator, info.mcc_mnc = op.name, op.numeric
        if info.mcc_mnc is None and info.imsi:
            info.mcc_mnc = info.imsi[:5]
        info.signal_dbm, info.csq = await self.signal()
        info.msisdn, info.msisdn_source = await self.own_number(info.mcc_mnc, use_ussd)
        return info

    # --- sending ---------------------------------------------------------------------------------

    async def send_sms(self, number: str, text: str, timeout: float = 60.0) -> list[int]:
        """Send an SMS (PDU mode; concatenated parts when long). Returns the TP-MR of each part."""
        from random import randrange

        from simbox.pdu.codec import Concat, encode_submit, split_text

        await self.at("AT+CMGF=0")
        enc, parts = split_text(text)
        ref = randrange(256)
        refs: list[int] = []
        for i, part in enumerate(parts):
            concat = Concat(ref, len(parts), i + 1) if len(parts) > 1 else None
            pdu, length = encode_submit(number, part, encoding=enc, concat=concat)
            r = await self.at(f"AT+CMGS={length}", timeout, data=pdu, prefixes=("+CMGS:",))
            value = (r.first("+CMGS:") or "+CMGS: 0").split(":", 1)[1].strip()
            refs.append(int(value) if value.isdigit() else 0)
        return refs

    # --- USSD ------------------------------------------------------------------------------------

    def _on_urc(self, urc: Urc) -> None:
        if urc.line.startswith("+CUSD:"):
            parsed = parsers.parse_cusd(urc.line, packed=self.profile.ussd_packed or None)
            if parsed is None:
                return
            for fut in self._ussd_waiters:
                if not fut.done():
                    fut.set_result(parsed)
                    break

    async def ussd(self, code: str, timeout: float = 20.0) -> parsers.Ussd:
        """Send a USSD request and return the network's answer (the `+CUSD` may come before or
        after OK). A session left open (status 1) is cancelled. One USSD at a time per modem."""
        async with self._ussd_lock:
            fut: asyncio.Future[parsers.Ussd] = asyncio.get_running_loop().create_future()
            self._ussd_waiters.append(fut)
            try:
                arg = gsm7.encode_packed(code).hex().upper() if self.profile.ussd_packed else code
                await self.at(f'AT+CUSD=1,"{arg}",15', timeout)
                try:
                    async with asyncio.timeout(timeout):
                        answer = await fut
                except TimeoutError:
                    await self.cancel_ussd()
                    raise AtTimeout(f"USSD {code}", timeout, self.name) from None
                if answer.status == 1:
                    await self.cancel_ussd()
                if answer.status == 4:
                    raise SimboxError(f"{self.name}: USSD {code} not supported by the network")
                return answer
            finally:
                self._ussd_waiters.remove(fut)

    async def cancel_ussd(self) -> None:
        await self.try_at("AT+CUSD=2")
