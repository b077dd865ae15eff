"""Time as the crawler experiences it: real time in production, sandbox time in rehearsals.

Human-like pauses, reply timeouts and conversation budgets all go through a `Pacer`. Against
the sandbox, `SandboxPacer` makes a pause move the sandbox clock forward instead of waiting, so
shops that demand human pacing (anti-bot rules) and operators who answer after minutes are met
in sandbox time while a rehearsal or benchmark runs at full speed.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol


class Pacer(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class RealPacer:
    """Wall-clock time."""

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class SandboxPacer:
    """Sandbox time: a pause advances the sandbox clock (shared with the server in-process)."""

    def __init__(self, clock: Any, real_pause: float = 0.01) -> None:
        self.clock = clock
        self.real_pause = real_pause

    def now(self) -> float:
        return float(self.clock.now())

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.clock.advance(seconds)
        await asyncio.sleep(self.real_pause)


class RemoteSandboxPacer:
    """Sandbox time of a sandbox in another process, moved through its control socket
    (`prokai sandbox up` prints the socket's path)."""

    def __init__(self, control_path: str, real_pause: float = 0.01) -> None:
        self.control_path = control_path
        self.real_pause = real_pause
        self.offset = self._advance(0.0)

    def _advance(self, seconds: float) -> float:
        from prokai.sandbox.control import request

        return float(request(self.control_path, {"op": "advance", "seconds": seconds})["offset_s"])

    def now(self) -> float:
        return time.time() + self.offset

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.offset = await asyncio.to_thread(self._advance, seconds)
        await asyncio.sleep(self.real_pause)
