"""A reconnect watchdog for long-lived Telethon clients.

Telethon stops reconnecting after its `connection_retries` (about a minute by default); a
process that holds a client for hours must notice and connect again, with a growing pause,
until the server is back. A dead session (the server refuses the key) is not retried: it is
handed to `on_dead` (the pool marks the account `needs_relogin`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from telethon import TelegramClient

log = logging.getLogger(__name__)


class Watchdog:
    """Every `interval` seconds: calls `on_tick` (False stops watching), then reconnects `client`
    if it dropped (unless `reconnect=False`)."""

    def __init__(
        self,
        client: TelegramClient,
        *,
        interval: float,
        max_backoff: float,
        name: str = "client",
        on_dead: Callable[[BaseException], Awaitable[None] | None] | None = None,
        on_tick: Callable[[], Awaitable[bool] | bool] | None = None,
        reconnect: bool = True,
    ) -> None:
        self.client = client
        self.interval = interval
        self.max_backoff = max_backoff
        self.name = name
        self.on_dead = on_dead
        self.on_tick = on_tick
        self.reconnecting = reconnect
        self.reconnects = 0
        self.dead: BaseException | None = None
        self._task: asyncio.Task[None] | None = None
        self._stopping = False

    def start(self) -> None:
        """Start watching (in the running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=f"watchdog {self.name}")

    async def stop(self) -> None:
        """Stop watching."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            await asyncio.sleep(self.interval)
            if self.on_tick is not None:
                keep = self.on_tick()
                if asyncio.iscoroutine(keep) or isinstance(keep, Awaitable):
                    keep = await keep
                if not keep:
                    return
            if self.reconnecting and not self.client.is_connected() and not await self.reconnect():
                return

    async def reconnect(self) -> bool:
        """Connect again with exponential back-off; False if the session is dead."""
        from telethon import errors
        from telethon.tl import functions

        pause = max(self.interval, 0.01)
        while not self._stopping:
            try:
                await self.client.connect()
                await self.client(functions.updates.GetStateRequest())
            except errors.RPCError as exc:
                await self._dead(exc)
                return False
            except (TimeoutError, OSError, ConnectionError) as exc:
                log.info("watchdog: %s still unreachable (%s); next try in %.1f s", self.name, exc, pause)
                with contextlib.suppress(Exception):
                    await self.client.disconnect()
                await asyncio.sleep(pause)
                pause = min(pause * 2, self.max_backoff)
                continue
            self.reconnects += 1
            log.info("watchdog: %s reconnected", self.name)
            return True
        return False

    async def _dead(self, exc: BaseException) -> None:
        self.dead = exc
        log.warning("watchdog: %s session refused: %s", self.name, type(exc).__name__)
        if self.on_dead is not None:
            result: Any = self.on_dead(exc)
            if asyncio.iscoroutine(result):
                await result
