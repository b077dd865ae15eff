"""The emulator on a background thread, for synchronous code (scripts, the demo, CLI tests).

    with EmulatorThread(ports=4) as emu:
        scan_and_store(db, emu.paths)               # any code, any event loop
        emu.deliver_sms("+77051234567", "Telegram code: 12345")
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

from simbox.emulator.core import Emulator

T = TypeVar("T")


class EmulatorThread:
    """Runs an `Emulator(**kwargs)` on its own event loop in a daemon thread."""

    def __init__(self, **kwargs: Any) -> None:
        self.kwargs = kwargs
        self.loop = asyncio.new_event_loop()
        self.emulator: Emulator | None = None
        self._thread = threading.Thread(target=self.loop.run_forever, name="simbox-emulator", daemon=True)

    def start(self) -> EmulatorThread:
        self._thread.start()
        self.emulator = self.run(lambda: Emulator(**self.kwargs).start())
        return self

    def run(self, fn: Callable[[], Any]) -> Any:
        """Run `fn()` on the emulator's loop (awaiting it if it returns a coroutine)."""

        async def call() -> Any:
            result = fn()
            if asyncio.iscoroutine(result):
                result = await result
            return result

        fut: Future[Any] = asyncio.run_coroutine_threadsafe(call(), self.loop)
        return fut.result(timeout=30)

    def stop(self) -> None:
        if self.emulator is not None:
            self.run(self.emulator.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=10)
        self.loop.close()

    def __enter__(self) -> EmulatorThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def paths(self) -> list[str]:
        assert self.emulator is not None
        return list(self.emulator.paths)

    def manifest(self) -> dict[str, Any]:
        assert self.emulator is not None
        emu = self.emulator
        result: dict[str, Any] = self.run(emu.manifest)
        return result

    def deliver_sms(self, to: str, text: str, sender: str = "Telegram", **kw: Any) -> list[int | None]:
        """Thread-safe `Emulator.deliver_sms`."""
        assert self.emulator is not None
        emu = self.emulator
        result: list[int | None] = self.run(lambda: emu.deliver_sms(to, text, sender, **kw))
        return result

    def call(self, method: str, *args: Any, **kw: Any) -> Any:
        """Call any Emulator method on its loop (faults: "set_silent", "vanish", …)."""
        assert self.emulator is not None
        fn = getattr(self.emulator, method)
        return self.run(lambda: fn(*args, **kw))
