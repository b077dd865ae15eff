"""A local Telegram Bot API server for the admin bot, with simulated users and chats.

See README.md in this folder. The public surface:

    from prokai.sandbox.botapi import BotApiServer, make_token
"""

from prokai.sandbox.botapi.errors import BotApiError, SandboxError, bad_request, forbidden, too_many_requests
from prokai.sandbox.botapi.server import BotApiServer, make_token
from prokai.sandbox.botapi.world import (
    CallbackAnswer,
    CallbackPress,
    ChatEvent,
    SandboxChat,
    SandboxMessage,
    SandboxUser,
)

__all__ = [
    "BotApiError",
    "BotApiServer",
    "CallbackAnswer",
    "CallbackPress",
    "ChatEvent",
    "SandboxChat",
    "SandboxError",
    "SandboxMessage",
    "SandboxUser",
    "bad_request",
    "forbidden",
    "make_token",
    "too_many_requests",
]
