"""A virtual serial port on a real pseudo-terminal: the driver opens its slave path like /dev/ttyUSB3."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import tty

from simbox.emulator.vmodem import Reply, VirtualModem

log = logging.getLogger("simbox.emulator")

GARBAGE = bytes(range(0x80, 0x100)) + bytes(b for b in range(0x00, 0x20) if b not in (0x0A, 0x0D))


class Pty:
    """A pseudo-terminal pair in raw mode; the emulator keeps both ends open."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)

    def close(self) -> None:
        for fd in (self.master, self.slave):
            with contextlib.suppress(OSError):
                os.close(fd)


class PtyEndpoint:
    """Reads command lines from a pty master and writes replies, without blocking the loop."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.pty: Pty | None = None
        self._out = bytearray()
        self._inbuf = bytearray()
        self._writer_on = False

    @property
    def path(self) -> str | None:
        return self.pty.path if self.pty else None

    def open(self) -> str:
        self.pty = Pty()
        asyncio.get_running_loop().add_reader(self.pty.master, self._readable)
        return self.pty.path

    def close(self) -> None:
        if self.pty is None:
            return
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.pty.master)
        if self._writer_on:
            loop.remove_writer(self.pty.master)
            self._writer_on = False
        self.pty.close()
        self.pty = None
        self._out.clear()
        self._inbuf.clear()

    def hangup(self) -> int | None:
        """Close the master side only (the device is gone); returns the slave fd, still open."""
        if self.pty is None:
            return None
        loop = asyncio.get_running_loop()
        loop.remove_reader(self.pty.master)
        if self._writer_on:
            loop.remove_writer(self.pty.master)
            self._writer_on = False
        with contextlib.suppress(OSError):
            os.close(self.pty.master)
        slave = self.pty.slave
        self.pty = None
        self._out.clear()
        self._inbuf.clear()
        return slave

    def write(self, data: bytes) -> None:
        if self.pty is None:
            return
        self._out += data
        self._flush()

    def _flush(self) -> None:
        if self.pty is None:
            return
        while self._out:
            try:
                n = os.write(self.pty.master, self._out)
            except BlockingIOError:
                break
            except OSError:
                self._out.clear()
                return
            del self._out[:n]
        loop = asyncio.get_running_loop()
        if self._out and not self._writer_on:
            loop.add_writer(self.pty.master, self._flush)
            self._writer_on = True
        elif not self._out and self._writer_on:
            loop.remove_writer(self.pty.master)
            self._writer_on = False

    def _readable(self) -> None:
        if self.pty is None:
            return
        try:
            data = os.read(self.pty.master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        self.received(data)

    def received(self, data: bytes) -> None:  # pragma: no cover - overridden
        raise NotImplementedError


class VirtualPort(PtyEndpoint):
    """One modem behind one tty. Faults: silent, garbage, mid-response URCs, vanish/reappear."""

    def __init__(self, index: int, modem: VirtualModem, usb_path: str, latency: float = 0.0) -> None:
        super().__init__(f"port{index}")
        self.index = index
        self.modem = modem
        modem.emit = self.urc
        self.usb_path = usb_path
        self.latency = latency
        self.silent = False
        self.garbage_next = False
        self.mid_urcs: list[str] = []
        self.prompt_mode = False
        self.busy = False
        self.commands = 0
        self._queue: asyncio.Queue[bytes] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._flood: asyncio.Task[None] | None = None
        self._pending_urcs: list[str] = []
        self.rnd = random.Random(index)
        self.extra: list[PtyEndpoint] = []  # the other USB interfaces of an LTE module (silent)

    @property
    def present(self) -> bool:
        return self.pty is not None

    def start(self) -> str:
        path = self.open()
        self._task = asyncio.get_running_loop().create_task(self._run(), name=f"emu-{self.name}")
        if self.modem.profile.rssi_flood:
            self._flood = asyncio.get_running_loop().create_task(self._rssi_flood())
        return path

    def stop(self) -> None:
        for t in (self._task, self._flood):
            if t is not None:
                t.cancel()
        self._task = self._flood = None
        self.close()
        for e in self.extra:
            e.close()

    # --- output ------------------------------------------------------------------------------

    def urc(self, text: str) -> None:
        """Send an unsolicited line (possibly two lines for +CMT)."""
        if self.silent or self.pty is None:
            return
        if self.busy:
            self._pending_urcs.append(text)
            return
        self.write(f"\r\n{text}\r\n".encode())

    def _emit_reply(self, echo: str | None, reply: Reply) -> None:
        out = bytearray()
        if echo is not None and self.modem.echo:
            out += (echo + "\r").encode()
        lines = list(reply.lines)
        for i, line in enumerate(lines):
            out += f"\r\n{line}\r\n".encode()
            if i == 0 and self.mid_urcs:
                for u in self.mid_urcs:
                    out += f"\r\n{u}\r\n".encode()
                self.mid_urcs.clear()
            if i == 0 and self.garbage_next:
                out += self._garbage()
                self.garbage_next = False
        if self.garbage_next and reply.final is not None:  # single-line answer: before the final
            out += self._garbage()
            self.garbage_next = False
        if self.mid_urcs and reply.final is not None:
            for u in self.mid_urcs:
                out += f"\r\n{u}\r\n".encode()
            self.mid_urcs.clear()
        if reply.prompt:
            out += b"\r\n> "
        elif reply.final is not None:
            out += f"\r\n{reply.final}\r\n".encode()
        for u in reply.after:
            out += f"\r\n{u}\r\n".encode()
        self.write(bytes(out))

    def _garbage(self) -> bytes:
        burst = bytes(self.rnd.choice(GARBAGE) for _ in range(self.rnd.randint(8, 40)))
        return b"\r\n" + burst + b"\r\n" + bytes(self.rnd.choice(GARBAGE) for _ in range(5))

    # --- input -------------------------------------------------------------------------------

    def received(self, data: bytes) -> None:
        if self.silent:
            return
        self._queue.put_nowait(data)

    async def _run(self) -> None:
        buf = bytearray()
        while True:
            data = await self._queue.get()
            buf += data
            while buf:
                if self.prompt_mode:
                    end = next((i for i, b in enumerate(buf) if b in (0x1A, 0x1B)), -1)
                    if end < 0:
                        break
                    payload, term = bytes(buf[:end]), buf[end]
                    del buf[: end + 1]
                    self.prompt_mode = False
                    if term == 0x1B:
                        self._emit_reply(None, Reply())
                        continue
                    pdu = payload.decode("ascii", "replace").strip()
                    await self._answer(None, lambda p=pdu: self.modem.submit(p))
                    continue
                end = next((i for i, b in enumerate(buf) if b in (0x0D, 0x0A)), -1)
                if end < 0:
                    break
                raw = bytes(b for b in buf[:end] if 0x20 <= b < 0x7F)  # modems ignore stray ESC etc.
                line = raw.decode("ascii").strip()
                del buf[: end + 1]
                if not line:
                    continue
                self.commands += 1
                await self._answer(line, lambda ln=line: self.modem.handle(ln))

    async def _answer(self, echo: str | None, fn: object) -> None:
        self.busy = True
        try:
            if self.latency:
                await asyncio.sleep(self.latency)
            try:
                reply: Reply = fn()  # type: ignore[operator]
            except Exception:  # an emulator bug must look like a modem ERROR, not kill the port
                log.exception("%s: command failed", self.name)
                reply = Reply(final="ERROR")
            if self.silent:
                return
            self._emit_reply(echo, reply)
            if reply.prompt:
                self.prompt_mode = True
        finally:
            self.busy = False
        pending, self._pending_urcs = self._pending_urcs, []
        for u in pending:
            self.urc(u)
        if reply.restart:
            await self.restart()

    async def restart(self, delay: float = 0.05) -> None:
        """CFUN=1,1: the modem reboots, forgets its settings, says RDY etc."""
        self.modem.reset()
        self.modem.cfun = 1
        await asyncio.sleep(delay)
        for u in self.modem.profile.ready_urcs:
            self.urc(u)
        self.modem.flush_network_queue()

    async def _rssi_flood(self, interval: float = 0.3) -> None:
        n = 0
        while True:
            await asyncio.sleep(interval)
            if self.modem.curc and self.present and not self.silent:
                n += 1
                self.urc(f"^RSSI:{self.modem.signal}" if n % 3 else "^MODE:3,3")
