"""A pool of modems: scan every port concurrently, keep them healthy, re-bind ports that vanish,
and hand received SMS (and login codes) to whoever waits for them.

    async with Pool(["/dev/ttyUSB0", ...]) as pool:       # or Pool.discover("/dev/serial/by-path")
        for ch in pool.channels: print(ch.report())
        sms = await pool.wait_sms("+77051234567", timeout=120, since=t0)
        code = sms.login_code
        ...persist...
        await sms.ack()                                     # deleted from the SIM only now

One dead or silent port never blocks the others: every port has its own task and every command
its own timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simbox.at.framer import Urc
from simbox.at.port import AtPort
from simbox.discovery import PortSpec, candidates, discover
from simbox.errors import AtTimeout, PortClosed, PortError, SimboxError
from simbox.modem import Modem, ModemIdentity, SimInfo
from simbox.pin import PinGuard
from simbox.profiles import by_name
from simbox.sms import Inbox, IncomingSms

log = logging.getLogger("simbox.pool")

SIM_GONE = {"+CPIN:NOTREADY", "+CPIN:NOTINSERTED", "^SIMST:255", "^SIMST:0", "+QUSIM:0", "+CPIN:SIMREMOVED"}
SIM_BACK = {"+CPIN:READY", "^SIMST:1", "+QUSIM:1"}


def normalize_msisdn(number: str | None) -> str:
    digits = "".join(c for c in (number or "") if c.isdigit())
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


@dataclass
class PortReport:
    """The result of scanning one port."""

    path: str
    usb_path: str | None = None
    status: str = "unknown"  # ok | no_sim | locked | silent | error | lost
    error: str | None = None
    identity: ModemIdentity | None = None
    sim: SimInfo | None = None
    elapsed_s: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "usb_path": self.usb_path,
            "status": self.status,
            "error": self.error,
            "imei": self.identity.imei if self.identity else None,
            "manufacturer": self.identity.manufacturer if self.identity else None,
            "model": self.identity.model if self.identity else None,
            "profile": self.identity.profile if self.identity else None,
            "sim": self.sim.to_json() if self.sim else None,
            "elapsed_s": round(self.elapsed_s, 3),
        }


@dataclass
class PoolOptions:
    command_timeout: float = 5.0
    probe_timeout: float = 2.0  # the first AT on a port: silent ports are given up quickly
    use_ussd_for_number: bool = True
    pins: dict[str, str] = field(default_factory=dict)  # ICCID → PIN (from the case file)
    numbers: dict[str, str] = field(default_factory=dict)  # ICCID → MSISDN (configuration)
    sweep_interval: float | None = 60.0
    reassembly_timeout: float = 300.0
    indications: bool = True  # +CMTI driven; False: poll with the sweep only (odd firmware)
    cmgl_timeout: float = 10.0  # a CMGL that takes longer is taken as hung: read by CMGR instead
    watchdog_interval: float | None = 30.0
    restart_timeout: float = 15.0  # per CFUN command
    rebind_interval: float = 1.0
    rebind_patterns: tuple[str, ...] = ("/dev/ttyUSB*", "/dev/ttyACM*")
    baudrate: int = 115200
    pin_guard_file: str | None = None


class Channel:
    """One modem slot in the pool: its port, modem, SIM and inbox; re-bound when it vanishes."""

    def __init__(self, spec: PortSpec, pool: Pool) -> None:
        self.spec = spec
        self.pool = pool
        self.path = spec.path
        self.port: AtPort | None = None
        self.modem: Modem | None = None
        self.inbox: Inbox | None = None
        self.identity: ModemIdentity | None = None
        self.sim: SimInfo | None = None
        self.status = "unknown"
        self.error: str | None = None
        self.imei = spec.imei
        self._tasks: list[asyncio.Task[Any]] = []
        self.rebinds = 0
        self.rebound = asyncio.Event()

    @property
    def key(self) -> str:
        if self.sim and self.sim.iccid:
            return self.sim.iccid
        return f"imei:{self.imei}" if self.imei else self.path

    @property
    def msisdn(self) -> str | None:
        return self.sim.msisdn if self.sim else None

    def report(self) -> PortReport:
        return PortReport(self.path, self.spec.usb_path, self.status, self.error, self.identity, self.sim)

    async def open(self, path: str | None = None) -> None:
        opts = self.pool.options
        port = AtPort(path or self.path, opts.baudrate, timeout=opts.command_timeout)
        await port.open()
        port.add_lost_handler(self._lost)
        port.add_urc_handler(self._sim_urc)
        self.port = port
        profile = by_name(self.spec.profile) if self.spec.profile else None
        self.modem = Modem(port, profile, pin_guard=self.pool.pin_guard, timeout=opts.command_timeout)

    async def bring_up(self, listen: bool = True) -> None:
        """Open, identify, inventory the SIM and (with `listen`) start receiving SMS."""
        opts = self.pool.options
        try:
            if self.port is None or not self.port.is_open:
                await self.open()
            assert self.modem is not None
            self.identity = await self.modem.init(probe_timeout=opts.probe_timeout)
            self.error = None
            if self.imei and self.identity.imei and self.identity.imei != self.imei:
                raise PortError(f"{self.path}: IMEI {self.identity.imei}, expected {self.imei}")
            self.imei = self.identity.imei or self.imei
            iccid_pin = None
            sim = await self.modem.sim_info(pin=None, use_ussd=opts.use_ussd_for_number)
            if sim.pin_state == "SIM PIN" and sim.iccid and (iccid_pin := opts.pins.get(sim.iccid)):
                sim = await self.modem.sim_info(pin=iccid_pin, use_ussd=opts.use_ussd_for_number)
            if sim.msisdn is None and sim.iccid and sim.iccid in opts.numbers:
                sim.msisdn, sim.msisdn_source = opts.numbers[sim.iccid], "config"
            self.sim = sim
            if sim.pin_state == "READY":
                self.status = "ok"
            elif sim.pin_state in ("NOT INSERTED", "NOT READY"):
                self.status = "no_sim"
            else:
                self.status = "locked"
                self.error = "; ".join(sim.errors) or f"SIM state {sim.pin_state}"
            if self.inbox is not None:
                await self.inbox.stop()
                self.inbox = None
            if listen and self.status == "ok":
                self.inbox = Inbox(
                    self.modem,
                    self.pool._deliver,
                    sim_key=self.key,
                    msisdn=sim.msisdn,
                    reassembly_timeout=opts.reassembly_timeout,
                    sweep_interval=opts.sweep_interval,
                    indications=opts.indications,
                    cmgl_timeout=opts.cmgl_timeout,
                )
                await self.inbox.start()
        except AtTimeout as exc:
            self.status = "silent"
            self.error = str(exc)
            await self.close()
        except (PortClosed, PortError) as exc:
            self.status = "lost" if isinstance(exc, PortClosed) else "error"
            self.error = str(exc)
            await self.close()
        except SimboxError as exc:
            self.status = "error"
            self.error = str(exc)

    async def close(self) -> None:
        if self.inbox is not None:
            await self.inbox.stop()
            self.inbox = None
        if self.port is not None:
            await self.port.close()
            self.port = None
        self.modem = None

    def start_tasks(self) -> None:
        opts = self.pool.options
        if opts.watchdog_interval:
            self._tasks.append(asyncio.get_running_loop().create_task(self._watchdog()))

    async def stop(self) -> None:
        for t in self._tasks:
            t.cancel()
        for t in self._tasks:
            with contextlib.suppress(BaseException):
                await t
        self._tasks.clear()
        await self.close()

    # --- health ----------------------------------------------------------------------------------

    def _sim_urc(self, urc: Urc) -> None:
        """SIM removed (`+CPIN: NOT READY`, `^SIMST: 255` …) or (re)inserted (`+CPIN: READY`)."""
        line = urc.line.replace(" ", "").upper()
        if line in SIM_GONE and self.status == "ok":
            log.warning("%s: SIM %s removed", self.path, self.key)
            self.status = "no_sim"
            self._spawn(self._sim_gone())
        elif line in SIM_BACK and self.status in ("ok", "no_sim"):
            self._spawn(self._sim_back())

    async def _sim_gone(self) -> None:
        if self.inbox is not None:
            await self.inbox.stop()
            self.inbox = None

    async def _sim_back(self) -> None:
        """A SIM is ready: if it is another card (SIM bank, hot swap), take a new inventory."""
        await asyncio.sleep(0.05)
        if self.modem is None:
            return
        iccid = await self.modem.read_iccid()
        if self.status == "ok" and self.sim is not None and iccid == self.sim.iccid:
            return  # the same card (a modem reset): the inbox re-applies its settings itself
        log.info("%s: SIM %s is in; taking its inventory", self.path, iccid)
        await self.bring_up(listen=True)

    def _spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.append(task)
        task.add_done_callback(lambda t: None if t.cancelled() else t.exception())

    def _lost(self, port: AtPort) -> None:
        if self.port is not port:
            return
        self.status = "lost"
        self.error = f"{port.name} vanished"
        log.warning("%s: lost; re-binding by USB path / IMEI %s", self.path, self.imei)
        self._tasks.append(asyncio.get_running_loop().create_task(self._rebind()))

    async def _rebind(self) -> None:
        """Find the modem again: same by-path link (new tty behind it), else any unbound tty
        whose IMEI matches. Then bring it up again (settings re-applied, storages swept)."""
        if self.inbox is not None:
            await self.inbox.stop()
            self.inbox = None
        self.port = None
        opts = self.pool.options
        while True:
            for path in self._rebind_candidates():
                if not os.path.exists(path):
                    continue
                probe = AtPort(path, opts.baudrate, timeout=opts.probe_timeout)
                try:
                    await probe.open()
                    m = Modem(probe, timeout=opts.probe_timeout)
                    ident = await m.init(probe_timeout=opts.probe_timeout)
                except (SimboxError, OSError):
                    await probe.close()
                    continue
                await probe.close()
                if self.imei is None or ident.imei == self.imei:
                    self.path = path
                    self.rebinds += 1
                    await self.bring_up(listen=True)
                    if self.status in ("ok", "no_sim", "locked"):
                        log.info("re-bound IMEI %s at %s", self.imei, path)
                        self.rebound.set()
                        return
            await asyncio.sleep(opts.rebind_interval)

    def _rebind_candidates(self) -> list[str]:
        out = []
        if self.spec.usb_path:
            out.append(self.spec.path)  # the by-path link: the kernel re-points it
        bound = {ch.path for ch in self.pool.channels if ch is not self and ch.status != "lost"}
        for p in [*self.pool.extra_candidates(), *candidates(self.pool.options.rebind_patterns)]:
            if p not in bound and p not in out and os.path.realpath(p) not in {os.path.realpath(b) for b in bound}:
                out.append(p)
        return out

    async def _watchdog(self) -> None:
        """Every `watchdog_interval`: a working modem gets an AT ping; no answer → CFUN=0/1; still
        none → CFUN=1,1 (full reboot; the port may re-enumerate and be re-bound). A silent or
        failed one is probed and brought up again once it answers."""
        opts = self.pool.options
        assert opts.watchdog_interval
        while True:
            await asyncio.sleep(opts.watchdog_interval)
            try:
                await self.check()
            except (SimboxError, PortClosed) as exc:
                log.info("%s: watchdog: %s", self.path, exc)

    async def check(self) -> str:
        """One watchdog round; returns the status afterwards."""
        opts = self.pool.options
        if self.status == "lost":
            return self.status
        if self.status in ("silent", "error") or self.modem is None:
            if self.port is not None and self.port.is_open and self.modem is not None:
                try:
                    await self.modem.at("AT", opts.probe_timeout)
                except (AtTimeout, PortClosed):
                    return self.status
            await self.bring_up(listen=True)
            return self.status
        try:
            await self.modem.at("AT", opts.probe_timeout)
            return self.status
        except AtTimeout:
            log.warning("%s: no answer to AT; CFUN=0/1", self.path)
        try:
            await self.modem.restart(hard=False, timeout=opts.restart_timeout)
            await self.modem.at("AT", opts.probe_timeout)
            if self.inbox is not None:
                await self.inbox.configure()
                await self.inbox.sweep()
            return self.status
        except (SimboxError, PortClosed):
            log.warning("%s: still no answer; CFUN=1,1", self.path)
        with contextlib.suppress(SimboxError, PortClosed):
            await self.modem.restart(hard=True, timeout=opts.restart_timeout)
        self.status = "silent"
        self.error = "no answer to AT, CFUN=0/1 nor CFUN=1,1"
        if self.inbox is not None:
            await self.inbox.stop()
            self.inbox = None
        return self.status


class Pool:
    """Modems on many ports. See the module docstring."""

    def __init__(
        self,
        ports: Sequence[str | PortSpec],
        options: PoolOptions | None = None,
        *,
        candidate_paths: Callable[[], list[str]] | None = None,
        **kw: Any,
    ) -> None:
        self.options = options or PoolOptions(**kw)
        self.pin_guard = PinGuard(self.options.pin_guard_file)
        self.channels = [Channel(p if isinstance(p, PortSpec) else PortSpec(p), self) for p in ports]
        self._candidate_paths = candidate_paths
        self._backlog: list[IncomingSms] = []
        self._cond = asyncio.Condition()
        self._subscribers: list[Callable[[IncomingSms], None]] = []
        self.started = False

    @classmethod
    def discover(cls, by_path: str = "/dev/serial/by-path", **kw: Any) -> Pool:
        """A pool over every modem found under `by_path` (see `simbox.discovery`)."""
        return cls(discover(by_path), **kw)

    def extra_candidates(self) -> list[str]:
        return self._candidate_paths() if self._candidate_paths else []

    async def start(self, listen: bool = True) -> list[PortReport]:
        """Bring every port up concurrently; returns their reports (failures included)."""
        t0 = time.monotonic()
        await asyncio.gather(*(ch.bring_up(listen) for ch in self.channels))
        for ch in self.channels:
            ch.start_tasks()
        self.started = True
        elapsed = time.monotonic() - t0
        reports = [ch.report() for ch in self.channels]
        for r in reports:
            r.elapsed_s = elapsed
        return reports

    async def stop(self) -> None:
        await asyncio.gather(*(ch.stop() for ch in self.channels), return_exceptions=True)

    async def __aenter__(self) -> Pool:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- SIMs --------------------------------------------------------------------------------

    def channel_for(self, who: str) -> Channel:
        """The channel holding the SIM with this number, ICCID, IMEI or port path."""
        want = normalize_msisdn(who)
        for ch in self.channels:
            if who in (ch.path, ch.spec.path, ch.imei) or (ch.sim and who == ch.sim.iccid):
                return ch
            if want and ch.msisdn and normalize_msisdn(ch.msisdn) == want:
                return ch
        raise KeyError(f"no SIM {who} in the pool")

    def reports(self) -> list[PortReport]:
        return [ch.report() for ch in self.channels]

    # --- SMS ---------------------------------------------------------------------------------

    def subscribe(self, callback: Callable[[IncomingSms], None]) -> None:
        """Call `callback(msg)` for every SMS as it arrives (all SIMs)."""
        self._subscribers.append(callback)

    BACKLOG_S = 3600.0  # how long a handed-out message stays visible to `wait_sms`

    def _deliver(self, msg: IncomingSms) -> None:
        horizon = time.time() - self.BACKLOG_S
        self._backlog = [m for m in self._backlog if m.received_at >= horizon or not m.acked]
        self._backlog.append(msg)
        for cb in list(self._subscribers):
            try:
                cb(msg)
            except Exception:
                log.exception("SMS subscriber failed")
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._cond:
            self._cond.notify_all()

    def pending(self) -> list[IncomingSms]:
        """Messages received and not yet acknowledged."""
        self._backlog = [m for m in self._backlog if not m.acked]
        return list(self._backlog)

    async def wait_sms(
        self,
        who: str | None = None,
        *,
        timeout: float = 120.0,
        since: float | None = None,
        predicate: Callable[[IncomingSms], bool] | None = None,
        claim: bool = True,
    ) -> IncomingSms:
        """The next SMS for the SIM `who` (number, ICCID, IMEI or path; None: any SIM) received
        at or after `since` (wall-clock `time.time()`), matching `predicate`, not yet claimed by
        another waiter (`claim` claims it). Raises TimeoutError. Whoever persists it calls
        `ack()` (idempotent) to delete it from the SIM; a subscriber may already have done so."""
        def match(m: IncomingSms) -> bool:
            if m.claimed or m.duplicate_of is not None:
                return False
            if since is not None and m.received_at < since:
                return False
            if who is not None:
                want = normalize_msisdn(who)
                ch_ok = who in (m.sim, m.port) or (want and normalize_msisdn(m.msisdn) == want)
                if not ch_ok:
                    try:
                        ch = self.channel_for(who)
                    except KeyError:
                        return False
                    if ch.key != m.sim:
                        return False
            return predicate is None or predicate(m)

        async with asyncio.timeout(timeout):
            async with self._cond:
                while True:
                    for m in self._backlog:
                        if match(m):
                            if claim:
                                m.claimed = True
                            return m
                    await self._cond.wait()

    async def wait_code(
        self,
        who: str,
        *,
        timeout: float = 120.0,
        since: float | None = None,
        service: str | None = "telegram",
    ) -> IncomingSms:
        """The next SMS for SIM `who` that carries a login code (from `service`, if given).
        `msg.login_code` is the code; `await msg.ack()` after persisting it."""
        from simbox.otp import is_from

        def has_code(m: IncomingSms) -> bool:
            return m.login_code is not None and (service is None or is_from(m.sender, m.text, service))

        return await self.wait_sms(who, timeout=timeout, since=since, predicate=has_code)


async def scan(
    ports: Sequence[str | PortSpec], options: PoolOptions | None = None, **kw: Any
) -> list[PortReport]:
    """Open every port concurrently, inventory it, close it. Never raises for one bad port."""
    opts = options or PoolOptions(**kw)
    opts.watchdog_interval = None
    pool = Pool(ports, opts)
    t0 = time.monotonic()

    async def one(ch: Channel) -> PortReport:
        start = time.monotonic()
        await ch.bring_up(listen=False)
        rep = ch.report()
        rep.elapsed_s = time.monotonic() - start
        await ch.close()
        return rep

    reports = await asyncio.gather(*(one(ch) for ch in pool.channels))
    log.info("scanned %d ports in %.2fs", len(reports), time.monotonic() - t0)
    return list(reports)
