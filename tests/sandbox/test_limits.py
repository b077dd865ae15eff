"""The limits profile through stock Telethon: ResolveUsername's own flood waits, the per-chat
message rate, PEER_FLOOD for a young account opening too many chats (and the restriction that
follows), CHANNELS_TOO_MUCH, the callback timeout, latency in sandbox time; and that a world
without a profile (unit tests) limits nothing."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from mtsandbox import login, run, serving
from telethon import errors
from telethon.tl import functions

from prokai.sandbox.bots import BotChat, IncomingMessage
from prokai.sandbox.limits import LatencyModel, Rule, telegram_limits
from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(90)


class Echo:
    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        await chat.send(f"echo {message.text}")

    async def on_callback(self, chat: BotChat, query: object) -> None:
        return None


def _forget_flood_waits(client: object) -> None:
    # Telethon remembers a FloodWait in real time and refuses locally; the sandbox clock moved on
    client._flood_waited_requests.clear()  # type: ignore[attr-defined]


def test_resolve_username_has_its_own_long_waits() -> None:
    async def body() -> None:
        world = World(limits=telegram_limits())
        world.add_account("+77017770001", "Resolver")
        for i in range(25):
            world.add_bot(f"shop{i:02d}_bot", None)
        async with serving(world) as server:
            client = await login(server, "+77017770001")
            rule = world.limiter.profile.methods["contacts.ResolveUsername"][0]  # type: ignore[union-attr]
            for i in range(rule.count):
                await client(functions.contacts.ResolveUsernameRequest(f"shop{i:02d}_bot"))
            with pytest.raises(errors.FloodWaitError) as err:
                await client(functions.contacts.ResolveUsernameRequest("shop24_bot"))
            assert err.value.seconds == rule.wait_s
            _forget_flood_waits(client)
            world.clock.advance(rule.wait_s / 2)
            with pytest.raises(errors.FloodWaitError) as err:  # the remaining half
                await client(functions.contacts.ResolveUsernameRequest("shop24_bot"))
            assert err.value.seconds == rule.wait_s / 2
            _forget_flood_waits(client)
            world.clock.advance(rule.wait_s)
            await client(functions.contacts.ResolveUsernameRequest("shop24_bot"))
            # other methods were never limited by it
            await client.send_message("shop00_bot", "hi")
            assert world.limiter.stats.flood_waits == {"contacts.ResolveUsername": 2}  # type: ignore[union-attr]
            await client.disconnect()

    run(body)


def test_per_chat_rate_then_flood_wait() -> None:
    async def body() -> None:
        world = World(limits=telegram_limits())
        world.add_account("+77017770002", "Typist")
        world.add_bot("echo_limits_bot", Echo())
        async with serving(world) as server:
            client = await login(server, "+77017770002")
            burst = world.limiter.profile.per_chat[0]  # type: ignore[union-attr]
            for i in range(burst.count):
                await client.send_message("echo_limits_bot", f"m{i}")
            with pytest.raises(errors.FloodWaitError) as err:
                await client.send_message("echo_limits_bot", "one too many")
            assert err.value.seconds == burst.wait_s
            _forget_flood_waits(client)
            world.clock.advance(burst.wait_s + burst.window_s)
            await client.send_message("echo_limits_bot", "paced")  # a human pace is fine
            await client.disconnect()

    run(body)


def test_young_account_gets_peer_flood_and_is_restricted() -> None:
    async def body() -> None:
        world = World(limits=telegram_limits())
        young = world.add_account("+77017770003", "Fresh", created=world.clock.now() - 3600)
        old = world.add_account("+77017770004", "Aged")
        friend = world.add_account("+77017770005", "Friend", username="friend_of_fresh")
        targets = [world.add_user(f"Stranger {i}", username=f"stranger_{i:02d}") for i in range(8)]
        world.send_private(friend.id, young.id, "hi, write me")
        allowed = world.limiter.allowed_new_chats(young)  # type: ignore[union-attr]
        assert allowed < world.limiter.allowed_new_chats(old)  # type: ignore[union-attr]
        async with serving(world) as server:
            fresh = await login(server, "+77017770003")
            aged = await login(server, "+77017770004")
            for t in targets[:allowed]:
                await fresh.send_message(t.username, "hello")
                world.clock.advance(30)
            with pytest.raises(errors.PeerFloodError):
                await fresh.send_message(targets[allowed].username, "hello")
            assert young.peer_flood and young.id in world.limiter.stats.restricted  # type: ignore[union-attr]
            # restricted: strangers are out of reach, a chat that someone else started is not
            with pytest.raises(errors.PeerFloodError):
                await fresh.send_message(targets[allowed + 1].username, "hello")
            await fresh.send_message("friend_of_fresh", "thanks")
            # the aged account opens as many chats without trouble
            for t in targets[: allowed + 2]:
                await aged.send_message(t.username, "hello")
                world.clock.advance(30)
            # the restriction lifts when it expires
            world.clock.advance(world.limiter.profile.restriction_s)  # type: ignore[union-attr]
            await fresh.send_message(targets[allowed + 2].username, "hello again")
            assert not young.peer_flood
            await fresh.disconnect()
            await aged.disconnect()

    run(body)


def test_join_limits_and_callback_timeout_are_configurable() -> None:
    async def body() -> None:
        profile = dataclasses.replace(telegram_limits(), max_channels=2, bot_response_timeout_s=3.0,
                                      methods={"channels.JoinChannel": (Rule(2, 3600.0, 348.0),)})
        world = World(limits=profile)
        assert world.bot_response_timeout == 3.0
        world.add_account("+77017770006", "Joiner")
        for i in range(4):
            world.add_channel(f"Ch {i}", username=f"joinable_{i}")
        async with serving(world) as server:
            client = await login(server, "+77017770006")
            for i in range(2):
                await client(functions.channels.JoinChannelRequest(f"joinable_{i}"))
            with pytest.raises(errors.FloodWaitError) as err:
                await client(functions.channels.JoinChannelRequest("joinable_2"))
            assert err.value.seconds == 348
            _forget_flood_waits(client)
            world.clock.advance(3600)
            with pytest.raises(errors.ChannelsTooMuchError):
                await client(functions.channels.JoinChannelRequest("joinable_2"))
            await client.disconnect()

    run(body)


def test_latency_is_sandbox_time_and_off_without_a_model() -> None:
    async def body() -> None:
        world = World()
        world.add_account("+77017770007", "Slow")
        for i in range(30):
            world.add_bot(f"nolimit{i:02d}_bot", None)
        async with serving(world) as server:
            client = await login(server, "+77017770007")
            for i in range(30):  # no profile: nothing is limited
                await client(functions.contacts.ResolveUsernameRequest(f"nolimit{i:02d}_bot"))
            world.set_latency(LatencyModel(median_s=60.0, sigma=0.0, min_s=60.0, max_s=60.0))
            call = asyncio.ensure_future(client.get_me())
            await asyncio.sleep(0.3)
            assert not call.done()  # waiting for its round trip (sixty sandbox seconds)
            world.clock.advance(60)
            me = await asyncio.wait_for(call, 10)
            assert me.first_name == "Slow"
            with world.unthrottled():
                assert world.draw_latency() == 0.0
            assert world.draw_latency() == 60.0
            # a rehearsal's latency moves the sandbox clock instead of waiting for real time
            world.set_latency(LatencyModel(median_s=60.0, sigma=0.0, min_s=60.0, max_s=60.0, mode="advance"))
            before = world.clock.now()
            await asyncio.wait_for(client.get_me(), 10)
            assert world.clock.now() - before >= 60.0
            world.set_latency(None)
            await client.disconnect()

    run(body)


def test_latency_draws_follow_the_configured_distribution() -> None:
    model = LatencyModel(median_s=0.08, sigma=0.6, min_s=0.02, max_s=1.5, seed=7)
    rng = model.sampler()
    draws = sorted(model.draw(rng) for _ in range(2000))
    median = draws[len(draws) // 2]
    assert 0.07 < median < 0.09 and draws[0] >= 0.02 and draws[-1] <= 1.5
    assert draws[int(len(draws) * 0.95)] > 2 * median  # a long tail: some round trips are slow


def test_sandbox_up_rejects_a_bad_latency_in_one_line() -> None:
    from typer.testing import CliRunner

    from prokai.cli import app

    result = CliRunner().invoke(app, ["sandbox", "up", "--limits", "--latency-ms", "-5"])
    assert result.exit_code != 0
    assert "--latency-ms must be 0..10000" in result.output and "Traceback" not in result.output
