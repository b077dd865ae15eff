"""The emulated SimBox: N virtual modems on pseudo-terminals, virtual SIMs, an optional SIM bank.

    async with Emulator(ports=16) as emu:
        paths = emu.paths                      # ['/dev/pts/7', ...] real ttys
        emu.deliver_sms("+77051234567", "Telegram code: 12345", sender="Telegram")

Everything runs on the caller's event loop; `deliver_sms` and the fault methods are plain calls.
`workdir` gets `ttyUSB<n>` aliases and a `by-path/` folder shaped like /dev/serial/by-path, so
discovery by USB path works as on real hardware.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import random
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from simbox.emulator.bank import VirtualBank
from simbox.emulator.port import PtyEndpoint, VirtualPort
from simbox.emulator.profiles import get_profile
from simbox.emulator.sim import VirtualSim
from simbox.emulator.vmodem import VirtualModem, ready_imei
from simbox.pdu.codec import Sms, encode_deliver, encode_deliver_parts

log = logging.getLogger("simbox.emulator")


class _Silent(PtyEndpoint):
    """A non-AT USB interface (diagnostics, NMEA): reads everything, answers nothing."""

    def received(self, data: bytes) -> None:
        return None


def normalize_number(number: str) -> str:
    """Digits only, with Kazakh/Russian national '8…' folded into '7…' (for matching)."""
    digits = "".join(c for c in number if c.isdigit())
    if len(digits) == 11 and digits.startswith("8"):
        digits = "7" + digits[1:]
    return digits


class Emulator:
    """A virtual modem pool. See the module docstring; every port is `emu.ports[i]`."""

    def __init__(
        self,
        ports: int = 4,
        sims: Sequence[VirtualSim | dict[str, Any] | None] | None = None,
        profiles: str | Sequence[str] = "sim800",
        *,
        workdir: str | os.PathLike[str] | None = None,
        control: str | os.PathLike[str] | None = None,
        bank_rows: int = 0,
        seed: int = 0,
        reg_delay: float = 0.0,
        latency: float = 0.0,
        smsc: str = "+77010000000",
    ) -> None:
        self.count = ports
        self.seed = seed
        self.smsc = smsc
        self.reg_delay = reg_delay
        self.latency = latency
        self.profile_names = [profiles] * ports if isinstance(profiles, str) else list(profiles)
        if len(self.profile_names) < ports:
            self.profile_names = [self.profile_names[i % len(self.profile_names)] for i in range(ports)]
        for name in self.profile_names:
            get_profile(name)
        self._sims_arg = list(sims) if sims is not None else None
        self._own_workdir = workdir is None
        self.workdir = Path(workdir) if workdir else None
        self.control_path = str(control) if control else None
        self.bank_rows = bank_rows
        self.ports: list[VirtualPort] = []
        self.bank: VirtualBank | None = None
        self._control_server: asyncio.AbstractServer | None = None
        self._tty_counter = 0
        self._rnd = random.Random(seed)

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self) -> Emulator:
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix="simbox-emu-"))
        self.workdir.mkdir(parents=True, exist_ok=True)
        (self.workdir / "by-path").mkdir(exist_ok=True)
        sims = self._make_sims()
        for i in range(self.count):
            profile = get_profile(self.profile_names[i])
            modem = VirtualModem(
                profile,
                ready_imei(i, self.seed),
                sims[i],
                lambda _t: None,
                network=self._network,
                reg_delay=self.reg_delay,
                signal=10 + (i * 7) % 21,
            )
            usb = f"platform-simbox-emu-usb-0:{1 + i // 8}.{1 + i % 8}"
            port = VirtualPort(i, modem, usb, latency=self.latency)
            self.ports.append(port)
            self._plug(port)
        if self.bank_rows:
            self.bank = VirtualBank(self, self.bank_rows)
            self.bank.open()
            self._link(self.workdir / "simbank", self.bank.path or "")
        if self.control_path:
            from simbox.emulator.control import serve

            self._control_server = await serve(self, self.control_path)
        self.write_manifest()
        return self

    async def stop(self) -> None:
        if self._control_server is not None:
            self._control_server.close()
            with contextlib.suppress(Exception):
                await self._control_server.wait_closed()
            if self.control_path:
                with contextlib.suppress(OSError):
                    os.unlink(self.control_path)
        for p in self.ports:
            p.stop()
        if self.bank is not None:
            self.bank.close()
        if self._own_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)

    async def __aenter__(self) -> Emulator:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    def _make_sims(self) -> list[VirtualSim | None]:
        out: list[VirtualSim | None] = []
        for i in range(self.count):
            spec: VirtualSim | dict[str, Any] | None
            if self._sims_arg is None:
                spec = {"seed": self.seed * 100003 + i}
            elif i < len(self._sims_arg):
                spec = self._sims_arg[i]
            else:
                spec = None
            if isinstance(spec, dict):
                spec = VirtualSim.from_dict({"seed": self.seed * 100003 + i, **spec})
            out.append(spec)
        return out

    def _plug(self, port: VirtualPort) -> None:
        assert self.workdir is not None
        path = port.start()
        profile = port.modem.profile
        by_path = self.workdir / "by-path"
        for iface in range(profile.interfaces):
            name = f"{port.usb_path}:1.{iface}-port0"
            if iface == profile.at_interface:
                self._link(by_path / name, path)
            else:
                extra = _Silent(f"{port.name}-if{iface}")
                extra_path = extra.open()
                port.extra.append(extra)
                self._link(by_path / name, extra_path)
        alias = self.workdir / f"ttyUSB{self._tty_counter}"
        self._tty_counter += 1
        self._link(alias, path)
        port.alias = str(alias)  # type: ignore[attr-defined]

    @staticmethod
    def _link(link: Path, target: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            link.unlink()
        link.symlink_to(target)

    # --- what the pool looks like --------------------------------------------------------------

    @property
    def paths(self) -> list[str]:
        """The tty path of each present port, in port order (vanished ports are left out)."""
        return [p.path for p in self.ports if p.path]

    @property
    def by_path_dir(self) -> str:
        assert self.workdir is not None
        return str(self.workdir / "by-path")

    @property
    def sims(self) -> list[VirtualSim]:
        return [p.modem.sim for p in self.ports if p.modem.sim is not None]

    def manifest(self) -> dict[str, Any]:
        """Ports, their tty paths, USB paths, IMEIs and SIMs: what a test or another process needs."""
        return {
            "workdir": str(self.workdir),
            "by_path": self.by_path_dir,
            "control": self.control_path,
            "bank": self.bank.path if self.bank else None,
            "ports": [
                {
                    "index": p.index,
                    "path": p.path,
                    "alias": getattr(p, "alias", None),
                    "usb_path": p.usb_path,
                    "profile": p.modem.profile.name,
                    "imei": p.modem.imei,
                    "silent": p.silent,
                    "sim": p.modem.sim.to_dict() if p.modem.sim else None,
                }
                for p in self.ports
            ],
        }

    def write_manifest(self) -> None:
        if self.workdir is not None:
            (self.workdir / "manifest.json").write_text(json.dumps(self.manifest(), indent=2))

    def port_for(self, msisdn: str) -> VirtualPort:
        """The port whose SIM has this number (any format: +7701…, 8701…, 7701…)."""
        want = normalize_number(msisdn)
        for p in self.ports:
            sim = p.modem.sim
            if sim is not None and normalize_number(sim.msisdn) == want:
                return p
        raise KeyError(f"no SIM with number {msisdn} in the emulator")

    def sim_for(self, msisdn: str) -> VirtualSim:
        want = normalize_number(msisdn)
        for p in self.ports:
            if p.modem.sim is not None and normalize_number(p.modem.sim.msisdn) == want:
                return p.modem.sim
        if self.bank is not None:
            for sim in self.bank.all_sims():
                if normalize_number(sim.msisdn) == want:
                    return sim
        raise KeyError(f"no SIM with number {msisdn} in the emulator")

    # --- SMS and USSD --------------------------------------------------------------------------

    def deliver_sms(
        self,
        to: str,
        text: str,
        sender: str = "Telegram",
        *,
        encoding: str | None = None,
        order: Sequence[int] | None = None,
        ref_bits: int = 8,
    ) -> list[int | None]:
        """Deliver an SMS to the SIM with number `to`, exactly as a network would.

        Long or non-GSM text becomes a concatenated set of SMS-DELIVER PDUs (UCS2 for Cyrillic).
        Each part is stored on the SIM and announced with `+CMTI` (or sent as `+CMT` if the
        driver chose direct routing). `order` permutes the parts (e.g. [2, 0, 1]) to test
        out-of-order arrival. Returns each part's storage index (None: held by the network
        because the SIM is missing, locked or full). KeyError if no SIM has that number."""
        pdus = encode_deliver_parts(sender, text, smsc=self.smsc, encoding=encoding, ref_bits=ref_bits)
        if order is not None:
            pdus = [pdus[i] for i in order]
        return self.deliver_pdus(to, pdus)

    def deliver_pdus(self, to: str, pdus: Sequence[str]) -> list[int | None]:
        """Deliver ready-made SMS-DELIVER PDUs (hex, with SMSC field) to the SIM with number `to`."""
        for p in self.ports:
            sim = p.modem.sim
            if sim is not None and normalize_number(sim.msisdn) == normalize_number(to):
                if not p.present:
                    return [self._store_offline(sim, pdu) for pdu in pdus]
                return [p.modem.receive(pdu) for pdu in pdus]
        sim = self.sim_for(to)  # a SIM resting in the bank: the network holds it
        for pdu in pdus:
            sim.network_queue.append(pdu)
        return [None] * len(pdus)

    @staticmethod
    def _store_offline(sim: VirtualSim, pdu: str) -> int | None:
        idx = sim.store(pdu)
        if idx is None:
            sim.network_queue.append(pdu)
        return idx

    def _network(self, sender: str, destination: str, sms: Sms) -> None:
        """An SMS (one part) sent by one of our modems to one of our SIMs arrives there as an
        SMS-DELIVER with the same alphabet and concatenation header (loopback)."""
        pdu = encode_deliver(sender, sms.text, smsc=self.smsc, encoding=sms.encoding, concat=sms.concat)
        with contextlib.suppress(KeyError):
            self.deliver_pdus(destination, [pdu])

    def set_ussd(self, msisdn: str | None, code: str, reply: str) -> None:
        """Answer USSD `code` with `reply` on one SIM (or every SIM with msisdn None)."""
        sims = [self.sim_for(msisdn)] if msisdn else self.sims
        for sim in sims:
            sim.ussd[code] = reply

    # --- faults -----------------------------------------------------------------------------------

    def set_silent(self, index: int, silent: bool = True) -> None:
        """The modem stops answering anything (hung firmware)."""
        self.ports[index].silent = silent

    def garbage(self, index: int) -> None:
        """A burst of garbage bytes in the middle of the port's next response."""
        self.ports[index].garbage_next = True

    def urc_mid_response(self, index: int, line: str) -> None:
        """Put `line` (a URC) in the middle of the port's next response."""
        self.ports[index].mid_urcs.append(line)

    def vanish(self, index: int) -> None:
        """The port disappears (USB unplugged): its tty and aliases are gone."""
        port = self.ports[index]
        assert self.workdir is not None
        for link in (self.workdir / "by-path").iterdir():
            if link.name.startswith(port.usb_path + ":"):
                link.unlink()
        alias = getattr(port, "alias", None)
        if alias:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(alias)
        # USB unplugged: the master side hangs up now (the driver's reads fail at once); the old
        # slave stays open until the port comes back, so the new tty gets another name.
        port._old_slave = port.hangup()  # type: ignore[attr-defined]
        for e in port.extra:
            e.close()
        port.extra.clear()
        for t in (port._task, port._flood):
            if t is not None:
                t.cancel()
        self.write_manifest()

    async def reappear(self, index: int, delay: float = 0.0) -> str:
        """The port comes back (re-enumerated) under a new tty name; it rebooted. Returns the path."""
        port = self.ports[index]
        if delay:
            await asyncio.sleep(delay)
        port.modem.reset()
        self._plug(port)
        old_slave = getattr(port, "_old_slave", None)
        if old_slave is not None:
            with contextlib.suppress(OSError):
                os.close(old_slave)
            port._old_slave = None  # type: ignore[attr-defined]
        self.write_manifest()
        asyncio.get_running_loop().call_later(0.05, self._announce_boot, port)
        assert port.path is not None
        return port.path

    def _announce_boot(self, port: VirtualPort) -> None:
        for u in port.modem.profile.ready_urcs:
            port.urc(u)

    @contextlib.contextmanager
    def burst(self, index: int) -> Iterator[None]:
        """URCs raised inside the block reach the port in one write (several +CMTI in one read)."""
        port = self.ports[index]
        port.busy = True
        try:
            yield
        finally:
            port.busy = False
            pending, port._pending_urcs = port._pending_urcs, []
            port.write(b"".join(f"\r\n{u}\r\n".encode() for u in pending))

    def remove_sim(self, index: int) -> VirtualSim | None:
        port = self.ports[index]
        sim, port.modem.sim = port.modem.sim, None
        port.urc("+CPIN: NOT READY")
        return sim

    def insert_sim(self, index: int, sim: VirtualSim) -> None:
        """A SIM goes into the slot (hot swap): the modem reads it and says `+CPIN: READY`
        (or `+CPIN: SIM PIN` for a card with a PIN)."""
        port = self.ports[index]
        port.modem.sim = sim
        if sim.pin is not None:
            sim.unlocked = False
        port.urc(f"+CPIN: {sim.pin_state}")

    def require_pin(self, index: int, pin: str = "1234") -> VirtualSim:
        """The SIM in port `index` gets a PIN and is locked (as after power-on)."""
        sim = self.ports[index].modem.sim
        if sim is None:
            raise ValueError(f"port {index} has no SIM")
        sim.pin = pin
        sim.unlocked = False
        return sim

    def fill_storage(self, index: int) -> None:
        """Fill the SIM's SMS storage with old messages (CMS 322 territory)."""
        sim = self.ports[index].modem.sim
        if sim is None:
            raise ValueError(f"port {index} has no SIM")
        filler = encode_deliver_parts("Beeline", "Old message", smsc=self.smsc)[0]
        while sim.store(filler) is not None:
            pass

    async def restart_modem(self, index: int) -> None:
        await self.ports[index].restart()
