"""An asyncio AT port over pyserial: one command in flight, a timeout on each, URCs to callbacks.

The serial device is opened with pyserial (so termios, exclusive locking and baud rates are
pyserial's) and then read without threads through the event loop's reader on its file
descriptor. A vanished device (USB unplugged, pty closed) ends every waiter with `PortClosed`
and fires the `on_lost` callbacks; the pool re-binds it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass

import serial

from simbox.at.framer import AtStream, CommandSpec, Final, Prompt, Urc
from simbox.errors import AtTimeout, PortClosed, PortError, error_from_final

log = logging.getLogger("simbox.at")

UrcHandler = Callable[[Urc], None]


@dataclass(frozen=True)
class Response:
    """A successful command: its body lines (echo, URCs and the final `OK` removed)."""

    command: str
    lines: tuple[str, ...]

    def first(self, prefix: str = "") -> str | None:
        """The first body line starting with `prefix` (any line if empty)."""
        for line in self.lines:
            if line.startswith(prefix):
                return line
        return None

    def values(self, prefix: str) -> list[str]:
        """The text after `prefix` of every line that has it."""
        return [line[len(prefix) :].strip() for line in self.lines if line.startswith(prefix)]


class AtPort:
    """One AT serial port. Use `async with AtPort(path) as port:` or `open()`/`close()`."""

    def __init__(
        self,
        path: str,
        baudrate: int = 115200,
        *,
        timeout: float = 5.0,
        name: str | None = None,
        exclusive: bool = True,
    ) -> None:
        self.path = path
        self.baudrate = baudrate
        self.timeout = timeout
        self.name = name or path
        self.exclusive = exclusive
        self._serial: serial.Serial | None = None
        self._fd: int | None = None
        self._stream = AtStream()
        self._lock = asyncio.Lock()
        self._waiter: asyncio.Future[Final] | None = None
        self._prompt: asyncio.Future[None] | None = None
        self._urc_handlers: list[UrcHandler] = []
        self._lost_handlers: list[Callable[[AtPort], None]] = []
        self.lost = False
        self.bytes_in = 0
        self._desync = False  # a command timed out: its late answer may still come
        self._desync_cmd = ""

    # --- lifecycle -------------------------------------------------------------------------

    async def open(self) -> AtPort:
        """Open the device, drop whatever it buffered before we came, start reading."""
        loop = asyncio.get_running_loop()
        try:
            ser = serial.Serial(
                self.path, self.baudrate, timeout=0, write_timeout=0, exclusive=self.exclusive
            )
        except (serial.SerialException, OSError, ValueError) as exc:
            raise PortError(f"cannot open {self.path}: {exc}") from None
        with contextlib.suppress(serial.SerialException, OSError, AttributeError):
            ser.reset_input_buffer()
        self._serial = ser
        self._fd = ser.fileno()
        os.set_blocking(self._fd, False)
        self.lost = False
        self._stream = AtStream()
        loop.add_reader(self._fd, self._on_readable)
        return self

    async def close(self) -> None:
        """Close the device; pending commands end with `PortClosed`."""
        self._shutdown(PortClosed(f"{self.name} closed"))

    async def __aenter__(self) -> AtPort:
        return await self.open()

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    @property
    def is_open(self) -> bool:
        return self._fd is not None and not self.lost

    def add_urc_handler(self, handler: UrcHandler) -> None:
        """Call `handler(urc)` for every URC (called from the reader; must not block)."""
        self._urc_handlers.append(handler)

    def remove_urc_handler(self, handler: UrcHandler) -> None:
        with contextlib.suppress(ValueError):
            self._urc_handlers.remove(handler)

    def add_lost_handler(self, handler: Callable[[AtPort], None]) -> None:
        """Call `handler(port)` once if the device vanishes."""
        self._lost_handlers.append(handler)

    # --- commands --------------------------------------------------------------------------

    async def command(
        self,
        cmd: str,
        timeout: float | None = None,
        *,
        prefixes: tuple[str, ...] = (),
        final_on_prefix: bool = False,
        data: str | None = None,
    ) -> Response:
        """Send `cmd` and return its body lines; raises `CmeError`/`CmsError`/`AtError`,
        `AtTimeout` or `PortClosed`. With `data`, waits for the `> ` prompt and sends
        `data` + Ctrl-Z (SMS submit, stored writes)."""
        limit = self.timeout if timeout is None else timeout
        async with self._lock:
            if not self.is_open:
                raise PortClosed(f"{self.name} is not open")
            if self._desync:
                await self._resync(min(limit, 1.0))
            loop = asyncio.get_running_loop()
            spec = CommandSpec(cmd, prefixes, final_on_prefix, expects_prompt=data is not None)
            self._waiter = loop.create_future()
            self._prompt = loop.create_future() if data is not None else None
            self._stream.begin(spec)
            try:
                async with asyncio.timeout(limit):
                    await self._write((cmd + "\r").encode())
                    if data is not None and self._prompt is not None:
                        await self._prompt
                        await self._write(data.encode() + b"\x1a")
                    final = await self._waiter
            except TimeoutError:
                self._stream.abort()
                self._desync = True
                self._desync_cmd = cmd
                if data is not None:  # leave the prompt so the modem is not stuck in it
                    with contextlib.suppress(OSError):
                        await self._write(b"\x1b")
                raise AtTimeout(cmd, limit, self.name) from None
            finally:
                self._waiter = None
                self._prompt = None
        if not final.ok:
            raise error_from_final(cmd, final.result, final.lines)
        return Response(cmd, final.lines)

    async def _resync(self, limit: float) -> None:
        """After a timeout, the timed-out command's answer may still come and must not be taken
        for the next command's. Send a marker query (`AT+CMEE?`, whose answer carries `+CMEE:`)
        and drop every final result that comes without that line: those are late answers."""
        marker, prefix = ("AT+CMGF?", "+CMGF:") if self._desync_cmd.upper().startswith("AT+CMEE") else (
            "AT+CMEE?", "+CMEE:")
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(limit):
                self._waiter = loop.create_future()
                self._stream.begin(CommandSpec(marker, (prefix,), require_prefix=True))
                await self._write((marker + "\r").encode())
                await self._waiter
        except TimeoutError:
            self._stream.abort()
            log.info("%s: no marker answer after a timeout; carrying on", self.name)
        finally:
            self._waiter = None
            self._desync = False

    async def raw_write(self, data: bytes) -> None:
        """Write bytes outside any command (rarely needed: escape sequences)."""
        await self._write(data)

    # --- internals -------------------------------------------------------------------------

    async def _write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._fd is None or self.lost:
                raise PortClosed(f"{self.name} is not open")
            try:
                n = os.write(self._fd, view)
            except BlockingIOError:
                await asyncio.sleep(0.002)
                continue
            except OSError as exc:
                self._shutdown(PortClosed(f"{self.name} lost: {exc}"))
                raise PortClosed(f"{self.name} lost: {exc}") from None
            view = view[n:]

    def _on_readable(self) -> None:
        if self._fd is None:
            return
        try:
            data = os.read(self._fd, 4096)
        except BlockingIOError:
            return
        except OSError as exc:
            self._shutdown(PortClosed(f"{self.name} lost: {exc}"), lost=True)
            return
        if not data:
            self._shutdown(PortClosed(f"{self.name} lost: end of file"), lost=True)
            return
        self.bytes_in += len(data)
        for ev in self._stream.feed(data):
            if isinstance(ev, Urc):
                self._dispatch(ev)
            elif isinstance(ev, Final):
                if self._waiter is not None and not self._waiter.done():
                    self._waiter.set_result(ev)
            elif isinstance(ev, Prompt) and self._prompt is not None and not self._prompt.done():
                self._prompt.set_result(None)

    def _dispatch(self, urc: Urc) -> None:
        if urc.stray:
            log.debug("%s: stray line %r", self.name, urc.line)
        for handler in list(self._urc_handlers):
            try:
                handler(urc)
            except Exception:  # a broken handler must not kill the reader
                log.exception("%s: URC handler failed on %r", self.name, urc.line)

    def _shutdown(self, exc: PortClosed, lost: bool = False) -> None:
        was_open = self._fd is not None
        if self._fd is not None:
            with contextlib.suppress(Exception):
                asyncio.get_running_loop().remove_reader(self._fd)
            self._fd = None
        if self._serial is not None:
            with contextlib.suppress(Exception):
                self._serial.close()
            self._serial = None
        for fut in (self._waiter, self._prompt):
            if fut is not None and not fut.done():
                fut.set_exception(exc)
                fut.exception()  # mark retrieved: the waiter may already be cancelled
        if lost and was_open and not self.lost:
            self.lost = True
            log.warning("%s: port lost", self.name)
            for handler in list(self._lost_handlers):
                try:
                    handler(self)
                except Exception:
                    log.exception("%s: lost handler failed", self.name)
