"""A small real SOCKS5 proxy (RFC 1928 CONNECT, RFC 1929 username/password) for the tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct


class Socks5Proxy:
    """Relays TCP; records every CONNECT target and the user that asked for it."""

    def __init__(self, username: str, password: str) -> None:
        self.username = username
        self.password = password
        self.connects: list[tuple[str, int, str]] = []
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            ver, n = await reader.readexactly(2)
            methods = await reader.readexactly(n)
            if ver != 5 or 2 not in methods:
                writer.write(b"\x05\xff")
                return
            writer.write(b"\x05\x02")
            _, ulen = await reader.readexactly(2)
            user = (await reader.readexactly(ulen)).decode()
            (plen,) = await reader.readexactly(1)
            password = (await reader.readexactly(plen)).decode()
            if (user, password) != (self.username, self.password):
                writer.write(b"\x01\x01")
                return
            writer.write(b"\x01\x00")
            _, cmd, _, atyp = await reader.readexactly(4)
            if atyp == 1:
                host = socket.inet_ntoa(await reader.readexactly(4))
            elif atyp == 3:
                (hlen,) = await reader.readexactly(1)
                host = (await reader.readexactly(hlen)).decode()
            else:
                return
            (port,) = struct.unpack(">H", await reader.readexactly(2))
            if cmd != 1:
                return
            up_r, up_w = await asyncio.open_connection(host, port)
            self.connects.append((host, port, user))
            writer.write(b"\x05\x00\x00\x01" + socket.inet_aton("127.0.0.1") + struct.pack(">H", self.port))
            await writer.drain()
            await asyncio.gather(self._pipe(reader, up_w), self._pipe(up_r, writer))
        except (asyncio.IncompleteReadError, ConnectionError, OSError):
            pass
        finally:
            writer.close()
            if task is not None:
                self._tasks.discard(task)

    @staticmethod
    async def _pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
        try:
            while data := await src.read(65536):
                dst.write(data)
                await dst.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            with contextlib.suppress(Exception):
                dst.close()
