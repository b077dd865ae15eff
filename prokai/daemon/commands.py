"""`prokai run`: the long-running process (scheduler, jobs and the admin bot)."""

from __future__ import annotations

import typer

from prokai.cliutil import EXIT_USAGE, database, fail, settings


def run(
    ctx: typer.Context,
    no_bot: bool = typer.Option(False, "--no-bot", help="Run without the admin bot (scheduler and workers only)."),
    sweep_now: bool = typer.Option(False, "--sweep-now", help="Start a sweep right away, besides the nightly one."),
    bot_api_url: str | None = typer.Option(None, "--bot-api-url", help="Bot API server root (default: review.bot_api_url)."),
) -> None:
    """Run the scheduler, the admin bot and the workers until SIGTERM/SIGINT."""
    import asyncio

    from prokai.config import ConfigError
    from prokai.daemon.service import Service
    from prokai.review.bot import bot_token

    st = settings(ctx)
    token = None
    if not no_bot:
        try:
            token = bot_token(st)
        except ConfigError as exc:
            fail(f"{exc} (or run with --no-bot)", EXIT_USAGE)
        if not st.review.reviewers:
            fail("review.reviewers is empty: nobody could use the bot (or run with --no-bot)", EXIT_USAGE)
    db = database(ctx)

    async def main() -> int:
        service = Service(st, db, bot=not no_bot, bot_token=token, bot_base_url=bot_api_url, sweep_now=sweep_now)
        service.install_signal_handlers()
        return await service.run()

    from telegram.error import TelegramError

    try:
        code = asyncio.run(main())
    except OSError as exc:  # e.g. the metrics port is taken
        fail(f"cannot start: {exc}", EXIT_USAGE)
    except TelegramError as exc:  # a wrong token, an unreachable Bot API server
        fail(f"cannot start the admin bot: {exc.message}", EXIT_USAGE)
    raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add `run` to the root CLI."""
    app.command("run")(run)
