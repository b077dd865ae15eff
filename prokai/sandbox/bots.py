"""How a bot lives in the sandbox world: the `Bot` interface and the handle it answers through.

A bot is a user with `is_bot=True` plus a Python object implementing `Bot`. The world calls
`on_message` for every message a user sends to the bot, and `on_callback` when a user presses
one of its inline buttons (`messages.getBotCallbackAnswer`). The bot answers through the
`BotChat` it is given: `send` (text, inline keyboard, image), `edit` (text and/or keyboard of one
of its messages, in place) and `sleep` (sandbox time). Part 2's shop scenarios implement `Bot`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from prokai.sandbox.world import World


@dataclass(frozen=True)
class Button:
    """One inline button: a callback button (`data`) or a URL button (`url`).

    `reply=True` makes it a reply-keyboard button instead (shown under the input field; pressing
    it sends its text as an ordinary message). A keyboard with any reply button is sent as a
    reply keyboard.
    """

    text: str
    data: bytes | None = None
    url: str | None = None
    reply: bool = False

    @classmethod
    def callback(cls, text: str, data: bytes | str) -> Button:
        """A button that sends `data` back to the bot when pressed."""
        return cls(text=text, data=data.encode() if isinstance(data, str) else data)

    @classmethod
    def link(cls, text: str, url: str) -> Button:
        """A button that opens `url` (the product records it, never opens it)."""
        return cls(text=text, url=url)

    @classmethod
    def key(cls, text: str) -> Button:
        """A reply-keyboard button: pressing it sends `text` as a message."""
        return cls(text=text, reply=True)


Keyboard = Sequence[Sequence[Button]]


@dataclass(frozen=True)
class Image:
    """An image a bot sends: encoded bytes (JPEG or PNG) and its pixel size."""

    data: bytes
    width: int
    height: int
    mime_type: str = "image/jpeg"


@dataclass(frozen=True)
class IncomingMessage:
    """A message a user sent to the bot; `message_id` is the id in the bot's own message box."""

    message_id: int
    user_id: int
    text: str
    date: int


@dataclass(frozen=True)
class CallbackQuery:
    """A press of an inline callback button under the bot's message `message_id`."""

    query_id: int
    user_id: int
    message_id: int
    data: bytes


@dataclass(frozen=True)
class CallbackAnswer:
    """What the user's client shows after a press (`None` text = a silent answer)."""

    text: str | None = None
    alert: bool = False
    url: str | None = None


class Bot(Protocol):
    """The behaviour of a sandbox bot. Both hooks run in the server's event loop."""

    async def on_message(self, chat: BotChat, message: IncomingMessage) -> None:
        """A user wrote to the bot. Reply with `chat.send(...)`."""

    async def on_callback(self, chat: BotChat, query: CallbackQuery) -> CallbackAnswer | None:
        """A user pressed a callback button. Return the answer; take too long and the user's
        client gets BOT_RESPONSE_TIMEOUT (the world's `bot_response_timeout`, sandbox time)."""


class BotChat:
    """The private chat between one bot and one user, seen from the bot's side."""

    def __init__(self, world: World, bot_id: int, user_id: int) -> None:
        self.world = world
        self.bot_id = bot_id
        self.user_id = user_id

    async def send(
        self, text: str = "", buttons: Keyboard | None = None, image: Image | None = None,
        links: Sequence[tuple[str, str]] = (),
    ) -> int:
        """Send a message (optionally with an inline keyboard and/or an image); returns its id.
        `links`: (word, url) pairs hidden under words of `text` as text_url entities."""
        return self.world.send_private(self.bot_id, self.user_id, text, buttons=buttons, image=image, links=links)

    async def edit(self, message_id: int, text: str | None = None, buttons: Keyboard | None = None) -> None:
        """Edit one of the bot's messages in this chat in place (the user sees UpdateEditMessage)."""
        self.world.edit_private(self.bot_id, message_id, text=text, buttons=buttons)

    async def sleep(self, seconds: float) -> None:
        """Wait in sandbox time (tests fast-forward it)."""
        await self.world.clock.sleep(seconds)

    def history(self, limit: int = 20) -> list[tuple[int, bool, str]]:
        """The latest messages of this chat as (id, sent_by_bot, text), newest first."""
        return self.world.chat_history(self.bot_id, self.user_id, limit)
