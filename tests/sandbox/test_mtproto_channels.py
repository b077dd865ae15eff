"""Channels through stock Telethon: resolve, full info with description, join, posts, read."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from mtsandbox import login, run, serving
from telethon import errors, events
from telethon.tl import functions, types

from prokai.sandbox.demo import render_image
from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(90)


def test_channel_join_read_full_info_and_live_posts() -> None:
    async def body() -> None:
        world = World()
        world.add_account("+77014440001", "Reader")
        channel = world.add_channel("Showcase", username="show_case", about="Order: @shop_bot, op: @op")
        world.post(channel.id, "Price list for today")
        world.post(channel.id, "As an image", image=render_image("card 4400 4300 0000 0001"))
        async with serving(world) as server:
            client = await login(server, "+77014440001")
            posts: asyncio.Queue[Any] = asyncio.Queue()

            async def on_post(event: Any) -> None:
                posts.put_nowait(event.message)

            client.add_event_handler(on_post, events.NewMessage(chats=["show_case"]))
            entity = await client.get_entity("show_case")
            assert isinstance(entity, types.Channel) and entity.broadcast and entity.left
            full = await client(functions.channels.GetFullChannelRequest(entity))
            assert full.full_chat.about == "Order: @shop_bot, op: @op"

            history = await client.get_messages(entity, limit=10)
            assert [m.text for m in history] == ["As an image", "Price list for today"]
            image = await client.download_media(history[0], file=bytes)
            assert image[:2] == b"\xff\xd8"

            await client(functions.channels.JoinChannelRequest(entity))
            reader = world.user_by_phone("77014440001")
            assert reader is not None and reader.id in channel.members
            dialogs = await client.get_dialogs()
            assert any(d.entity.id == channel.id and d.unread_count == 2 for d in dialogs)
            await client.send_read_acknowledge(entity, max_id=history[0].id)
            dialogs = await client.get_dialogs()
            assert any(d.entity.id == channel.id and d.unread_count == 0 for d in dialogs)

            world.post(channel.id, "Fresh post")
            post = await asyncio.wait_for(posts.get(), 10)
            assert post.text == "Fresh post"
            await client.disconnect()

    run(body)


def test_invite_links_search_and_contacts() -> None:
    async def body() -> None:
        world = World()
        world.add_account("+77014440002", "Finder")
        world.add_account("+77014440003", "Operator Aibek")
        channel = world.add_channel("Kristall private", about="closed", invite_hash="AbCdEf123")
        world.add_channel("Kristall showcase", username="kristall_show")
        async with serving(world) as server:
            client = await login(server, "+77014440002")
            invite = await client(functions.messages.CheckChatInviteRequest("AbCdEf123"))
            assert isinstance(invite, types.ChatInvite) and invite.title == "Kristall private"
            await client(functions.messages.ImportChatInviteRequest("AbCdEf123"))
            finder = world.user_by_phone("77014440002")
            assert finder is not None and finder.id in channel.members
            again = await client(functions.messages.CheckChatInviteRequest("AbCdEf123"))
            assert isinstance(again, types.ChatInviteAlready)
            with pytest.raises(errors.InviteHashInvalidError):
                await client(functions.messages.ImportChatInviteRequest("nope"))
            found = await client(functions.contacts.SearchRequest(q="kristall", limit=10))
            assert [c.title for c in found.chats] == ["Kristall showcase"]  # private channels are not found
            # a phone number from a shop's message: import it as a contact, then Telethon resolves it
            await client(functions.contacts.ImportContactsRequest(
                [types.InputPhoneContact(client_id=1, phone="+77014440003", first_name="Op", last_name="")]
            ))
            op = await client.get_entity("+77014440003")
            assert op.first_name == "Operator Aibek"
            await client.disconnect()

    run(body)


def test_history_pagination_like_telegram() -> None:
    async def body() -> None:
        world = World()
        world.add_account("+77014440004", "Archivist")
        channel = world.add_channel("Long", username="long_channel")
        for i in range(1, 251):
            world.post(channel.id, f"post {i}")
        async with serving(world) as server:
            client = await login(server, "+77014440004")
            entity = await client.get_entity("long_channel")
            everything = await client.get_messages(entity, limit=None, wait_time=0)
            assert [m.id for m in everything] == list(range(250, 0, -1))
            assert everything.total == 250
            oldest_first = [m.id async for m in client.iter_messages(entity, reverse=True, wait_time=0)]
            assert oldest_first == list(range(1, 251))
            page = await client.get_messages(entity, limit=10, offset_id=101)
            assert [m.id for m in page] == list(range(100, 90, -1))
            window = await client.get_messages(entity, min_id=240, max_id=245)
            assert [m.id for m in window] == [244, 243, 242, 241]
            await client.disconnect()

    run(body)


def test_dialogs_pagination_beyond_one_page() -> None:
    async def body() -> None:
        world = World()
        reader = world.add_account("+77014440005", "Subscriber")
        for i in range(130):
            channel = world.add_channel(f"Shop {i}", username=f"shop_channel_{i}")
            world.post(channel.id, f"hello from {i}")
            world.join_channel(reader.id, channel.id)
        async with serving(world) as server:
            client = await login(server, "+77014440005")
            dialogs = await client.get_dialogs(limit=None)
            assert len({d.id for d in dialogs}) == 130
            first = await client.get_dialogs(limit=5)
            assert len(first) == 5 and first.total == 130
            await client.disconnect()

    run(body)
