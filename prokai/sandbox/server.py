"""The sandbox MTProto server: an asyncio TCP listener around one `World`.

`start()` / `stop()` / `restart()` keep the world (accounts, auth keys, messages), so clients
survive a restart the way they survive one of Telegram's. Network faults: `reset_connections()`
drops every client; `go_down(seconds)` closes the listener and refuses connections until the
sandbox clock has moved `seconds` on (tests fast-forward it).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass

from prokai.sandbox.connection import Connection
from prokai.sandbox.crypto import ServerKey
from prokai.sandbox.world import World

log = logging.getLogger(__name__)


@dataclass
class ServerStats:
    connections: int = 0
    handshakes: int = 0
    requests: int = 0
    errors: int = 0
    bad_salts: int = 0
    new_sessions: int = 0
    containers_in: int = 0
    gzip_in: int = 0
    gzip_out: int = 0
    pushed_updates: int = 0


class SandboxServer:
    """Serves the MTProto "full" TCP transport for one world."""

    def __init__(
        self,
        world: World,
        host: str = "127.0.0.1",
        port: int = 0,
        server_key: ServerKey | None = None,
    ) -> None:
        self.world = world
        self.host = host
        self._requested_port = port
        self.port = port
        self.server_key = server_key or ServerKey.bundled()
        self.stats = ServerStats()
        self._server: asyncio.Server | None = None
        self._connections: set[Connection] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._down_task: asyncio.Task[None] | None = None

    @property
    def dc_id(self) -> int:
        """The DC id clients must use (`session.set_dc(dc_id, host, port)`)."""
        return self.world.dc_id

    @property
    def running(self) -> bool:
        """Whether the listener accepts connections."""
        return self._server is not None

    @property
    def connections(self) -> int:
        """Open client connections."""
        return len(self._connections)

    async def start(self) -> None:
        """Listen (on the same port as before after a restart)."""
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._accept, self.host, self.port, reuse_address=True, backlog=1024)
        sock = self._server.sockets[0]
        self.port = sock.getsockname()[1]
        log.info("sandbox MTProto server listening on %s:%d (dc %d)", self.host, self.port, self.dc_id)

    async def stop(self) -> None:
        """Close the listener and every connection (the world stays)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        self.reset_connections()
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def restart(self) -> None:
        """Stop, then start again on the same port."""
        await self.stop()
        await self.start()

    async def close(self) -> None:
        """Stop for good (cancels a pending outage)."""
        if self._down_task is not None:
            self._down_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._down_task
        await self.stop()

    def reset_connections(self) -> int:
        """Abort every client connection (a network fault); returns how many."""
        conns = list(self._connections)
        for conn in conns:
            conn.abort()
        return len(conns)

    async def go_down(self, seconds: float = 70.0) -> None:
        """Drop everything and refuse connections for `seconds` of sandbox time."""
        await self.stop()

        async def _come_back() -> None:
            await self.world.clock.sleep(seconds)
            await self.start()
            log.info("sandbox server is back after %.0f s down", seconds)

        self._down_task = asyncio.get_running_loop().create_task(_come_back())

    async def wait_up(self) -> None:
        """Wait until a pending outage is over."""
        if self._down_task is not None:
            await self._down_task

    def forget(self, conn: Connection) -> None:
        """Called by a connection when it closes."""
        self._connections.discard(conn)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        conn = Connection(self, reader, writer)
        self._connections.add(conn)
        self.stats.connections += 1
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await conn.run()
        finally:
            if task is not None:
                self._tasks.discard(task)

    async def __aenter__(self) -> SandboxServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
