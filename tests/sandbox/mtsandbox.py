"""Helpers for the MTProto sandbox tests: a server on a free port and stock Telethon clients."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from telethon import TelegramClient
from telethon.sessions import StringSession

from prokai.sandbox.connect import configure
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.world import World

API_ID = 2040
API_HASH = "b18441a1ff607e10a989891a5462e627"


def run(coro_fn: Callable[[], Awaitable[None]], timeout: float = 60.0) -> None:
    """Run one async test body on a fresh event loop, bounded by `timeout` seconds."""

    async def _bounded() -> None:
        await asyncio.wait_for(coro_fn(), timeout)

    asyncio.run(_bounded())


@asynccontextmanager
async def serving(world: World) -> AsyncIterator[SandboxServer]:
    """A running sandbox server for `world` on a free local port."""
    server = SandboxServer(world, "127.0.0.1", 0)
    await server.start()
    try:
        yield server
    finally:
        await server.close()


def new_client(server: SandboxServer, **kw: Any) -> TelegramClient:
    """A stock Telethon client pointed at the sandbox with the one helper there is."""
    kw.setdefault("flood_sleep_threshold", 0)
    kw.setdefault("request_retries", 1)
    client = TelegramClient(StringSession(), API_ID, API_HASH, **kw)
    configure(client, server.host, server.port, server.dc_id)
    return client


async def login(server: SandboxServer, phone: str, password: str | None = None, **kw: Any) -> TelegramClient:
    """Connect and sign in with the code the world sent (any channel), optionally with 2FA."""
    client = new_client(server, **kw)
    await client.connect()
    await client.send_code_request(phone)
    code = server.world.codes[phone.lstrip("+")].code
    if password is None:
        await client.sign_in(phone, code)
    else:
        from telethon.errors import SessionPasswordNeededError

        try:
            await client.sign_in(phone, code)
        except SessionPasswordNeededError:
            await client.sign_in(password=password)
    return client
