"""Injected errors and network faults, survived by stock Telethon; time is fast-forwarded."""

from __future__ import annotations

import asyncio

import pytest
from mtsandbox import login, run, serving
from telethon import errors
from telethon.tl import functions

from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(120)


def _world() -> World:
    world = World()
    world.add_account("+77013330001", "Alpha")
    world.add_account("+77013330002", "Bravo", username="bravo_user")
    return world


def test_flood_wait_is_enforced_in_sandbox_time_and_survived() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            client = await login(server, "+77013330001")
            bravo = await client.get_input_entity("bravo_user")
            alpha = world.user_by_phone("77013330001")
            assert alpha is not None
            world.faults.inject("FLOOD_WAIT", seconds=1800, method="messages.SendMessage", user_id=alpha.id)
            with pytest.raises(errors.FloodWaitError) as caught:
                await client.send_message(bravo, "hello")
            assert caught.value.seconds == 1800
            # other methods are not limited
            await client(functions.updates.GetStateRequest())
            # Telethon remembers the wait in real time; the server enforces it in sandbox time
            client._flood_waited_requests.clear()
            world.clock.advance(1000)
            with pytest.raises(errors.FloodWaitError) as again:
                await client.send_message(bravo, "hello")
            assert 790 <= again.value.seconds <= 800
            client._flood_waited_requests.clear()
            world.clock.advance(801)
            sent = await client.send_message(bravo, "hello after the wait")
            assert sent.id > 0
            await client.disconnect()

    run(body)


def test_server_restart_is_survived() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            client = await login(server, "+77013330001", retry_delay=0.2)
            bravo = await client.get_input_entity("bravo_user")
            await client.send_message(bravo, "before")
            handshakes = server.stats.handshakes
            await server.restart()
            # Telethon reconnects by itself with the same auth key: no new handshake, still logged in
            sent = await asyncio.wait_for(client.send_message(bravo, "after"), 20)
            assert sent.id > 0
            assert await client.is_user_authorized()
            assert server.stats.handshakes == handshakes
            await client.disconnect()

    run(body)


def test_connection_reset_is_survived() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            client = await login(server, "+77013330001", retry_delay=0.2)
            assert server.reset_connections() >= 1
            me = await asyncio.wait_for(client.get_me(), 20)
            assert me.first_name == "Alpha"
            await client.disconnect()

    run(body)


def test_server_down_for_70_seconds_of_sandbox_time() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            client = await login(server, "+77013330001", connection_retries=2, retry_delay=0.1)
            await server.go_down(70)
            # Telethon gives up reconnecting (in production after ~55 s): a watchdog must notice
            with pytest.raises(ConnectionError):
                await asyncio.wait_for(client.disconnected, 20)
            assert not client.is_connected()
            with pytest.raises(OSError):
                await client.connect()
            world.clock.advance(70)
            await asyncio.wait_for(server.wait_up(), 5)
            await client.connect()
            assert await client.is_user_authorized()
            await client.disconnect()

    run(body)


def test_peer_flood_and_frozen_block_writing_but_not_reading() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            client = await login(server, "+77013330001")
            bravo = await client.get_input_entity("bravo_user")
            alpha = world.user_by_phone("77013330001")
            assert alpha is not None
            alpha.peer_flood = True
            with pytest.raises(errors.PeerFloodError):
                await client.send_message(bravo, "hi stranger")
            await client.get_messages(bravo, limit=5)
            alpha.peer_flood = False
            alpha.frozen = True
            with pytest.raises(errors.FrozenMethodInvalidError):
                await client.send_message(bravo, "hi")
            await client.get_dialogs()
            alpha.frozen = False
            world.faults.inject("PEER_FLOOD", method="SendMessageRequest", times=1)
            with pytest.raises(errors.PeerFloodError):
                await client.send_message(bravo, "once")
            await client.send_message(bravo, "twice")
            await client.disconnect()

    run(body)


def test_revoked_and_duplicated_sessions_are_dead() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            one = await login(server, "+77013330001")
            two = await login(server, "+77013330002")
            alpha = world.user_by_phone("77013330001")
            bravo = world.user_by_phone("77013330002")
            assert alpha is not None and bravo is not None
            world.kill_sessions(alpha.id, "SESSION_REVOKED")
            with pytest.raises(errors.SessionRevokedError):
                await one(functions.updates.GetStateRequest())
            with pytest.raises(errors.AuthKeyUnregisteredError):
                await one(functions.updates.GetStateRequest())
            world.kill_sessions(bravo.id, "AUTH_KEY_DUPLICATED")
            with pytest.raises(errors.AuthKeyDuplicatedError):
                await two(functions.updates.GetStateRequest())
            with pytest.raises(errors.AuthKeyUnregisteredError):
                await two(functions.updates.GetStateRequest())
            # the same through the generic fault injection
            three = await login(server, "+77013330001")
            world.faults.inject("SESSION_REVOKED", user_id=alpha.id)
            with pytest.raises(errors.SessionRevokedError):
                await three(functions.updates.GetStateRequest())
            with pytest.raises(errors.AuthKeyUnregisteredError):
                await three(functions.updates.GetStateRequest())
            await three.disconnect()
            # a fresh login (new key, real handshake) works again
            again = await login(server, "+77013330001")
            assert (await again.get_me()).id == alpha.id
            for c in (one, two, again):
                await c.disconnect()

    run(body)


def test_get_difference_catches_up_missed_messages_and_resets_foreign_state() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            client = await login(server, "+77013330001")
            alpha = world.user_by_phone("77013330001")
            bravo = world.user_by_phone("77013330002")
            assert alpha is not None and bravo is not None
            state = await client(functions.updates.GetStateRequest())
            world.send_private(bravo.id, alpha.id, "missed while offline")
            diff = await client(functions.updates.GetDifferenceRequest(pts=state.pts, date=state.date, qts=0))
            assert [m.message for m in diff.new_messages] == ["missed while offline"]
            assert diff.state.pts == state.pts + 1
            empty = await client(functions.updates.GetDifferenceRequest(pts=diff.state.pts, date=state.date, qts=0))
            assert type(empty).__name__ == "DifferenceEmpty"
            # a pts this world never reached (session from an earlier world): start over
            reset = await client(functions.updates.GetDifferenceRequest(pts=10**6, date=state.date, qts=0))
            assert type(reset).__name__ == "DifferenceTooLong" and reset.pts == diff.state.pts
            await client.disconnect()

    run(body)
