"""The simulated side of the Bot API: users, chats, messages, button presses and what users saw."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from prokai.sandbox.botapi.errors import SandboxError
from prokai.sandbox.botapi.files import StoredFile

ChatType = Literal["private", "group", "supergroup"]
MemberStatus = Literal["creator", "administrator", "member", "left", "kicked"]


@dataclass
class SandboxUser:
    """A simulated Telegram user (a prosecutor, an operator, a stranger)."""

    id: int
    first_name: str
    last_name: str | None = None
    username: str | None = None
    language_code: str | None = None
    started_bot: bool = False  # has written to the bot in private (so the bot may write back)
    blocked_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """As a Bot API User."""
        out: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            out["last_name"] = self.last_name
        if self.username:
            out["username"] = self.username
        if self.language_code:
            out["language_code"] = self.language_code
        return out


@dataclass
class SandboxChat:
    """A private chat (id = the user's id) or a group the bot is in."""

    id: int
    type: ChatType
    title: str | None = None
    username: str | None = None
    members: dict[int, MemberStatus] = field(default_factory=dict)
    bot_status: MemberStatus = "member"
    next_message_id: int = 1

    def to_api(self, users: dict[int, SandboxUser]) -> dict[str, Any]:
        """As a Bot API Chat."""
        out: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private":
            user = users[self.id]
            out["first_name"] = user.first_name
            if user.last_name:
                out["last_name"] = user.last_name
            if user.username:
                out["username"] = user.username
        else:
            out["title"] = self.title or ""
            if self.username:
                out["username"] = self.username
        return out


@dataclass
class SandboxMessage:
    """A message in a sandbox chat, from a user or from the bot, in its current state."""

    chat_id: int
    message_id: int
    from_id: int
    from_bot: bool
    date: int
    text: str | None = None
    entities: list[dict[str, Any]] = field(default_factory=list)
    caption: str | None = None
    caption_entities: list[dict[str, Any]] = field(default_factory=list)
    photo: list[StoredFile] = field(default_factory=list)
    document: StoredFile | None = None
    reply_markup: dict[str, Any] | None = None
    reply_to_message_id: int | None = None
    media_group_id: str | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def data(self) -> bytes | None:
        """The bytes of the document, or of the largest photo size; None for text."""
        if self.document is not None:
            return self.document.data
        if self.photo:
            return self.photo[-1].data
        return None

    @property
    def file_name(self) -> str | None:
        """The document's file name, if any."""
        return self.document.file_name if self.document else None

    @property
    def buttons(self) -> list[list[dict[str, Any]]]:
        """The inline keyboard rows (Bot API InlineKeyboardButton objects), or []."""
        if not self.reply_markup:
            return []
        return [list(row) for row in self.reply_markup.get("inline_keyboard", [])]

    def button_data(self) -> list[str]:
        """Every callback_data on this message's inline keyboard, row by row."""
        return [b["callback_data"] for row in self.buttons for b in row if "callback_data" in b]

    def snapshot(self) -> SandboxMessage:
        """A copy that later edits do not change."""
        return replace(
            self,
            entities=list(self.entities),
            caption_entities=list(self.caption_entities),
            photo=list(self.photo),
        )


@dataclass(frozen=True)
class ChatEvent:
    """Something the bot did in a chat, as the chat's users see it."""

    kind: Literal["message", "edit", "delete"]
    message: SandboxMessage


@dataclass(frozen=True)
class CallbackAnswer:
    """What the user saw after pressing a button: the bot's answerCallbackQuery."""

    text: str | None
    show_alert: bool
    url: str | None


@dataclass
class CallbackPress:
    """A press on an inline button; `await press.answered()` gives the bot's answer."""

    id: str
    user_id: int
    chat_id: int
    message_id: int
    data: str
    pressed_at: float  # event-loop (monotonic) time of the press
    answer: CallbackAnswer | None = None
    _done: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    async def answered(self, timeout: float = 5.0) -> CallbackAnswer:
        """Wait for the bot's answerCallbackQuery; TimeoutError if it does not come in `timeout` s."""
        await asyncio.wait_for(self._done.wait(), timeout)
        assert self.answer is not None
        return self.answer

    def set_answer(self, answer: CallbackAnswer) -> None:
        """Record the bot's answer and wake whoever waits for it."""
        self.answer = answer
        self._done.set()


class ChatLog:
    """Per-chat event logs with consumer cursors, so a waiter never misses an earlier event."""

    def __init__(self) -> None:
        self._events: dict[int, list[ChatEvent]] = {}
        self._cursors: dict[tuple[int, str], int] = {}
        self._changed = asyncio.Event()

    def record(
        self, chat_id: int, kind: Literal["message", "edit", "delete"], message: SandboxMessage
    ) -> None:
        """Append an event for `chat_id` and wake waiters."""
        self._events.setdefault(chat_id, []).append(ChatEvent(kind, message.snapshot()))
        self._changed.set()
        self._changed = asyncio.Event()

    def events(self, chat_id: int) -> list[ChatEvent]:
        """All events of the chat so far."""
        return list(self._events.get(chat_id, []))

    async def wait_changed(self, timeout: float) -> bool:
        """Wait until any chat gets a new event; False if `timeout` s pass first."""
        try:
            await asyncio.wait_for(self._changed.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def next(self, chat_id: int, kinds: frozenset[str], timeout: float, cursor: str) -> ChatEvent:
        """The first event of one of `kinds` after this cursor's position; advances the cursor."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        key = (chat_id, cursor)
        while True:
            events = self._events.get(chat_id, [])
            pos = self._cursors.get(key, 0)
            while pos < len(events):
                event = events[pos]
                pos += 1
                if event.kind in kinds:
                    self._cursors[key] = pos
                    return event
            self._cursors[key] = pos
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"the bot sent no {'/'.join(sorted(kinds))} to chat {chat_id} in {timeout} s"
                )
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                raise TimeoutError(
                    f"the bot sent no {'/'.join(sorted(kinds))} to chat {chat_id} in {timeout} s"
                ) from None


class World:
    """Users, chats and messages of one sandbox."""

    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self.users: dict[int, SandboxUser] = {}
        self.chats: dict[int, SandboxChat] = {}
        self.messages: dict[tuple[int, int], SandboxMessage] = {}
        self.presses: dict[str, CallbackPress] = {}
        self.log = ChatLog()

    def add_user(self, user: SandboxUser) -> SandboxUser:
        """Register a user (and their private chat with the bot)."""
        if user.id <= 0:
            raise SandboxError(f"user ids are positive, got {user.id}")
        self.users[user.id] = user
        self.chats.setdefault(user.id, SandboxChat(id=user.id, type="private"))
        return user

    def user(self, user_id: int) -> SandboxUser:
        """The user, or SandboxError."""
        try:
            return self.users[user_id]
        except KeyError:
            raise SandboxError(f"no sandbox user {user_id}") from None

    def chat(self, chat_id: int) -> SandboxChat:
        """The chat, or SandboxError."""
        try:
            return self.chats[chat_id]
        except KeyError:
            raise SandboxError(f"no sandbox chat {chat_id}") from None

    def new_message(self, chat: SandboxChat, from_id: int, from_bot: bool, **fields: Any) -> SandboxMessage:
        """Create and store the next message of `chat`."""
        message = SandboxMessage(chat.id, chat.next_message_id, from_id, from_bot, int(self.now()), **fields)
        chat.next_message_id += 1
        self.messages[(chat.id, message.message_id)] = message
        return message

    def find_message(self, chat_id: int, message_id: int) -> SandboxMessage | None:
        """A live (not deleted) message, or None."""
        message = self.messages.get((chat_id, message_id))
        return None if message is None or message.deleted else message
