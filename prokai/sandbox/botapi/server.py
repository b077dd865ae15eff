"""`BotApiServer`: an aiohttp Telegram Bot API server for one bot, plus the simulated users' side.

    server = BotApiServer("127.0.0.1", 0, token)
    await server.start()
    app = ApplicationBuilder().token(token).base_url(f"{server.url}/bot") \
        .base_file_url(f"{server.url}/file/bot").build()
    ...
    await server.user_says(1001, 1001, "/start")
    reply = await server.next_message(1001)
    await server.stop()
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import logging
import re
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from aiohttp import web

from prokai.sandbox.botapi.errors import NOT_FOUND, UNAUTHORIZED, BotApiError, SandboxError
from prokai.sandbox.botapi.files import MAX_UPLOAD_BYTES, FileStore
from prokai.sandbox.botapi.markup import user_entities
from prokai.sandbox.botapi.methods import BotApi, BotIdentity, error_for_exception
from prokai.sandbox.botapi.params import Params, Upload
from prokai.sandbox.botapi.updates import PendingUpdate, UpdateQueue
from prokai.sandbox.botapi.world import (
    CallbackPress,
    ChatEvent,
    MemberStatus,
    SandboxChat,
    SandboxMessage,
    SandboxUser,
    World,
)

log = logging.getLogger("prokai.sandbox.botapi")

TOKEN_RE = re.compile(r"^(\d{1,20}):[A-Za-z0-9_-]{20,}$")
_MEMBER = frozenset({"creator", "administrator", "member"})


def _clock(now: Callable[[], float | datetime] | None) -> Callable[[], float]:
    if now is None:
        return time.time

    def read() -> float:
        value = now()
        return value.timestamp() if isinstance(value, datetime) else float(value)

    return read


class BotApiServer:
    """A local Bot API for one bot token; the sandbox's users and chats are driven from Python.

    `now` is the sandbox clock (epoch seconds or an aware datetime): it dates messages and ages
    updates (24 h retention). Long-poll timeouts and callback answer windows run on real time.
    """

    def __init__(
        self,
        host: str,
        port: int,
        token: str,
        *,
        now: Callable[[], float | datetime] | None = None,
        bot_name: str = "ProkAi Review",
        bot_username: str = "prokai_review_bot",
        privacy_mode: bool = True,
        first_update_id: int = 100_000_001,
    ) -> None:
        match = TOKEN_RE.match(token)
        if not match:
            raise ValueError("bot token must look like '<digits>:<20+ letters, digits, _ or ->'")
        self.host = host
        self.port = port
        self.token = token
        self.now = _clock(now)
        self.privacy_mode = privacy_mode
        self.bot = BotIdentity(int(match.group(1)), bot_name, bot_username)
        self.world = World(self.now)
        self.files = FileStore()
        self.updates = UpdateQueue(self.now, first_update_id)
        self.api = BotApi(self.bot, self.world, self.files, self.updates)
        # The bot's method calls, in order (the last 10,000), for tests and `inspect`.
        self.calls: collections.deque[str] = collections.deque(maxlen=10_000)
        self._failures: dict[str, list[BotApiError]] = {}
        self._query_ids = itertools.count(4_000_000_000_000_000_001, 7919)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None

    # --- lifecycle ----------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """`http://host:port` of the running server (base_url is `{url}/bot`)."""
        if self._runner is None:
            raise RuntimeError("BotApiServer is not started")
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else "[::1]" if self.host == "::" else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to give python-telegram-bot's `base_url`."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to give python-telegram-bot's `base_file_url`."""
        return f"{self.url}/file/bot"

    def make_app(self) -> web.Application:
        """The aiohttp application (Bot API, file downloads, `/_sandbox/` control endpoints)."""
        from prokai.sandbox.botapi.control import add_control_routes

        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_control_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def start(self) -> None:
        """Listen on host:port (port 0 picks a free one, then `.port` holds it)."""
        if self._runner is not None:
            return
        self.updates.reopen()
        runner = web.AppRunner(self.make_app(), access_log=None, handle_signals=False, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]
        self._runner, self._site = runner, site
        log.info("bot api sandbox listening on %s (bot @%s, id %s)", self.url, self.bot.username, self.bot.id)

    async def stop(self) -> None:
        """Stop listening; waiting long polls end. State (users, messages, files) stays readable."""
        if self._runner is None:
            return
        self.updates.close()
        await self._runner.cleanup()
        self._runner = self._site = None

    async def __aenter__(self) -> BotApiServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # --- HTTP ---------------------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        method = request.match_info["method"]
        try:
            if not TOKEN_RE.match(token):
                raise NOT_FOUND
            if token != self.token:
                raise UNAUTHORIZED
            handler = self.api.handlers.get(method.lower())
            if handler is None:
                raise NOT_FOUND
            self.calls.append(method)
            injected = self._failures.get(method.lower())
            if injected:
                raise injected.pop(0)
            params = await _read_params(request)
            result = await handler(params)
        except BotApiError as exc:
            if exc.error_code != 409:
                log.debug("bot api %s -> %s %s", method, exc.error_code, exc.description)
            return web.json_response(exc.payload(), status=exc.error_code)
        except Exception as exc:  # never a traceback to the bot; the log has it
            log.exception("bot api %s failed", method)
            err = error_for_exception(exc)
            return web.json_response(err.payload(), status=err.error_code)
        return web.json_response({"ok": True, "result": result})

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(NOT_FOUND.payload(), status=404)
        stored = self.files.by_path(request.match_info["path"])
        if stored is None:
            return web.json_response(NOT_FOUND.payload(), status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    async def _not_found(self, request: web.Request) -> web.Response:
        return web.json_response(NOT_FOUND.payload(), status=404)

    # --- the simulated users' side ------------------------------------------------------------

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "ru",
        started: bool = False,
    ) -> SandboxUser:
        """Add (or update) a sandbox user; `started=True` as if they had already written to the bot."""
        existing = self.world.users.get(user_id)
        user = SandboxUser(
            id=user_id,
            first_name=first_name or (existing.first_name if existing else f"User {user_id}"),
            last_name=last_name,
            username=username,
            language_code=language_code,
            started_bot=started or bool(existing and existing.started_bot),
            blocked_bot=bool(existing and existing.blocked_bot),
        )
        return self.world.add_user(user)

    def add_group(
        self,
        chat_id: int,
        title: str,
        members: Iterable[int] = (),
        *,
        admins: Iterable[int] = (),
        creator: int | None = None,
        supergroup: bool = True,
        username: str | None = None,
        bot_status: MemberStatus = "administrator",
    ) -> SandboxChat:
        """Add a group with the bot in it (the admin chat); unknown member ids become users.

        The bot gets a `my_chat_member` update saying it was added, as Telegram sends one.
        """
        if chat_id >= 0:
            raise SandboxError(f"group chat ids are negative, got {chat_id}")
        chat = SandboxChat(
            id=chat_id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            bot_status=bot_status,
        )
        statuses: dict[int, MemberStatus] = {uid: "member" for uid in members}
        statuses.update({uid: "administrator" for uid in admins})
        if creator is not None:
            statuses[creator] = "creator"
        for uid in statuses:
            if uid not in self.world.users:
                self.add_user(uid)
        chat.members = statuses
        self.world.chats[chat_id] = chat
        adder = creator if creator is not None else next(iter(statuses), None)
        if adder is not None and bot_status in _MEMBER:
            self.updates.push(
                "my_chat_member",
                {
                    "chat": chat.to_api(self.world.users),
                    "from": self.world.users[adder].to_api(),
                    "date": int(self.now()),
                    "old_chat_member": {"status": "left", "user": self.bot.to_api()},
                    "new_chat_member": self.api._member(chat, self.bot.id),
                },
            )
        return chat

    def set_member(self, chat_id: int, user_id: int, status: MemberStatus) -> None:
        """Change a user's membership in a group (join, promote, leave, kick)."""
        chat = self.world.chat(chat_id)
        if chat.type == "private":
            raise SandboxError("private chats have no members to change")
        if user_id not in self.world.users:
            self.add_user(user_id)
        chat.members[user_id] = status

    def user_blocks_bot(self, user_id: int, blocked: bool = True) -> None:
        """The user blocks (or unblocks) the bot: sends to them then fail with 403."""
        self.world.user(user_id).blocked_bot = blocked

    async def user_says(
        self,
        user_id: int,
        chat_id: int | None,
        text: str,
        *,
        reply_to: int | None = None,
    ) -> SandboxMessage:
        """A user writes `text` to the bot (chat_id None or = user_id: private chat) or in a group.

        An unknown user in a private chat is created. `/commands`, @mentions and URLs get the
        entities Telegram's apps mark. Returns the user's message as stored.
        """
        if not text.strip():
            raise SandboxError("a message needs some text")
        return await self._user_message(user_id, chat_id, reply_to, text=text, entities=user_entities(text))

    async def user_sends_document(
        self,
        user_id: int,
        chat_id: int | None,
        data: bytes,
        file_name: str,
        *,
        caption: str | None = None,
        mime_type: str | None = None,
        reply_to: int | None = None,
    ) -> SandboxMessage:
        """A user sends a file; the bot can fetch it with getFile and the file URL."""
        try:
            document = self.files.add_document(data, file_name, mime_type)
        except BotApiError as exc:
            raise SandboxError(f"Telegram would refuse this file: {exc.description}") from None
        return await self._user_message(
            user_id,
            chat_id,
            reply_to,
            document=document,
            caption=caption or None,
            caption_entities=user_entities(caption or ""),
        )

    async def user_sends_photo(
        self,
        user_id: int,
        chat_id: int | None,
        data: bytes,
        *,
        caption: str | None = None,
        reply_to: int | None = None,
    ) -> SandboxMessage:
        """A user sends a picture (stored like the bot's: thumbnails plus the original)."""
        try:
            sizes = self.files.add_photo(data)
        except BotApiError as exc:
            raise SandboxError(f"Telegram would refuse this picture: {exc.description}") from None
        return await self._user_message(
            user_id,
            chat_id,
            reply_to,
            photo=sizes,
            caption=caption or None,
            caption_entities=user_entities(caption or ""),
        )

    async def user_edits(
        self, user_id: int, chat_id: int | None, message_id: int, text: str
    ) -> SandboxMessage:
        """A user edits their text message; the bot gets an `edited_message` update."""
        chat_id = user_id if chat_id is None else chat_id
        message = self.world.find_message(chat_id, message_id)
        if message is None or message.from_bot or message.from_id != user_id or message.text is None:
            raise SandboxError(f"user {user_id} has no text message {message_id} in chat {chat_id}")
        if not text.strip():
            raise SandboxError("a message needs some text")
        message.text, message.entities = text, user_entities(text)
        message.edit_date = int(self.now())
        if self._delivered(self.world.chats[chat_id], message):
            self.updates.push("edited_message", self.api.message_to_api(message))
        await asyncio.sleep(0)
        return message

    async def _user_message(
        self, user_id: int, chat_id: int | None, reply_to: int | None, **fields: Any
    ) -> SandboxMessage:
        chat_id = user_id if chat_id is None else chat_id
        if chat_id == user_id and user_id not in self.world.users:
            self.add_user(user_id)
        user = self.world.user(user_id)
        chat = self.world.chat(chat_id)
        if chat.type == "private":
            if chat_id != user_id:
                raise SandboxError(f"user {user_id} cannot write in the private chat of user {chat_id}")
            user.started_bot = True
            user.blocked_bot = False
        elif chat.members.get(user_id) not in _MEMBER:
            raise SandboxError(f"user {user_id} is not a member of chat {chat_id}")
        if reply_to is not None and self.world.find_message(chat_id, reply_to) is None:
            raise SandboxError(f"no message {reply_to} in chat {chat_id} to reply to")
        message = self.world.new_message(chat, user_id, False, reply_to_message_id=reply_to, **fields)
        if self._delivered(chat, message):
            self.updates.push("message", self.api.message_to_api(message))
        await asyncio.sleep(0)
        return message

    def _delivered(self, chat: SandboxChat, message: SandboxMessage) -> bool:
        """Whether the bot sees a message: always in private; in groups per privacy mode."""
        if chat.type == "private":
            return True
        if chat.bot_status not in _MEMBER:
            return False
        if not self.privacy_mode or chat.bot_status in ("administrator", "creator"):
            return True
        text = message.text or message.caption or ""
        if text.startswith("/"):
            command = text.split()[0]
            return "@" not in command or command.split("@", 1)[1].lower() == self.bot.username.lower()
        if f"@{self.bot.username.lower()}" in text.lower():
            return True
        if message.reply_to_message_id is not None:
            replied = self.world.find_message(chat.id, message.reply_to_message_id)
            return bool(replied and replied.from_bot)
        return False

    async def user_presses(
        self,
        user_id: int,
        message_id: int,
        callback_data: str,
        *,
        chat_id: int | None = None,
        check_button: bool = True,
    ) -> CallbackPress:
        """A user presses an inline button of the bot's message (chat_id defaults to their private chat).

        Returns at once; `await press.answered()` waits for the bot's answerCallbackQuery. With
        `check_button` the message must carry a button with exactly this callback_data.
        """
        chat_id = user_id if chat_id is None else chat_id
        user = self.world.user(user_id)
        chat = self.world.chat(chat_id)
        if chat.type == "private" and chat_id != user_id:
            raise SandboxError(f"user {user_id} cannot see the private chat of user {chat_id}")
        if chat.type != "private" and chat.members.get(user_id) not in _MEMBER:
            raise SandboxError(f"user {user_id} is not a member of chat {chat_id}")
        message = self.world.find_message(chat_id, message_id)
        if message is None or not message.from_bot:
            raise SandboxError(f"no bot message {message_id} in chat {chat_id}")
        if check_button and callback_data not in message.button_data():
            raise SandboxError(
                f"message {message_id} in chat {chat_id} has no button with callback_data {callback_data!r}"
                f" (it has {message.button_data()!r})"
            )
        press = CallbackPress(
            id=str(next(self._query_ids)),
            user_id=user_id,
            chat_id=chat_id,
            message_id=message_id,
            data=callback_data,
            pressed_at=asyncio.get_running_loop().time(),
        )
        self.world.presses[press.id] = press
        self.updates.push(
            "callback_query",
            {
                "id": press.id,
                "from": user.to_api(),
                "message": self.api.message_to_api(message),
                "chat_instance": self.api.chat_instance(chat_id),
                "data": callback_data,
            },
        )
        await asyncio.sleep(0)
        return press

    def history(self, chat_id: int) -> list[SandboxMessage]:
        """Every live message of the chat (users' and the bot's), oldest first, current state."""
        return sorted(
            (m for (cid, _), m in self.world.messages.items() if cid == chat_id and not m.deleted),
            key=lambda m: m.message_id,
        )

    def messages_for(self, chat_id: int) -> list[SandboxMessage]:
        """The bot's live messages in the chat, oldest first, as they look now (after edits)."""
        return [m for m in self.history(chat_id) if m.from_bot]

    def events(self, chat_id: int) -> list[ChatEvent]:
        """Everything the bot did in the chat (messages, edits, deletions), as snapshots, in order."""
        return self.world.log.events(chat_id)

    async def next_message(self, chat_id: int, timeout: float = 5.0) -> SandboxMessage:
        """The bot's next new message to the chat not yet returned here (messages are never missed)."""
        event = await self.world.log.next(chat_id, frozenset({"message"}), timeout, "message")
        return event.message

    async def next_edit(self, chat_id: int, timeout: float = 5.0) -> SandboxMessage:
        """The bot's next edit in the chat not yet returned here (the message as edited)."""
        event = await self.world.log.next(chat_id, frozenset({"edit"}), timeout, "edit")
        return event.message

    async def next_event(self, chat_id: int, timeout: float = 5.0) -> ChatEvent:
        """The next message, edit or deletion in the chat not yet returned here."""
        return await self.world.log.next(chat_id, frozenset({"message", "edit", "delete"}), timeout, "any")

    def pending_updates(self) -> list[PendingUpdate]:
        """Updates queued for the bot and not yet confirmed."""
        return self.updates.pending()

    def commands(self, language_code: str = "") -> list[dict[str, str]]:
        """The bot's default-scope commands (setMyCommands) for a language."""
        return list(self.api.commands.get(("default", language_code), []))

    def fail_next(self, method: str, error: BotApiError, times: int = 1) -> None:
        """Make the next `times` calls of `method` fail with `error` (e.g. `too_many_requests(3)`)."""
        self._failures.setdefault(method.lower(), []).extend([error] * times)


async def _read_params(request: web.Request) -> Params:
    values: dict[str, Any] = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.method == "POST" and request.can_read_body:
        ctype = request.content_type
        if ctype == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise BotApiError(400, "Bad Request: can't parse JSON request body") from None
            if not isinstance(body, dict):
                raise BotApiError(400, "Bad Request: JSON request body must be an object")
            values.update(body)
        elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[name] = Upload(value.file.read(), value.filename, value.content_type)
                else:
                    values[name] = value
    return Params(values, uploads)


def make_token(bot_id: int = 7_000_000_001) -> str:
    """A token in Telegram's shape for a sandbox bot (`<id>:<35 characters>`)."""
    import hashlib

    tail = hashlib.sha256(f"prokai-sandbox-{bot_id}".encode()).hexdigest()[:35]
    return f"{bot_id}:AA{tail[2:]}"
