"""Receiving SMS on one modem: PDU mode, `+CMTI` and `+CMT`, storage sweeps, reassembly, and
deletion from the SIM only after the consumer has taken the message.

    inbox = Inbox(modem, sim_key=iccid, deliver=queue.put_nowait)
    await inbox.start()      # CMGF=0, CNMI, sweep of SM/ME, then +CMTI driven
    msg = await queue.get()  # an IncomingSms: sender, text, timestamp, login_code
    ...persist it...
    await msg.ack()          # now its parts are deleted from the SIM
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from simbox import parsers
from simbox.at.framer import Urc
from simbox.at.port import Response
from simbox.errors import AtError, AtTimeout, CmsError, PduError, PortClosed, SimboxError
from simbox.modem import Modem
from simbox.multipart import Assembled, Piece, Reassembler
from simbox.otp import extract_code
from simbox.pdu.codec import DELIVER, decode_pdu
from simbox.profiles import READY_URCS

log = logging.getLogger("simbox.sms")

Location = tuple[str, int]  # (storage, index)


@dataclass
class IncomingSms:
    """A whole received SMS (all parts joined). Call `ack()` once it is persisted."""

    sim: str  # the SIM's key (ICCID where known)
    msisdn: str | None
    sender: str | None
    text: str
    timestamp: datetime | None
    pdus: list[str]
    complete: bool = True
    locations: list[Location] = field(default_factory=list)
    received_at: float = field(default_factory=time.time)  # wall clock at the driver
    port: str | None = None
    from_sweep: bool = False
    concat_ref: int | None = None
    _ack: Callable[[IncomingSms], Any] | None = field(default=None, repr=False)
    acked: bool = False
    claimed: bool = False  # handed to a `Pool.wait_sms` caller
    duplicate_of: list[str] | None = None  # a late copy of (parts of) a message already delivered

    @property
    def login_code(self) -> str | None:
        """The messenger login code in the text, if any (see `simbox.otp`)."""
        return extract_code(self.text)

    @property
    def dedup_key(self) -> str:
        """Stable across re-reads: SHA-256 of the sorted part PDUs; a duplicate copy has the key of
        the message it copies, so storing it again is a no-op (and `ack()` deletes the copy)."""
        h = hashlib.sha256()
        for pdu in sorted(self.duplicate_of or self.pdus):
            h.update(pdu.encode())
        return h.hexdigest()

    async def ack(self) -> None:
        """The consumer has the message: delete its parts from the SIM (idempotent)."""
        if self.acked:
            return
        if self._ack is not None:
            result = self._ack(self)
            if asyncio.iscoroutine(result):
                await result
        self.acked = True

    def to_json(self) -> dict[str, Any]:
        return {
            "sim": self.sim,
            "msisdn": self.msisdn,
            "sender": self.sender,
            "text": self.text,
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "complete": self.complete,
            "parts": len(self.pdus),
            "login_code": self.login_code,
            "port": self.port,
            "locations": [list(loc) for loc in self.locations],
        }


class Inbox:
    """SMS reception for one modem. `deliver(msg)` is called for each whole message."""

    def __init__(
        self,
        modem: Modem,
        deliver: Callable[[IncomingSms], None],
        *,
        sim_key: str | None = None,
        msisdn: str | None = None,
        reassembly_timeout: float = 300.0,
        sweep_interval: float | None = 60.0,
        direct: bool = False,
        indications: bool = True,
        cmgl_timeout: float = 10.0,
    ) -> None:
        self.modem = modem
        self.deliver = deliver
        self.sim_key = sim_key or modem.iccid or modem.name
        self.msisdn = msisdn
        self.reassembler = Reassembler(reassembly_timeout)
        self.sweep_interval = sweep_interval
        self.direct = direct  # +CMT routing (acknowledged with +CNMA) instead of store + +CMTI
        self.indications = indications  # False: no +CMTI; only the periodic sweep reads (polling)
        self.storages: list[str] = ["SM"]
        self.cmgl_hangs = False  # learnt: this firmware's CMGL never answers
        self.cmgl_timeout = cmgl_timeout
        self._held: dict[Location, str] = {}  # stored parts handed out or waiting for siblings
        self._mem_lock = asyncio.Lock()
        self._mem1: str | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._periodic: asyncio.Task[None] | None = None
        self._started = False
        self.delivered = 0
        modem.port.add_urc_handler(self._on_urc)

    # --- lifecycle -----------------------------------------------------------------------------

    async def start(self) -> None:
        """Configure SMS reception, sweep every storage, then keep sweeping periodically."""
        await self.configure()
        await self.sweep()
        self._started = True
        if self._periodic is None:
            self._periodic = asyncio.get_running_loop().create_task(self._sweeper())

    async def stop(self) -> None:
        self.modem.port.remove_urc_handler(self._on_urc)
        if self._periodic:
            self._periodic.cancel()
            self._periodic = None
        for t in list(self._tasks):
            t.cancel()
        for t in list(self._tasks):
            with contextlib.suppress(BaseException):
                await t

    async def configure(self) -> None:
        """PDU mode, new-message indications; find the storages this modem has."""
        await self.modem.at("AT+CMGF=0")
        r = await self.modem.try_at("AT+CPMS=?")
        supported = parsers.parse_cpms_supported(r.first("+CPMS:") or "") if r else []
        # MT is SM and ME together: swept only where the modem offers neither on its own
        self.storages = [m for m in ("SM", "ME") if m in supported] or (["MT"] if "MT" in supported else ["SM"])
        async with self._mem_lock:
            self._mem1 = None
            await self._select("SM", all_three=True)
        if not self.indications:
            await self.modem.try_at("AT+CNMI=0,0,0,0,0")
            return
        mt = 2 if self.direct else 1
        if await self.modem.try_at(f"AT+CNMI=2,{mt},0,0,0") is None:
            await self.modem.try_at(f"AT+CNMI=1,{mt},0,0,0")

    async def _select(self, mem: str, all_three: bool = False) -> None:
        """Make `mem` the read/delete storage (caller holds `_mem_lock`)."""
        if self._mem1 == mem and not all_three:
            return
        cmd = f'AT+CPMS="{mem}","{mem}","{mem}"' if all_three else f'AT+CPMS="{mem}"'
        await self.modem.at(cmd)
        self._mem1 = mem

    # --- reading -------------------------------------------------------------------------------

    async def sweep(self) -> int:
        """Read every stored message in every storage (start, after a reconnect, periodically)."""
        found = 0
        for mem in self.storages:
            try:
                found += await self._sweep_one(mem)
            except AtError as exc:
                log.info("%s: sweep of %s failed: %s", self.modem.name, mem, exc)
        for whole in self.reassembler.expire():
            self._emit(whole, sweep=True)
        return found

    async def _sweep_one(self, mem: str) -> int:
        items: list[tuple[int, str]] = []
        async with self._mem_lock:
            r = await self.modem.at(f'AT+CPMS="{mem}"')
            self._mem1 = mem
            uses = parsers.parse_cpms(r.first("+CPMS:") or "")
            used, total = (uses[0].used, uses[0].total) if uses else (None, None)
            if used == 0:
                return 0
            listed = False
            if not (self.modem.profile.cmgl_hangs or self.cmgl_hangs):
                try:
                    r = await self.modem.at("AT+CMGL=4", self.cmgl_timeout)
                    items = [(it.index, it.pdu) for it in parsers.parse_cmgl(r.lines) if it.index is not None]
                    listed = True
                except AtTimeout:
                    log.warning("%s: CMGL does not answer; reading index by index from now on", self.modem.name)
                    self.cmgl_hangs = True
            if not listed:  # firmware whose CMGL hangs: read index by index until `used` are found
                for idx in range(1, (total or 30) + 1):
                    if used is not None and len(items) >= used:
                        break
                    rr = await self.modem.try_at(f"AT+CMGR={idx}")
                    item = parsers.parse_cmgr(rr.lines) if rr else None
                    if item:
                        items.append((idx, item.pdu))
        n = 0
        for idx, pdu in items:
            if self._take(pdu, (mem, idx), sweep=True):
                n += 1
        return n

    async def read(self, mem: str, idx: int, tries: int = 3) -> bool:
        """Read one stored message (after +CMTI); a damaged answer (line noise) is read again."""
        for _ in range(tries):
            async with self._mem_lock:
                await self._select(mem)
                try:
                    r: Response | None = await self.modem.at(f"AT+CMGR={idx}")
                except CmsError as exc:
                    if exc.code == 321:
                        return False  # an empty slot (Quectel and others)
                    r = None
                except AtError:
                    r = None
            item = parsers.parse_cmgr(r.lines) if r else None
            if item is None:
                if r is not None and not any(line.startswith("+CMGR:") for line in r.lines):
                    return False  # an empty slot
                continue
            try:
                decode_pdu(item.pdu)
            except PduError:
                continue
            return self._take(item.pdu, (mem, idx))
        return False

    def _take(self, pdu: str, loc: Location | None, sweep: bool = False) -> bool:
        if loc is not None and self._held.get(loc) == pdu:
            return False  # already handed out (or waiting for its siblings)
        try:
            sms = decode_pdu(pdu)
        except PduError as exc:
            log.warning("%s: undecodable PDU at %s kept on the SIM: %s", self.modem.name, loc, exc)
            return False
        if sms.type != DELIVER:
            log.debug("%s: skipping stored %s at %s", self.modem.name, sms.type, loc)
            return False
        if loc is not None:
            self._held[loc] = pdu
        whole = self.reassembler.add(self.sim_key, Piece(sms, loc))
        if whole is not None:
            self._emit(whole, sweep)
        return True

    def _emit(self, whole: Assembled, sweep: bool = False) -> None:
        first = whole.sms
        msg = IncomingSms(
            sim=self.sim_key,
            msisdn=self.msisdn,
            sender=first.number,
            text=whole.text,
            timestamp=first.timestamp,
            pdus=[p.sms.pdu for p in whole.pieces],
            complete=whole.complete,
            locations=list(whole.locations),
            port=self.modem.name,
            from_sweep=sweep,
            concat_ref=first.concat.ref if first.concat else None,
            _ack=self._delete,
            duplicate_of=list(whole.duplicate_of) if whole.duplicate_of else None,
        )
        self.delivered += 1
        try:
            self.deliver(msg)
        except Exception:
            log.exception("%s: SMS consumer failed; the message stays on the SIM", self.modem.name)

    async def _delete(self, msg: IncomingSms) -> None:
        by_mem: dict[str, list[int]] = {}
        for mem, idx in msg.locations:
            by_mem.setdefault(mem, []).append(idx)
        async with self._mem_lock:
            for mem, idxs in by_mem.items():
                await self._select(mem)
                for idx in idxs:
                    try:
                        await self.modem.at(f"AT+CMGD={idx}")
                    except AtError as exc:
                        log.info("%s: CMGD %s/%s: %s", self.modem.name, mem, idx, exc)
                    self._held.pop((mem, idx), None)

    # --- URCs ----------------------------------------------------------------------------------

    def _on_urc(self, urc: Urc) -> None:
        if urc.line.startswith("+CMTI:"):
            loc = parsers.parse_cmti(urc.line)
            if loc:
                self._spawn(self.read(*loc))
        elif urc.line.startswith("+CMT:") and urc.extra:
            self._take(urc.extra, None)
            self._spawn(self.modem.try_at("AT+CNMA"))
        elif urc.line.startswith(READY_URCS) and self._started:
            self._spawn(self._after_reset(urc.line))

    async def _after_reset(self, why: str) -> None:
        log.info("%s: %s: re-applying SMS settings", self.modem.name, why)
        await asyncio.sleep(0.05)
        await self.configure()
        await self.sweep()

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if task.cancelled():
            return
        exc = task.exception()
        if isinstance(exc, SimboxError | PortClosed):
            log.info("%s: %s", self.modem.name, exc)
        elif exc is not None:
            log.error("%s: SMS task failed: %r", self.modem.name, exc)

    async def _sweeper(self) -> None:
        """Sweep every `sweep_interval`; in between, release multipart sets that timed out."""
        tick = min(self.sweep_interval or 3600.0, max(0.05, self.reassembler.timeout / 4), 30.0)
        next_sweep = time.monotonic() + (self.sweep_interval or float("inf"))
        while True:
            await asyncio.sleep(tick)
            for whole in self.reassembler.expire():
                self._emit(whole)
            if time.monotonic() < next_sweep:
                continue
            next_sweep = time.monotonic() + (self.sweep_interval or float("inf"))
            try:
                await self.sweep()
            except (SimboxError, PortClosed) as exc:
                log.info("%s: periodic sweep: %s", self.modem.name, exc)
