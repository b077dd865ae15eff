"""The sandbox clock: real time plus an offset that tests can move forward.

Everything in the world that depends on time (message dates, flood waits, code expiry, outages,
bot timeouts) reads `Clock.now()` and waits with `Clock.sleep()`. `advance(seconds)` jumps the
clock forward and wakes every sleeper whose deadline has passed, so a test can skip a 30-minute
FloodWait instantly. Network I/O is never faked: sockets, MTProto message ids and Telethon's own
timers keep using real time.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import time


class Clock:
    """Real wall-clock time shifted by an offset that only ever grows; with `speed` > 1 it also
    runs that many times faster than the wall clock from its creation (benchmarks)."""

    def __init__(self, offset: float = 0.0, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError("the sandbox clock's speed must be positive")
        self._offset = offset
        self.speed = speed
        self._t0 = time.time()
        self._sleepers: list[tuple[float, int, asyncio.Future[None]]] = []
        self._counter = itertools.count()

    @property
    def offset(self) -> float:
        """Seconds the clock is ahead of real time."""
        return self._offset

    def now(self) -> float:
        """Current sandbox time as a Unix timestamp (float seconds)."""
        real = time.time()
        if self.speed == 1.0:
            return real + self._offset
        return real + self._offset + (real - self._t0) * (self.speed - 1)

    def now_int(self) -> int:
        """Current sandbox time in whole seconds (what TL `date` fields carry)."""
        return int(self.now())

    def advance(self, seconds: float) -> None:
        """Move the clock forward by `seconds` and wake sleepers that are now due."""
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self._offset += seconds
        self._wake_due()

    def _wake_due(self) -> None:
        now = self.now()
        while self._sleepers and self._sleepers[0][0] <= now:
            _, _, fut = heapq.heappop(self._sleepers)
            if not fut.done():
                fut.set_result(None)

    async def sleep(self, seconds: float) -> None:
        """Sleep `seconds` of sandbox time: real time passing or `advance()`, whichever is first."""
        if seconds <= 0:
            await asyncio.sleep(0)
            return
        await self.sleep_until(self.now() + seconds)

    async def sleep_until(self, deadline: float) -> None:
        """Sleep until the sandbox clock reaches `deadline`."""
        loop = asyncio.get_running_loop()
        while self.now() < deadline:
            fut: asyncio.Future[None] = loop.create_future()
            heapq.heappush(self._sleepers, (deadline, next(self._counter), fut))
            # wall seconds until sandbox `deadline` (with a speed: a hair after, so the wake-up finds it due)
            wait = max(0.0, deadline - self.now())
            handle = loop.call_later(wait if self.speed == 1.0 else wait / self.speed + 0.001, self._wake_due)
            try:
                await fut
            finally:
                handle.cancel()
                if not fut.done():
                    fut.cancel()
