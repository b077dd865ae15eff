"""Time as the crawler experiences it: real time in production, sandbox time in rehearsals.

Human-like pauses, reply timeouts and conversation budgets all go through a `Pacer`. Against
the sandbox, `SandboxPacer` makes a pause move the sandbox clock forward instead of waiting, so
shops that demand human pacing (anti-bot rules) and operators who answer after minutes are met
in sandbox time while a rehearsal or benchmark runs at full speed.

`min_pause` is the shortest pause a pacer takes (a pause of 0 stays 0): the crawler polls a chat
between its pauses, and Telegram answers messages.getHistory polled faster than about once every
800 ms with FLOOD_WAIT (github.com/danog/MadelineProto/issues/284; the sandbox's limits profile
allows 60 in 30 s). Telethon's get_messages costs up to two getHistory calls, so the sandbox pacers
keep a conversation's polls at least 1.25 s of sandbox time apart (48 calls in 30 s at most;
`SandboxPacer` divides that among the conversations pausing side by side, which all move one
clock); `RealPacer(min_pause=1.25)` does the same on the real service.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Protocol


class Pacer(Protocol):
    def now(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


# Shortest pause between polls that keeps a conversation under Telegram's getHistory limit.
POLL_SAFE_PAUSE = 1.25


class RealPacer:
    """Wall-clock time."""

    def __init__(self, min_pause: float = 0.0) -> None:
        self.min_pause = min_pause

    def now(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(seconds, self.min_pause) if seconds > 0 else seconds)


class SandboxPacer:
    """Sandbox time: a pause advances the sandbox clock (shared with the server in-process)."""

    def __init__(self, clock: Any, real_pause: float = 0.01, min_pause: float = POLL_SAFE_PAUSE) -> None:
        self.clock = clock
        self.real_pause = real_pause
        self.min_pause = min_pause
        self._recent: dict[int, float] = {}  # task -> when it last paused (real time)

    def now(self) -> float:
        return float(self.clock.now())

    def _floor(self) -> float:
        # Every conversation's pause moves the one shared clock, so with n conversations pausing
        # side by side each sees the clock move ~n times its own pauses: min_pause / n per pause
        # keeps each one's polls min_pause apart without running the clock n times too fast.
        now = time.monotonic()
        self._recent[id(asyncio.current_task())] = now
        if len(self._recent) > 256:
            self._recent = {k: t for k, t in self._recent.items() if now - t < 1.0}
        active = sum(1 for t in self._recent.values() if now - t < 1.0)
        return self.min_pause / max(1, active)

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.clock.advance(max(seconds, self._floor()))
        await asyncio.sleep(self.real_pause)


class RemoteSandboxPacer:
    """Sandbox time of a sandbox in another process, moved through its control socket
    (`prokai sandbox up` prints the socket's path)."""

    def __init__(self, control_path: str, real_pause: float = 0.01, min_pause: float = POLL_SAFE_PAUSE) -> None:
        self.control_path = control_path
        self.real_pause = real_pause
        self.min_pause = min_pause
        self.offset = self._advance(0.0)

    def _advance(self, seconds: float) -> float:
        from prokai.sandbox.control import request

        return float(request(self.control_path, {"op": "advance", "seconds": seconds})["offset_s"])

    def now(self) -> float:
        return time.time() + self.offset

    async def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.offset = await asyncio.to_thread(self._advance, max(seconds, self.min_pause))
        await asyncio.sleep(self.real_pause)
