"""python-telegram-bot 22 (real, unmodified, polling) against the sandbox's Bot API server.

A sandbox prosecutor writes to the bot and presses its buttons; the bot answers with text and an
inline keyboard, edits that message, sends a document and a photo, and the prosecutor receives
them byte for byte.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import pytest
from PIL import Image
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputMediaPhoto, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from prokai.sandbox.botapi import BotApiServer, make_token
from prokai.sandbox.botapi.testing import application_builder, polling

PROSECUTOR = 501
ADMIN_CHAT = -1001234567890
REPORT = b"card,bank\n4400430000000001,Kaspi\n"

pytestmark = pytest.mark.timeout(60)


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (640, 400), (200, 30, 30)).save(buf, format="PNG")
    return buf.getvalue()


PNG = _png()


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(coro_fn(), 45))


@asynccontextmanager
async def sandbox_and_bot(
    build: Callable[[Application], None],
) -> AsyncIterator[tuple[BotApiServer, Application]]:
    token = make_token()
    server = BotApiServer("127.0.0.1", 0, token)
    await server.start()
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(f"{server.url}/bot")
        .base_file_url(f"{server.url}/file/bot")
        .build()
    )
    build(app)
    try:
        async with app:
            await app.start()
            assert app.updater is not None
            await app.updater.start_polling(poll_interval=0.0, timeout=1)
            try:
                yield server, app
            finally:
                assert app.updater is not None
                await app.updater.stop()
                await app.stop()
    finally:
        await server.stop()


def review_bot(app: Application) -> None:
    """A miniature admin bot: a notification with buttons, an edit on press, evidence as files."""

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Confirm", callback_data="confirm:7"),
                    InlineKeyboardButton("Reject", callback_data="reject:7"),
                ],
                [InlineKeyboardButton("Evidence", callback_data="evidence:7")],
            ]
        )
        await update.effective_message.reply_text(
            "<b>New requisite</b>: card <code>4400 4300 0000 0001</code> (Kaspi)",
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard,
            do_quote=True,
        )

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None and query.message is not None
        action = query.data.split(":")[0]
        if action == "evidence":
            await query.answer("Sending evidence")
            chat_id = query.message.chat.id
            await context.bot.send_document(
                chat_id, REPORT, filename="evidence-7.csv", caption="Transcript #7"
            )
            await context.bot.send_photo(chat_id, PNG, caption="Payment screenshot")
            return
        await query.answer(f"Recorded: {action}", show_alert=action == "reject")
        await query.edit_message_text(f"Requisite #7: {action}ed by {query.from_user.first_name}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))


def test_message_press_edit_document_photo() -> None:
    async def scenario() -> None:
        async with sandbox_and_bot(review_bot) as (server, app):
            server.add_user(PROSECUTOR, "Aigerim", username="aigerim_prok")
            said = await server.user_says(PROSECUTOR, PROSECUTOR, "/start")

            reply = await server.next_message(PROSECUTOR)
            assert reply.text == "New requisite: card 4400 4300 0000 0001 (Kaspi)"
            assert {"type": "bold", "offset": 0, "length": 13} in reply.entities
            assert reply.reply_to_message_id == said.message_id
            assert reply.button_data() == ["confirm:7", "reject:7", "evidence:7"]

            press = await server.user_presses(PROSECUTOR, reply.message_id, "confirm:7")
            answer = await press.answered()
            assert answer.text == "Recorded: confirm" and not answer.show_alert
            edited = await server.next_edit(PROSECUTOR)
            assert edited.message_id == reply.message_id
            assert edited.text == "Requisite #7: confirmed by Aigerim"
            assert edited.buttons == [] and edited.edit_date is not None
            assert server.messages_for(PROSECUTOR)[0].text == edited.text

            press = await server.user_presses(PROSECUTOR, reply.message_id, "evidence:7", check_button=False)
            assert (await press.answered()).text == "Sending evidence"
            document = await server.next_message(PROSECUTOR)
            assert document.data == REPORT
            assert document.file_name == "evidence-7.csv" and document.caption == "Transcript #7"
            photo = await server.next_message(PROSECUTOR)
            assert photo.data == PNG and photo.caption == "Payment screenshot"
            assert (photo.photo[-1].width, photo.photo[-1].height) == (640, 400)
            assert [p.width for p in photo.photo] == [90, 320, 640]

            # The bot can fetch what it sent through getFile and the file URL.
            doc_file = await app.bot.get_file(document.document.file_id if document.document else "")
            assert bytes(await doc_file.download_as_bytearray()) == REPORT
            photo_file = await app.bot.get_file(photo.photo[-1].file_id)
            assert bytes(await photo_file.download_as_bytearray()) == PNG

            await app.bot.set_my_commands([BotCommand("pending", "Queue"), BotCommand("stats", "Statistics")])
            assert server.commands() == [
                {"command": "pending", "description": "Queue"},
                {"command": "stats", "description": "Statistics"},
            ]
            assert [c.command for c in await app.bot.get_my_commands()] == ["pending", "stats"]

            # An album: two photos in one media group, the second by the file_id of the first upload.
            album = await app.bot.send_media_group(
                PROSECUTOR, [InputMediaPhoto(PNG, caption="page 1"), InputMediaPhoto(photo.photo[-1].file_id)]
            )
            first, second = await server.next_message(PROSECUTOR), await server.next_message(PROSECUTOR)
            assert first.media_group_id == second.media_group_id == album[0].media_group_id is not None
            assert first.caption == "page 1" and first.data == second.data == PNG

        # PTB's start-up and shutdown: getMe, deleteWebhook, polling, a final getUpdates.
        assert list(server.calls)[:3] == ["getMe", "deleteWebhook", "getUpdates"]
        assert server.calls[-1] == "getUpdates"
        assert server.pending_updates() == []

    run(scenario)


def test_admin_group_and_refusals() -> None:
    seen: list[tuple[int, str]] = []

    def bot(app: Application) -> None:
        async def any_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.effective_chat is not None and update.effective_message is not None
            seen.append((update.effective_chat.id, update.effective_message.text or ""))
            await update.effective_message.reply_text("ok")

        app.add_handler(CommandHandler("stats", any_command))

    async def scenario() -> None:
        async with sandbox_and_bot(bot) as (server, app):
            server.add_group(ADMIN_CHAT, "Prosecutors", members=[PROSECUTOR], creator=PROSECUTOR)
            await server.user_says(PROSECUTOR, ADMIN_CHAT, "/stats@prokai_review_bot")
            assert (await server.next_message(ADMIN_CHAT)).text == "ok"
            assert seen == [(ADMIN_CHAT, "/stats@prokai_review_bot")]

            member = await app.bot.get_chat_member(ADMIN_CHAT, PROSECUTOR)
            assert member.status == "creator"
            me = await app.bot.get_chat_member(ADMIN_CHAT, app.bot.id)
            assert me.status == "administrator"
            server.add_user(999, "Outsider")
            assert (await app.bot.get_chat_member(ADMIN_CHAT, 999)).status == "left"
            chat = await app.bot.get_chat(ADMIN_CHAT)
            assert chat.title == "Prosecutors" and chat.type == "supergroup"

            # A user who never wrote to the bot cannot be written to; a blocked bot gets 403.
            server.add_user(777, "Stranger")
            with pytest.raises(Forbidden, match="bot can't initiate conversation with a user"):
                await app.bot.send_message(777, "hello")
            await server.user_says(777, None, "hi")
            server.user_blocks_bot(777)
            with pytest.raises(Forbidden, match="bot was blocked by the user"):
                await app.bot.send_message(777, "hello")
            with pytest.raises(BadRequest, match="Chat not found"):
                await app.bot.send_message(123456, "hello")

    run(scenario)


def test_user_files_and_edits_reach_the_bot() -> None:
    got: list[str] = []
    all_seen = asyncio.Event()

    def note(line: str) -> None:
        got.append(line)
        if len(got) == 3:
            all_seen.set()

    def bot(app: Application) -> None:
        async def on_document(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.effective_message
            assert message is not None and message.document is not None
            data = await (await message.document.get_file()).download_as_bytearray()
            note(f"document {message.document.file_name} {bytes(data) == REPORT} {message.caption}")
            await message.reply_text(f"got {len(data)} bytes")

        async def on_photo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            message = update.effective_message
            assert message is not None and message.photo
            data = await (await message.photo[-1].get_file()).download_as_bytearray()
            note(f"photo {message.photo[-1].width}x{message.photo[-1].height} {bytes(data) == PNG}")

        async def on_edit(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
            assert update.edited_message is not None
            note(f"edited {update.edited_message.message_id} {update.edited_message.text}")

        app.add_handler(MessageHandler(filters.Document.ALL, on_document))
        app.add_handler(MessageHandler(filters.PHOTO, on_photo))
        app.add_handler(MessageHandler(filters.UpdateType.EDITED_MESSAGE, on_edit))

    async def scenario() -> None:
        async with sandbox_and_bot(bot) as (server, app):
            await server.user_sends_document(PROSECUTOR, None, REPORT, "list.csv", caption="freeze these")
            assert (await server.next_message(PROSECUTOR)).text == f"got {len(REPORT)} bytes"
            await server.user_sends_photo(PROSECUTOR, None, PNG)
            said = await server.user_says(PROSECUTOR, None, "/search 4400")
            await server.user_edits(PROSECUTOR, None, said.message_id, "/search 4401")
            await asyncio.wait_for(all_seen.wait(), 10)
            assert got == [
                "document list.csv True freeze these",
                "photo 640x400 True",
                f"edited {said.message_id} /search 4401",
            ]

    run(scenario)


def test_testing_helpers_run_like_run_polling() -> None:
    """`application_builder` + `polling` run post_init, poll, and confirm updates on the way out."""

    async def post_init(application: Application) -> None:
        await application.bot.set_my_commands([BotCommand("pending", "Queue")])

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.text is not None
        await update.effective_message.reply_text(update.effective_message.text.upper())

    async def scenario() -> None:
        async with BotApiServer("127.0.0.1", 0, make_token()) as server:
            app = application_builder(server).post_init(post_init).build()
            app.add_handler(MessageHandler(filters.TEXT, echo))
            async with polling(app):
                assert server.commands() == [{"command": "pending", "description": "Queue"}]
                await server.user_says(PROSECUTOR, None, "hello")
                assert (await server.next_message(PROSECUTOR)).text == "HELLO"
            assert server.pending_updates() == []
            assert not app.running

    run(scenario)
