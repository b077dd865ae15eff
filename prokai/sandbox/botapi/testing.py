"""Helpers for running a python-telegram-bot Application against a `BotApiServer` in tests and demos."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from telegram.ext import Application, ApplicationBuilder

from prokai.sandbox.botapi.server import BotApiServer


def application_builder(server: BotApiServer) -> ApplicationBuilder[Any, Any, Any, Any, Any, Any]:
    """An ApplicationBuilder with the server's token, base_url and base_file_url already set."""
    return (
        ApplicationBuilder().token(server.token).base_url(server.base_url).base_file_url(server.base_file_url)
    )


@asynccontextmanager
async def polling(
    application: Application[Any, Any, Any, Any, Any, Any], *, timeout: int = 1
) -> AsyncIterator[Application[Any, Any, Any, Any, Any, Any]]:
    """Initialize, start and poll `application` (as `run_polling` would, without signals); stop on exit.

    `post_init`, `post_stop` and `post_shutdown` hooks run as under `run_polling`.
    """
    await application.initialize()
    try:
        if application.post_init is not None:
            await application.post_init(application)
        assert application.updater is not None, "build the application with an Updater"
        await application.updater.start_polling(poll_interval=0.0, timeout=timeout)
        await application.start()
        try:
            yield application
        finally:
            if application.updater.running:
                await application.updater.stop()
            if application.running:
                await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
    finally:
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)
