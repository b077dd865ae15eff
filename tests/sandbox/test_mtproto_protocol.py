"""The wire protocol itself: transport errors, unknown keys, salts, containers, gzip, pings."""

from __future__ import annotations

import asyncio
import os
import struct
from zlib import crc32

import pytest
from mtsandbox import login, run, serving
from telethon.tl import functions, types

from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(60)


def _frame(payload: bytes, seq: int = 0) -> bytes:
    head = struct.pack("<ii", len(payload) + 12, seq)
    return head + payload + struct.pack("<I", crc32(head + payload))


def test_unknown_auth_key_gets_transport_error_404_and_bad_crc_closes() -> None:
    async def body() -> None:
        async with serving(World()) as server:
            reader, writer = await asyncio.open_connection(server.host, server.port)
            writer.write(_frame(os.urandom(8) + os.urandom(16) + os.urandom(64)))
            head = await asyncio.wait_for(reader.readexactly(8), 5)
            length, _ = struct.unpack("<ii", head)
            body_crc = await reader.readexactly(length - 8)
            assert struct.unpack("<i", body_crc[:4])[0] == -404
            assert await asyncio.wait_for(reader.read(), 5) == b""  # then the server hangs up
            writer.close()

            reader, writer = await asyncio.open_connection(server.host, server.port)
            broken = bytearray(_frame(b"\x00" * 40))
            broken[-1] ^= 0xFF
            writer.write(bytes(broken))
            assert await asyncio.wait_for(reader.read(), 5) == b""
            writer.close()

    run(body)


@pytest.mark.parametrize("mode", ["ConnectionTcpIntermediate", "ConnectionTcpAbridged"])
def test_other_tcp_transports(mode: str) -> None:
    async def body() -> None:
        from telethon import connection

        world = World()
        world.add_account("+77015550002", "Modes")
        async with serving(world) as server:
            client = await login(server, "+77015550002", connection=getattr(connection, mode))
            assert (await client.get_me()).first_name == "Modes"
            await client.disconnect()

    run(body)


def test_salts_sessions_containers_gzip_pings_and_updates() -> None:
    async def body() -> None:
        world = World()
        world.add_account("+77015550001", "Proto")
        channel = world.add_channel("Big", username="big_channel")
        for i in range(60):
            world.post(channel.id, f"post {i} " + "lorem ipsum " * 20)
        async with serving(world) as server:
            client = await login(server, "+77015550001")
            stats = server.stats
            # a fresh key starts with salt 0: the server corrects it (bad_server_salt) and Telethon resends
            assert stats.bad_salts >= 1 and stats.new_sessions >= 1
            pong = await client(functions.PingRequest(ping_id=4242))
            assert isinstance(pong, types.Pong) and pong.ping_id == 4242
            salts = await client(functions.GetFutureSaltsRequest(num=1))
            assert isinstance(salts, types.FutureSalts) and salts.salts
            # several requests at once go in one msg_container
            before = stats.containers_in
            entity = await client.get_entity("big_channel")
            results = await asyncio.gather(*(client.get_messages(entity, limit=50) for _ in range(3)))
            assert all(len(r) == 50 for r in results)
            assert stats.containers_in > before
            assert stats.gzip_out >= 3  # big results travel gzip_packed
            # a big request goes gzip_packed from the client
            gz_before = stats.gzip_in
            await client(functions.messages.GetMessagesRequest(id=[types.InputMessageID(i) for i in range(1, 200)]))
            assert stats.gzip_in > gz_before
            await client.disconnect()

    run(body)


def test_a_short_auth_key_saved_by_stringsession_is_still_accepted() -> None:
    """Telethon keeps g_ab without leading zero bytes (about one key in 256 is shorter than 256
    bytes) and StringSession pads the saved key with trailing zeros: the reloaded session must
    reach the same key record, and the sandbox must encrypt to it with the padded bytes."""
    from telethon.crypto import AuthKey
    from telethon.sessions import StringSession

    from prokai.sandbox.world import World

    world = World()
    short = AuthKey(bytes(range(1, 256)))  # 255 bytes: g_ab had a leading zero byte
    rec = world.register_key(short, salt=1)
    saved = StringSession()
    saved.set_dc(2, "127.0.0.1", 443)
    saved.auth_key = short
    reloaded = StringSession(saved.save())
    assert reloaded.auth_key is not None and reloaded.auth_key.key_id != short.key_id
    found = world.find_key(reloaded.auth_key.key_id)
    assert found is not None
    assert found[0] is rec and found[1].key == reloaded.auth_key.key
    assert world.find_key(short.key_id) == (rec, short)
    assert len(world.auth_keys) == 1  # one key, not two
    full = AuthKey(bytes(range(256)))
    world.register_key(full, salt=2)
    assert world.find_key(AuthKey(full.key + b"\0").key_id) is None  # a 256-byte key has no alias
