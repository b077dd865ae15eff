"""`prokai sandbox bot-send | bot-press | bot-inbox` against a running sandbox with a real PTB bot."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes
from typer.testing import CliRunner

from prokai.config import ReviewerSettings, ReviewSettings, Settings
from prokai.sandbox.botapi import BotApiServer, make_token
from prokai.sandbox.botapi.cli import register_bot_commands
from prokai.sandbox.botapi.seed import seed_from_settings

pytestmark = pytest.mark.timeout(60)
USER = 9001


def bot_handlers(app: Application) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        markup = InlineKeyboardMarkup([[InlineKeyboardButton("Confirm", callback_data="confirm:1")]])
        await update.effective_message.reply_text("Requisite #1: card 4400…0001", reply_markup=markup)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer("Confirmed")
        await query.edit_message_text("Requisite #1: confirmed")
        await context.bot.send_document(query.message.chat.id, b"evidence bytes", filename="case-1.txt")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(CallbackQueryHandler(pressed))


@contextmanager
def running_sandbox() -> Iterator[BotApiServer]:
    """Sandbox server and a polling PTB bot on an event loop in a background thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    token = make_token()
    server = BotApiServer("127.0.0.1", 0, token)
    holder: dict[str, Application] = {}

    async def up() -> None:
        await server.start()
        app = (
            ApplicationBuilder()
            .token(token)
            .base_url(server.base_url)
            .base_file_url(server.base_file_url)
            .build()
        )
        bot_handlers(app)
        await app.initialize()
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        holder["app"] = app

    async def down() -> None:
        app = holder.get("app")
        if app is not None:
            assert app.updater is not None
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
        await server.stop()

    try:
        asyncio.run_coroutine_threadsafe(up(), loop).result(20)
        yield server
    finally:
        asyncio.run_coroutine_threadsafe(down(), loop).result(20)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def cli() -> typer.Typer:
    app = typer.Typer()
    register_bot_commands(app)
    return app


def test_cli_send_inbox_press(tmp_path: Path) -> None:
    runner = CliRunner()
    with running_sandbox() as server:
        url = ["--url", server.url]
        sent = runner.invoke(cli(), ["bot-send", "/start", "--user", str(USER), "--name", "Dana", *url])
        assert sent.exit_code == 0, sent.output
        assert sent.output.strip() == f"sent #1 to chat {USER}"

        inbox = runner.invoke(cli(), ["bot-inbox", "--user", str(USER), "--wait", "10", *url])
        assert inbox.exit_code == 0, inbox.output
        assert "#2 bot" in inbox.output and "Requisite #1: card 4400…0001" in inbox.output
        assert "[Confirm → confirm:1]" in inbox.output

        pressed = runner.invoke(cli(), ["bot-press", "confirm:1", "--user", str(USER), "--wait", "10", *url])
        assert pressed.exit_code == 0, pressed.output
        assert pressed.output.strip() == "pressed 'confirm:1' on #2; bot answered: Confirmed"

        got = runner.invoke(
            cli(),
            [
                "bot-inbox",
                "--user",
                str(USER),
                "--after",
                "2",
                "--wait",
                "10",
                "--json",
                "--save",
                str(tmp_path),
                *url,
            ],
        )
        assert got.exit_code == 0, got.output
        docs = [json.loads(line) for line in got.stdout.splitlines() if line.startswith("{")]
        assert docs[0]["document"]["file_name"] == "case-1.txt"
        assert Path(docs[0]["document"]["saved_to"]).read_bytes() == b"evidence bytes"

        everything = runner.invoke(cli(), ["bot-inbox", "--user", str(USER), "--all", "--json", *url])
        rows = [json.loads(line) for line in everything.stdout.splitlines()]
        assert [(r["from"], r.get("text")) for r in rows[:2]] == [
            (USER, "/start"),
            ("bot", "Requisite #1: confirmed"),
        ]

        # Clear one-line errors.
        wrong = runner.invoke(cli(), ["bot-press", "nope", "--user", str(USER), *url])
        assert wrong.exit_code == 1
        assert (
            wrong.stderr.strip()
            == f"error: no bot message in chat {USER} has a button with callback_data 'nope'"
        )
        stranger = runner.invoke(cli(), ["bot-send", "hi", "--user", "5", "--chat", "-100777", *url])
        assert (
            stranger.exit_code == 1 and stranger.stderr.strip() == "error: sandbox refused: no sandbox user 5"
        )
    down = runner.invoke(cli(), ["bot-inbox", "--user", "1", "--url", "http://127.0.0.1:9"])
    assert down.exit_code == 1 and down.stderr.startswith(
        "error: cannot reach the Bot API sandbox at http://127.0.0.1:9"
    )
    usage = runner.invoke(cli(), ["bot-inbox", "--user", "1"], env={"PROKAI_SANDBOX_BOT_URL": ""})
    assert usage.exit_code == 2 and "no Bot API sandbox URL" in usage.stderr


def test_seed_from_settings() -> None:
    settings = Settings(
        review=ReviewSettings(
            admin_chat_id=-1009876543210,
            reviewers=[
                ReviewerSettings(telegram_id=11, name="Aigerim", role="prosecutor"),
                ReviewerSettings(telegram_id=12, name="Timur", role="admin"),
            ],
        )
    )
    server = BotApiServer("127.0.0.1", 0, make_token())
    seed_from_settings(server, settings)
    assert server.world.users[11].started_bot and server.world.users[12].first_name == "Timur"
    chat = server.world.chats[-1009876543210]
    assert chat.members == {11: "member", 12: "administrator"} and chat.bot_status == "administrator"
