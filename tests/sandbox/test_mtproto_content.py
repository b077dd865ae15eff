"""Message search, edit, delete, forward between accounts, file uploads, and the named errors
Telegram gives (CHAT_ADMIN_REQUIRED, USERNAME_INVALID, MESSAGE_AUTHOR_REQUIRED), through stock
Telethon."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import pytest
from mtsandbox import login, run, serving
from telethon import errors, events
from telethon.tl import functions, types

from prokai.sandbox.demo import render_image
from prokai.sandbox.world import World

pytestmark = pytest.mark.timeout(90)


def _world() -> World:
    world = World()
    world.add_account("+77016660001", "Alice", username="alice_buyer")
    world.add_account("+77016660002", "Bob", username="bob_seller")
    return world


def test_search_edit_delete_between_two_accounts() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            alice = await login(server, "+77016660001")
            bob = await login(server, "+77016660002")
            edits: asyncio.Queue[Any] = asyncio.Queue()
            deletes: asyncio.Queue[Any] = asyncio.Queue()

            async def on_edit(event: Any) -> None:
                edits.put_nowait(event.message)

            async def on_delete(event: Any) -> None:
                deletes.put_nowait(event.deleted_ids)

            bob.add_event_handler(on_edit, events.MessageEdited())
            bob.add_event_handler(on_delete, events.MessageDeleted())
            await bob.get_dialogs()
            first = await alice.send_message("bob_seller", "Card please")
            await bob.send_message("alice_buyer", "Card 4400 4300 0000 0001, see https://pay.example.kz/x")
            await alice.send_message("bob_seller", "Thanks for the card")

            found = [m.text async for m in alice.iter_messages("bob_seller", search="card")]
            assert found == ["Thanks for the card", "Card 4400 4300 0000 0001, see https://pay.example.kz/x",
                             "Card please"]
            theirs = [m.text async for m in alice.iter_messages("bob_seller", search="card", from_user="bob_seller")]
            assert theirs == ["Card 4400 4300 0000 0001, see https://pay.example.kz/x"]
            links = await alice.get_messages("bob_seller", filter=types.InputMessagesFilterUrl())
            assert [m.sender_id for m in links] == [(await bob.get_me()).id]

            edited = await alice.edit_message("bob_seller", first.id, "Card please, Kaspi")
            assert edited.text == "Card please, Kaspi" and edited.edit_date is not None
            seen = await asyncio.wait_for(edits.get(), 10)
            assert seen.text == "Card please, Kaspi"
            bob_copy = [m async for m in bob.iter_messages("alice_buyer", search="Kaspi")]
            assert len(bob_copy) == 1
            with pytest.raises(errors.MessageAuthorRequiredError):
                await alice.edit_message("bob_seller", links[0].id, "not mine")

            await alice.delete_messages("bob_seller", [first.id])  # revoke: gone for both
            assert await asyncio.wait_for(deletes.get(), 10) == [bob_copy[0].id]
            assert [m.text async for m in alice.iter_messages("bob_seller", search="Kaspi")] == []
            assert [m.text async for m in bob.iter_messages("alice_buyer", search="Kaspi")] == []
            await alice.disconnect()
            await bob.disconnect()

    run(body)


def test_upload_photo_and_document_and_forward() -> None:
    async def body() -> None:
        world = _world()
        async with serving(world) as server:
            alice = await login(server, "+77016660001")
            bob = await login(server, "+77016660002")
            jpeg = render_image("RECEIPT 25 000", 640, 240).data
            photo_file = io.BytesIO(jpeg)
            photo_file.name = "receipt.jpg"
            sent = await alice.send_file("bob_seller", photo_file, caption="receipt")
            assert sent.photo is not None and sent.text == "receipt"
            doc = io.BytesIO(b"%PDF-1.4 order 17\n" * 5000)  # ~90 KB: several upload parts
            doc.name = "order.pdf"
            sent_doc = await alice.send_file("bob_seller", doc, force_document=True)
            assert sent_doc.document is not None

            got = await bob.get_messages("alice_buyer", limit=2)
            assert got[0].file.name == "order.pdf"
            assert await bob.download_media(got[0], file=bytes) == b"%PDF-1.4 order 17\n" * 5000
            assert await bob.download_media(got[1], file=bytes) == jpeg
            photos = await bob.get_messages("alice_buyer", filter=types.InputMessagesFilterPhotos())
            assert [m.id for m in photos] == [got[1].id]

            fwd = await bob.forward_messages("alice_buyer", got[1])  # back to alice, with a header
            assert fwd.fwd_from is not None and fwd.fwd_from.from_id.user_id == (await alice.get_me()).id
            back = (await alice.get_messages("bob_seller", limit=1))[0]
            assert back.fwd_from is not None and back.photo is not None
            await alice.disconnect()
            await bob.disconnect()

    run(body)


def test_named_errors() -> None:
    async def body() -> None:
        world = _world()
        world.add_channel("News", username="news_channel")
        async with serving(world) as server:
            alice = await login(server, "+77016660001")
            with pytest.raises(errors.ChatAdminRequiredError):
                await alice.get_participants("news_channel")
            with pytest.raises(errors.UsernameInvalidError):
                await alice(functions.contacts.ResolveUsernameRequest("bad-name!"))
            with pytest.raises(errors.UsernameInvalidError):
                await alice(functions.contacts.ResolveUsernameRequest("ab"))
            with pytest.raises(errors.UsernameNotOccupiedError):
                await alice(functions.contacts.ResolveUsernameRequest("nobody_here"))
            with pytest.raises(errors.ChatAdminRequiredError):
                await alice.forward_messages("news_channel", 1, "bob_seller")
            await alice.disconnect()

    run(body)
