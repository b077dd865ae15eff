"""Entities and metadata as Telegram sends them, read through stock Telethon: mentions, URLs,
bot commands, text_url links under words (UTF-16 offsets), views and forwards of channel posts,
bot command lists, several photo sizes, profile photos."""

from __future__ import annotations

import asyncio

import pytest
from mtsandbox import login, run, serving
from telethon.tl import functions, types

from prokai.sandbox.bots import BotChat, IncomingMessage
from prokai.sandbox.demo import render_image
from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(90)


class LinkBot:
    """Answers with a mention, a URL, a command and a link hidden under the word 'here'."""

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        await chat.send("🌈 Ask @shop_operator or t.me/shop_reserve_bot, /menu, order here",
                        links=[("here", "https://t.me/hidden_shop_bot")])

    async def on_callback(self, chat: BotChat, query: object) -> None:
        return None


def test_bot_message_entities_and_command_list_and_profile_photo() -> None:
    async def body() -> None:
        world = World()
        world.add_account("+77015550001", "Buyer")
        bot = world.add_bot("link_shop_bot", LinkBot(), about="shop", commands=[("/menu", "Menu"), ("price", "Prices")])
        world.set_photo(bot, render_image("LOGO", 640, 640))
        async with serving(world) as server:
            client = await login(server, "+77015550001")
            await client.send_message("link_shop_bot", "/start")
            for _ in range(100):
                msgs = await client.get_messages("link_shop_bot", limit=1)
                if msgs and not msgs[0].out:
                    break
                await asyncio.sleep(0.02)
            msg = msgs[0]
            # offsets count UTF-16 units (the emoji is two): Telethon cuts the right words out
            by_kind = {type(e).__name__: text for e, text in msg.get_entities_text()}
            assert by_kind["MessageEntityMention"] == "@shop_operator"
            assert by_kind["MessageEntityUrl"] == "t.me/shop_reserve_bot"
            assert by_kind["MessageEntityBotCommand"] == "/menu"
            assert by_kind["MessageEntityTextUrl"] == "here"
            hidden = [e for e in msg.entities if isinstance(e, types.MessageEntityTextUrl)]
            assert hidden[0].url == "https://t.me/hidden_shop_bot"

            full = await client(functions.users.GetFullUserRequest("link_shop_bot"))
            commands = [(c.command, c.description) for c in full.full_user.bot_info.commands]
            assert commands == [("menu", "Menu"), ("price", "Prices")]
            entity = await client.get_entity("link_shop_bot")
            assert isinstance(entity.photo, types.UserProfilePhoto)
            big = await client.download_profile_photo(entity, file=bytes)
            small = await client.download_profile_photo(entity, file=bytes, download_big=False)
            assert big[:2] == b"\xff\xd8" and small[:2] == b"\xff\xd8" and len(small) < len(big)
            photos = await client.get_profile_photos(entity)
            assert len(photos) == 1
            await client.disconnect()

    run(body)


def test_channel_posts_views_forwards_sizes_and_hidden_links() -> None:
    async def body() -> None:
        world = World()
        world.add_account("+77015550002", "Reader")
        world.add_account("+77015550003", "Other")
        world.add_bot("vitrina_shop_bot", None)
        channel = world.add_channel("Vitrina", username="vitrina_ch")
        world.set_photo(channel, render_image("CH", 300, 300))
        world.post(channel.id, "Заказы только тут 👉 жми", links=[("жми", "https://t.me/vitrina_shop_bot")])
        world.post(channel.id, "Прайс", image=render_image("PRICE 25 000", 1000, 500))
        async with serving(world) as server:
            reader = await login(server, "+77015550002")
            other = await login(server, "+77015550003")
            first = await reader.get_messages("vitrina_ch", limit=10)
            again = await other.get_messages("vitrina_ch", limit=10)
            link_post, photo_post = again[1], again[0]
            assert link_post.views == 2 and first[1].views == 1  # each account counts once
            (entity, word), = link_post.get_entities_text()
            assert isinstance(entity, types.MessageEntityTextUrl) and word == "жми"
            assert entity.url == "https://t.me/vitrina_shop_bot"

            sizes = photo_post.photo.sizes
            assert [s.type for s in sizes] == ["s", "m", "x", "y"]
            assert [max(s.w, s.h) for s in sizes] == [100, 320, 800, 1000]
            full_size = await other.download_media(photo_post, file=bytes)
            thumb = await other.download_media(photo_post, file=bytes, thumb=sizes[1])
            assert len(thumb) < len(full_size)

            await other.forward_messages("vitrina_shop_bot", link_post)
            assert (await other.get_messages("vitrina_ch", ids=link_post.id)).forwards == 1
            fwd = (await other.get_messages("vitrina_shop_bot", limit=1))[0]
            assert fwd.fwd_from.from_id.channel_id == channel.id and fwd.fwd_from.channel_post == link_post.id
            assert isinstance(fwd.entities[0], types.MessageEntityTextUrl)

            ch = await reader.get_entity("vitrina_ch")
            assert isinstance(ch.photo, types.ChatPhoto)
            assert (await reader.download_profile_photo(ch, file=bytes))[:2] == b"\xff\xd8"
            await reader.disconnect()
            await other.disconnect()

    run(body)
