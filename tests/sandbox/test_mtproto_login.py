"""Stock Telethon 1.45 logs in to the sandbox: codes, two-step verification, refusals."""

from __future__ import annotations

from typing import Any

import pytest
from mtsandbox import login, new_client, run, serving
from telethon import TelegramClient, errors
from telethon.tl import functions

from prokai.sandbox.sms import MemoryGateway
from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(90)


def _world() -> tuple[World, MemoryGateway]:
    sms = MemoryGateway()
    world = World(sms=sms)
    world.add_account("+77011110001", "Plain")
    world.add_account("+77011110002", "Guarded", password="correct horse", password_hint="horse")
    world.add_account("+77011110003", "Banned", banned=True)
    world.add_account("+77011110004", "Busy", has_app_session=True)
    return world, sms


def test_login_with_sms_code_and_first_requests() -> None:
    async def body() -> None:
        world, sms = _world()
        async with serving(world) as server:
            client = new_client(server)
            await client.connect()
            assert not await client.is_user_authorized()
            sent = await client.send_code_request("+77011110001")
            assert type(sent.type).__name__ == "SentCodeTypeSms"
            text = await sms.wait_for("77011110001")
            code = text.split("code: ")[1][:5]
            me = await client.sign_in("+77011110001", code)
            assert me.first_name == "Plain" and me.phone == "77011110001"
            assert (await client.get_me()).id == me.id
            state = await client(functions.updates.GetStateRequest())
            assert state.pts >= 1
            await client.disconnect()

    run(body)


def test_wrong_code_then_right_code() -> None:
    async def body() -> None:
        world, _ = _world()
        async with serving(world) as server:
            client = new_client(server)
            await client.connect()
            await client.send_code_request("+77011110001")
            with pytest.raises(errors.PhoneCodeInvalidError):
                await client.sign_in("+77011110001", "00000" if world.codes["77011110001"].code != "00000" else "11111")
            await client.sign_in("+77011110001", world.codes["77011110001"].code)
            assert await client.is_user_authorized()
            await client.disconnect()

    run(body)


def test_code_expires_after_five_minutes_of_sandbox_time() -> None:
    async def body() -> None:
        world, _ = _world()
        async with serving(world) as server:
            client = new_client(server)
            await client.connect()
            await client.send_code_request("+77011110001")
            code = world.codes["77011110001"].code
            world.clock.advance(301)
            with pytest.raises(errors.PhoneCodeExpiredError):
                await client.sign_in("+77011110001", code)
            await client.disconnect()

    run(body)


def test_code_goes_to_app_first_and_to_sms_on_resend() -> None:
    async def body() -> None:
        world, sms = _world()
        async with serving(world) as server:
            client = new_client(server)
            await client.connect()
            sent = await client.send_code_request("+77011110004")
            assert type(sent.type).__name__ == "SentCodeTypeApp"
            assert not sms.sent
            busy = world.user_by_phone("77011110004")
            assert busy is not None
            assert any("Login code" in m.text for m in busy.box.messages.values())
            again = await client.send_code_request("+77011110004")  # again = auth.resendCode
            assert type(again.type).__name__ == "SentCodeTypeSms"
            text = await sms.wait_for("77011110004")
            assert world.codes["77011110004"].code in text
            await client.sign_in("+77011110004", world.codes["77011110004"].code)
            assert await client.is_user_authorized()
            await client.disconnect()

    run(body)


async def _at_password_prompt(server: Any, world: World) -> TelegramClient:
    """A client that signed in with the code of the 2FA account and was asked for its password."""
    client = new_client(server)
    await client.connect()
    await client.send_code_request("+77011110002")
    with pytest.raises(errors.SessionPasswordNeededError):
        await client.sign_in("+77011110002", world.codes["77011110002"].code)
    return client


def test_two_step_verification_right_password() -> None:
    async def body() -> None:
        world, _ = _world()
        async with serving(world) as server:
            client = await _at_password_prompt(server, world)
            me = await client.sign_in(password="correct horse")
            assert me.first_name == "Guarded"
            assert await client.is_user_authorized()
            await client.disconnect()

    run(body)


def test_two_step_verification_wrong_password() -> None:
    async def body() -> None:
        world, _ = _world()
        async with serving(world) as server:
            client = await _at_password_prompt(server, world)
            with pytest.raises(errors.PasswordHashInvalidError):
                await client.sign_in(password="wrong horse")
            assert not await client.is_user_authorized()
            pw = await client(functions.account.GetPasswordRequest())
            assert pw.has_password and pw.hint == "horse"
            await client.disconnect()

    run(body)


def test_unoccupied_number_and_sign_up_refused() -> None:
    async def body() -> None:
        world, sms = _world()
        async with serving(world) as server:
            client = new_client(server)
            await client.connect()
            await client.send_code_request("+77019990000")
            code = (await sms.wait_for("77019990000")).split("code: ")[1][:5]
            with pytest.raises(errors.PhoneNumberUnoccupiedError):
                await client.sign_in("+77019990000", code)
            with pytest.raises(ValueError):
                await client.sign_up(code, "New", "User")
            # and a client that asks anyway is refused like Telegram refuses API sign-ups
            with pytest.raises(errors.UpdateAppToLoginError):
                await client(functions.auth.SignUpRequest("+77019990000", "x", "New", "User"))
            assert not await client.is_user_authorized()
            await client.disconnect()

    run(body)


def test_banned_number() -> None:
    async def body() -> None:
        world, sms = _world()
        async with serving(world) as server:
            client = new_client(server)
            await client.connect()
            with pytest.raises(errors.PhoneNumberBannedError):
                await client.send_code_request("+77011110003")
            assert not sms.sent
            # an account banned after login: every call fails with USER_DEACTIVATED_BAN
            other = await login(server, "+77011110001")
            plain = world.user_by_phone("77011110001")
            assert plain is not None
            plain.banned = True
            with pytest.raises(errors.UserDeactivatedBanError):
                await other(functions.updates.GetStateRequest())
            await client.disconnect()
            await other.disconnect()

    run(body)


def test_every_connection_does_a_real_handshake_with_a_fresh_key() -> None:
    async def body() -> None:
        world, _ = _world()
        async with serving(world) as server:
            assert not world.auth_keys  # nothing pre-shared
            a, b = new_client(server), new_client(server)
            await a.connect()
            await b.connect()
            assert server.stats.handshakes == 2
            assert len(world.auth_keys) == 2
            key_a, key_b = a.session.auth_key, b.session.auth_key
            assert key_a.key != key_b.key and len(key_a.key) >= 255
            assert {key_a.key_id, key_b.key_id} == set(world.auth_keys)
            # the server derived the very same 2048-bit key as the client
            assert world.auth_keys[key_a.key_id].key.key == key_a.key
            await a.disconnect()
            await b.disconnect()

    run(body)
