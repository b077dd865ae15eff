"""Building and running the admin bot (python-telegram-bot 22, long polling).

For the demo and tests:

    async with running_bot(settings, db, token=server.token, base_url=server.url) as app:
        await notify_pending(app.bot, db, settings)
        ...

`base_url` is the Bot API server root (`http://127.0.0.1:8081`, the sandbox's `server.url`, or
`review.bot_api_url`); None means api.telegram.org.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram import BotCommand
from telegram.ext import Application, ApplicationBuilder

from prokai.config import ConfigError, Settings, load_secret
from prokai.ops.jobs import JobRunner
from prokai.ops.metrics import Metrics
from prokai.review.access import AllowList
from prokai.review.handlers import BotDeps, LanguagePrefs, flush_refusals, install
from prokai.store.db import Database

log = logging.getLogger("prokai.review.bot")

AnyApp = Application[Any, Any, Any, Any, Any, Any]

MENU = [
    ("pending", "Очередь / Queue"),
    ("search", "Поиск / Search"),
    ("shop", "Магазин / Shop"),
    ("links", "Связи / Links"),
    ("stats", "Статистика / Statistics"),
    ("export", "Экспорт / Export"),
    ("campaigns", "Кампании / Campaigns"),
    ("sweep", "Обход / Sweep"),
    ("lang", "Язык / Language"),
]


def bot_token(settings: Settings) -> str:
    """The bot token from PROKAI_BOT_TOKEN or `secrets.bot_token_file`; ConfigError if missing."""
    token = load_secret(settings, "bot_token")
    if not token:
        raise ConfigError("no bot token: set PROKAI_BOT_TOKEN or secrets.bot_token_file")
    return token


def build_application(
    settings: Settings,
    db: Database,
    token: str,
    base_url: str | None = None,
    runner: JobRunner | None = None,
    metrics: Metrics | None = None,
) -> AnyApp:
    """A configured PTB Application with every handler (not started)."""
    builder = ApplicationBuilder().token(token)
    root = (base_url or settings.review.bot_api_url or "").rstrip("/")
    if root:
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    app = builder.build()
    install(
        app,
        BotDeps(
            settings=settings,
            db=db,
            allow=AllowList.from_settings(settings),
            langs=LanguagePrefs(db, settings.review.language),
            runner=runner,
            metrics=metrics,
        ),
    )
    return app


@asynccontextmanager
async def running_bot(
    settings: Settings,
    db: Database,
    token: str | None = None,
    base_url: str | None = None,
    runner: JobRunner | None = None,
    metrics: Metrics | None = None,
    poll_interval: float = 0.0,
) -> AsyncIterator[AnyApp]:
    """Run the admin bot (long polling) for the duration of the block; stops polling cleanly.

    `token` defaults to the configured secret; `base_url` to `review.bot_api_url`.
    """
    app = build_application(settings, db, token or bot_token(settings), base_url, runner, metrics)
    async with app:
        try:
            await app.bot.set_my_commands([BotCommand(c, d) for c, d in MENU])
        except Exception as exc:  # the menu is a convenience; never fatal
            log.warning("could not set the bot's command menu: %s", exc)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=poll_interval, timeout=10, drop_pending_updates=False)
        log.info("admin bot polling as @%s", app.bot.username)
        try:
            yield app
        finally:
            await app.updater.stop()
            await app.stop()
            deps = app.bot_data.get("prokai")
            if isinstance(deps, BotDeps):
                flush_refusals(deps)  # a stranger's flood that ended with the process is audited too
