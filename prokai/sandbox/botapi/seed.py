"""Fill a Bot API sandbox from the configuration: the reviewers and the admin chat."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from prokai.config import Settings
    from prokai.sandbox.botapi.server import BotApiServer

ADMIN_CHAT_TITLE = "ProkAi admin chat"


def seed_from_settings(server: BotApiServer, settings: Settings) -> None:
    """Add every configured reviewer as a user who has started the bot, and the admin chat.

    `review.admin_chat_id` (a negative id) becomes a supergroup with all reviewers in it (admins
    of the bot's product are group administrators too) and the bot as an administrator.
    """
    reviewers = settings.review.reviewers
    for reviewer in reviewers:
        server.add_user(reviewer.telegram_id, reviewer.name, started=True)
    chat_id = settings.review.admin_chat_id
    if chat_id is not None and chat_id < 0 and chat_id not in server.world.chats:
        server.add_group(
            chat_id,
            ADMIN_CHAT_TITLE,
            members=[r.telegram_id for r in reviewers],
            admins=[r.telegram_id for r in reviewers if r.role == "admin"],
        )
