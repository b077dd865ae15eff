"""A scripted bot through stock Telethon: inline buttons, an edited menu, an image, timeouts."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from mtsandbox import login, run, serving
from PIL import Image
from telethon import errors, events, types
from telethon.tl import functions

from prokai.sandbox.demo import DemoShopBot
from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(90)


def _world() -> tuple[World, DemoShopBot]:
    world = World()
    world.add_account("+77012220001", "Buyer")
    bot = DemoShopBot()
    world.add_bot("demo_shop_bot", bot, first_name="Demo Shop", about="Best prices")
    return world, bot


async def _next(queue: asyncio.Queue[Any], timeout: float = 10.0) -> Any:
    return await asyncio.wait_for(queue.get(), timeout)


def test_buttons_edits_and_image() -> None:
    async def body() -> None:
        world, bot = _world()
        async with serving(world) as server:
            client = await login(server, "+77012220001")
            new: asyncio.Queue[Any] = asyncio.Queue()
            edited: asyncio.Queue[Any] = asyncio.Queue()

            async def on_new(event: Any) -> None:
                new.put_nowait(event.message)

            async def on_edit(event: Any) -> None:
                edited.put_nowait(event.message)

            client.add_event_handler(on_new, events.NewMessage(incoming=True))
            client.add_event_handler(on_edit, events.MessageEdited())
            shop = await client.get_entity("@demo_shop_bot")
            assert shop.bot and shop.username == "demo_shop_bot"
            full = await client(functions.users.GetFullUserRequest(shop))
            assert full.full_user.about == "Best prices" and full.full_user.bot_info.description == "Best prices"

            await client.send_message(shop, "/start")
            menu = await _next(new)
            assert menu.text.startswith("Welcome")
            rows = menu.reply_markup.rows
            assert isinstance(rows[0].buttons[0], types.KeyboardInlineButton)
            assert isinstance(rows[0].buttons[0].type, types.InlineButtonTypeCallback)
            url_button = rows[1].buttons[0]
            assert isinstance(url_button.type, types.InlineButtonTypeUrl)
            assert url_button.type.url == "https://t.me/demo_operator"

            answer = await menu.click(data=b"city:almaty")
            assert answer.message == "Almaty selected"
            assert bot.pressed == [b"city:almaty"]
            after = await _next(edited)
            assert after.id == menu.id and after.text.startswith("City: Almaty")
            assert after.edit_date is not None
            assert after.reply_markup.rows[0].buttons[0].text == "Price list"

            answer = await after.click(0)  # the first button, by position
            photo_msg = await _next(new)
            assert photo_msg.photo is not None and photo_msg.text == "Our prices:"
            data = await client.download_media(photo_msg, file=bytes)
            assert isinstance(data, bytes) and data[:2] == b"\xff\xd8"
            assert Image.open(io.BytesIO(data)).size == (320, 120)

            history = await client.get_messages(shop, limit=10)
            assert [m.id for m in history] == sorted((m.id for m in history), reverse=True)
            assert history[-1].text == "/start" and history[-1].out
            dialogs = await client.get_dialogs()
            assert dialogs[0].entity.id == shop.id and dialogs[0].unread_count >= 2
            await client.send_read_acknowledge(shop, max_id=history[0].id)
            dialogs = await client.get_dialogs()
            assert dialogs[0].unread_count == 0
            await client.disconnect()

    run(body)


def test_button_without_answer_times_out_in_sandbox_time() -> None:
    async def body() -> None:
        world, bot = _world()
        world.bot_response_timeout = 30.0
        async with serving(world) as server:
            client = await login(server, "+77012220001")
            shop = await client.get_entity("demo_shop_bot")
            await client.send_message(shop, "/start")
            for _ in range(1000):
                msgs = await client.get_messages(shop, limit=1)
                if msgs and not msgs[0].out:
                    break
                await asyncio.sleep(0.02)
            # Message.click() swallows BOT_RESPONSE_TIMEOUT (returns None); ask raw to see the error
            press = asyncio.ensure_future(
                client(functions.messages.GetBotCallbackAnswerRequest(shop, msgs[0].id, data=b"slow"))
            )
            for _ in range(2000):  # until the press reached the bot (no fixed sleep: loaded CI machines)
                if b"slow" in bot.pressed:
                    break
                await asyncio.sleep(0.005)
            await asyncio.sleep(0.05)
            assert not press.done()  # the server waits for the bot ...
            world.clock.advance(31)  # ... until sandbox time runs out, not real time
            with pytest.raises(errors.BotResponseTimeoutError):
                await asyncio.wait_for(press, 10)
            with pytest.raises(errors.DataInvalidError):
                await client(functions.messages.GetBotCallbackAnswerRequest(shop, msgs[0].id, data=b"nope"))
            await client.disconnect()

    run(body)
