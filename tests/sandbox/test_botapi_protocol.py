"""The sandbox Bot API at the HTTP level: errors as Telegram gives them, getUpdates semantics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from telegram import Bot
from telegram.error import BadRequest, InvalidToken, RetryAfter

from prokai.sandbox.botapi import BotApiServer, make_token, too_many_requests

pytestmark = pytest.mark.timeout(60)
TOKEN = make_token(7_100_000_001)
USER = 42


class Clock:
    """A sandbox clock the test moves by hand."""

    def __init__(self) -> None:
        self.t = 1_790_000_000.0

    def __call__(self) -> float:
        return self.t


async def until_polling(server: BotApiServer, count: int = 1) -> None:
    """Wait (bounded) until `count` getUpdates calls are parked on the server."""

    async def check() -> None:
        while server.updates.waiting < count:
            await asyncio.sleep(0.005)

    await asyncio.wait_for(check(), 10)


def run(coro_fn: Callable[[], Awaitable[None]]) -> None:
    asyncio.run(asyncio.wait_for(coro_fn(), 45))


@asynccontextmanager
async def sandbox(
    **kwargs: Any,
) -> AsyncIterator[tuple[BotApiServer, Callable[..., Coroutine[Any, Any, tuple[int, dict[str, Any]]]]]]:
    server = BotApiServer("127.0.0.1", 0, TOKEN, **kwargs)
    await server.start()
    async with aiohttp.ClientSession() as http:

        async def call(
            method: str, token: str = TOKEN, http_method: str = "POST", **params: Any
        ) -> tuple[int, dict[str, Any]]:
            url = f"{server.url}/bot{token}/{method}"
            if http_method == "GET":
                resp = await http.get(url, params={k: str(v) for k, v in params.items()})
            else:
                resp = await http.post(url, json=params)
            async with resp:
                return resp.status, json.loads(await resp.read())

        try:
            yield server, call
        finally:
            await server.stop()


def test_bad_token_and_unknown_method_as_telegram_answers() -> None:
    async def scenario() -> None:
        async with sandbox() as (server, call):
            assert await call("getMe", token="7100000001:AAwrongwrongwrongwrongwrongwrongwr") == (
                401,
                {"ok": False, "error_code": 401, "description": "Unauthorized"},
            )
            assert await call("getMe", token="TOKEN") == (
                404,
                {"ok": False, "error_code": 404, "description": "Not Found"},
            )
            assert await call("sendMassage", chat_id=USER, text="x") == (
                404,
                {"ok": False, "error_code": 404, "description": "Not Found"},
            )
            status, body = await call("GETME", http_method="GET")  # method names are case-insensitive
            assert status == 200 and body["result"]["is_bot"] and body["result"]["id"] == 7_100_000_001

            # python-telegram-bot turns 401/404 into InvalidToken, as against Telegram.
            bad = Bot("7100000001:AAwrongwrongwrongwrongwrongwrongwr", base_url=f"{server.url}/bot")
            with pytest.raises(InvalidToken):
                await bad.initialize()

    run(scenario)


@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
def test_bad_parameters_give_telegram_descriptions() -> None:
    async def scenario() -> None:
        async with sandbox() as (server, call):
            await server.user_says(USER, None, "/start")

            async def error(method: str, **params: Any) -> str:
                status, body = await call(method, **params)
                assert status == 400 and body["ok"] is False and body["error_code"] == 400, body
                return str(body["description"])

            assert await error("sendMessage", text="hi") == "Bad Request: chat_id is empty"
            assert await error("sendMessage", chat_id=USER) == "Bad Request: message text is empty"
            assert await error("sendMessage", chat_id=99999, text="x") == "Bad Request: chat not found"
            assert await error("sendMessage", chat_id=USER, text="<b>x", parse_mode="HTML") == (
                "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\""
            )
            assert await error("sendMessage", chat_id=USER, text="1.5", parse_mode="MarkdownV2") == (
                "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the preceding '\\'"
            )
            assert (
                await error("sendMessage", chat_id=USER, text="x" * 4097)
                == "Bad Request: message is too long"
            )
            long_data = {"inline_keyboard": [[{"text": "A", "callback_data": "d" * 65}]]}
            assert await error("sendMessage", chat_id=USER, text="x", reply_markup=long_data) == (
                "Bad Request: BUTTON_DATA_INVALID"
            )
            assert await error(
                "sendMessage", chat_id=USER, text="x", reply_parameters={"message_id": 999}
            ) == ("Bad Request: message to be replied not found")
            status, sent = await call("sendMessage", chat_id=USER, text="same")
            mid = sent["result"]["message_id"]
            assert await error("editMessageText", chat_id=USER, message_id=mid, text="same") == (
                "Bad Request: message is not modified: specified new message content and reply markup are exactly "
                "the same as a current content and reply markup of the message"
            )
            assert await error("editMessageText", chat_id=USER, message_id=mid + 50, text="new") == (
                "Bad Request: message to edit not found"
            )
            assert await error("editMessageText", chat_id=USER, message_id=1, text="new") == (
                "Bad Request: message can't be edited"
            )
            assert await error("answerCallbackQuery", callback_query_id="123") == (
                "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
            assert (
                await error("sendDocument", chat_id=USER)
                == "Bad Request: there is no document in the request"
            )
            assert await error("sendPhoto", chat_id=USER, photo="nope") == (
                "Bad Request: wrong file identifier/HTTP URL specified"
            )
            assert await error("getFile", file_id="nope") == "Bad Request: invalid file_id"
            assert await error("deleteMessage", chat_id=USER, message_id=mid + 50) == (
                "Bad Request: message to delete not found"
            )
            assert (await call("deleteMessage", chat_id=USER, message_id=mid))[1] == {
                "ok": True,
                "result": True,
            }
            assert server.messages_for(USER) == []
            assert await error(
                "setMyCommands", commands=[{"command": "Bad Command", "description": "x"}]
            ) == ("Bad Request: BOT_COMMAND_INVALID")

            # Injected flood control reaches python-telegram-bot as RetryAfter.
            server.fail_next("sendMessage", too_many_requests(7))
            async with Bot(TOKEN, base_url=f"{server.url}/bot") as bot:
                with pytest.raises(RetryAfter, match="Retry in 7 seconds"):
                    await bot.send_message(USER, "x")
                with pytest.raises(BadRequest, match="Message is not modified"):
                    await bot.edit_message_reply_markup(USER, (await bot.send_message(USER, "y")).message_id)

    run(scenario)


def test_get_updates_offset_semantics() -> None:
    async def scenario() -> None:
        async with sandbox(first_update_id=500) as (server, call):
            for text in ("one", "two", "three"):
                await server.user_says(USER, None, text)

            async def updates(**params: Any) -> list[dict[str, Any]]:
                status, body = await call("getUpdates", **params)
                assert status == 200 and body["ok"], body
                return list(body["result"])

            def ids(result: list[dict[str, Any]]) -> list[int]:
                return [u["update_id"] for u in result]

            first = await updates()
            assert ids(first) == [500, 501, 502]
            assert [u["message"]["text"] for u in first] == ["one", "two", "three"]
            assert ids(await updates()) == [500, 501, 502]  # nothing is confirmed without an offset
            assert ids(await updates(limit=1)) == [500]
            assert ids(await updates(offset=501)) == [501, 502]  # confirms 500 ...
            assert ids(await updates()) == [501, 502]  # ... for good
            assert ids(await updates(offset=400)) == [501, 502]  # a lower offset confirms nothing new
            await server.user_says(USER, None, "four")
            assert ids(await updates(offset=-1)) == [503]  # the last one only; the others are forgotten
            assert ids(await updates()) == [503]
            assert await updates(offset=504) == []
            assert server.pending_updates() == []

            # Long polling: a waiting call returns as soon as an update arrives.
            poll = asyncio.create_task(updates(offset=504, timeout=30))
            await until_polling(server)
            assert not poll.done()
            await server.user_says(USER, None, "five")
            result = await asyncio.wait_for(poll, 10)
            assert ids(result) == [504] and result[0]["message"]["text"] == "five"

            # A newer getUpdates ends an older waiting one with 409 Conflict.
            old = asyncio.create_task(call("getUpdates", offset=505, timeout=30))
            await until_polling(server)
            assert await updates(offset=505) == []
            assert await asyncio.wait_for(old, 10) == (
                409,
                {
                    "ok": False,
                    "error_code": 409,
                    "description": "Conflict: terminated by other getUpdates request; make sure that only one bot "
                    "instance is running",
                },
            )

            # Query-string parameters (GET) and form fields read the same as JSON.
            await server.user_says(USER, None, "six")
            status, body = await call("getUpdates", http_method="GET", offset=505, timeout=0)
            assert [u["message"]["text"] for u in body["result"]] == ["six"]

            # allowed_updates filters updates created afterwards; deleteWebhook can drop the queue.
            assert ids(await updates(offset=506, allowed_updates=["callback_query"])) == []
            await server.user_says(USER, None, "ignored")
            assert server.pending_updates() == []
            assert await updates(allowed_updates=[]) == []
            await server.user_says(USER, None, "seven")
            assert len(server.pending_updates()) == 1
            assert (await call("deleteWebhook", drop_pending_updates=True))[1] == {"ok": True, "result": True}
            assert server.pending_updates() == []

    run(scenario)


def test_stop_ends_a_waiting_long_poll() -> None:
    async def scenario() -> None:
        async with sandbox() as (server, call):
            poll = asyncio.create_task(call("getUpdates", timeout=30))
            await until_polling(server)
            await asyncio.wait_for(server.stop(), 10)
            status, body = await asyncio.wait_for(poll, 10)
            assert status == 409 and body["ok"] is False

    run(scenario)


def test_updates_expire_after_24_hours_of_sandbox_time() -> None:
    clock = Clock()

    async def scenario() -> None:
        async with sandbox(now=clock) as (server, call):
            await server.user_says(USER, None, "old")
            clock.t += 12 * 3600
            await server.user_says(USER, None, "newer")
            status, body = await call("getUpdates")
            assert [u["message"]["date"] for u in body["result"]] == [
                1_790_000_000,
                1_790_000_000 + 12 * 3600,
            ]
            clock.t += 13 * 3600  # "old" is now 25 h old
            status, body = await call("getUpdates")
            assert [u["message"]["text"] for u in body["result"]] == ["newer"]

    run(scenario)


def test_group_privacy_mode_and_two_users_pressing() -> None:
    async def scenario() -> None:
        async with sandbox() as (server, call):
            server.add_group(-100500, "Plain members", members=[1, 2], bot_status="member")
            server.add_group(-100600, "Bot is admin", members=[1, 2])
            await call("getUpdates", offset=-1)  # forget the my_chat_member updates
            await call("getUpdates", offset=server.pending_updates()[-1].update_id + 1)

            await server.user_says(1, -100500, "just chatting")
            await server.user_says(1, -100500, "/stats")
            await server.user_says(1, -100500, "/stats@some_other_bot")
            await server.user_says(1, -100500, "hey @prokai_review_bot")
            await server.user_says(1, -100600, "just chatting with an admin bot around")
            seen = [(u.payload["chat"]["id"], u.payload["text"]) for u in server.pending_updates()]
            assert seen == [
                (-100500, "/stats"),
                (-100500, "hey @prokai_review_bot"),
                (-100600, "just chatting with an admin bot around"),
            ]

            keyboard = {"inline_keyboard": [[{"text": "Confirm", "callback_data": "confirm:9"}]]}
            status, sent = await call(
                "sendMessage", chat_id=-100600, text="Requisite #9", reply_markup=keyboard
            )
            mid = sent["result"]["message_id"]
            first = await server.user_presses(1, mid, "confirm:9", chat_id=-100600)
            second = await server.user_presses(2, mid, "confirm:9", chat_id=-100600)
            queries = [u.payload for u in server.pending_updates() if u.kind == "callback_query"]
            assert [(q["from"]["id"], q["message"]["message_id"], q["data"]) for q in queries] == [
                (1, mid, "confirm:9"),
                (2, mid, "confirm:9"),
            ]
            assert queries[0]["chat_instance"] == queries[1]["chat_instance"]
            await call("answerCallbackQuery", callback_query_id=first.id, text="Confirmed")
            await call(
                "answerCallbackQuery",
                callback_query_id=second.id,
                text="Already confirmed by User 1",
                show_alert=True,
            )
            assert (await first.answered()).text == "Confirmed"
            assert (
                await second.answered() == second.answer
                and second.answer is not None
                and second.answer.show_alert
            )
            status, again = await call("answerCallbackQuery", callback_query_id=first.id, text="twice")
            assert status == 400 and "query is too old" in again["description"]

    run(scenario)
