"""Helpers for tests that run the driver against the emulator on real pseudo-terminals."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def arun(coro: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
    """Run `coro` on a fresh event loop with an overall timeout (no test can hang)."""

    async def guarded() -> T:
        async with asyncio.timeout(timeout):
            return await coro

    return asyncio.run(guarded())


async def until(cond: Callable[[], bool | Awaitable[bool]], timeout: float = 5.0, what: str = "condition") -> None:
    """Poll `cond` every 10 ms until true; TimeoutError naming `what` otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        res = cond()
        if not isinstance(res, bool):
            res = await res
        if res:
            return
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)
