"""`prokai run` (the long-running process) and `prokai bot …` (one-shot admin-bot tasks)."""

from __future__ import annotations

import typer

from prokai.cliutil import EXIT_USAGE, database, fail, settings

bot_app = typer.Typer(help="The prosecutors' admin bot: one-shot tasks.", no_args_is_help=True)


def run(
    ctx: typer.Context,
    no_bot: bool = typer.Option(False, "--no-bot", help="Run without the admin bot (scheduler and workers only)."),
    sweep_now: bool = typer.Option(False, "--sweep-now", help="Start a sweep right away, besides the nightly one."),
    bot_api_url: str | None = typer.Option(None, "--bot-api-url", help="Bot API server root (default: review.bot_api_url)."),
) -> None:
    """Run the scheduler, the admin bot and the workers until SIGTERM/SIGINT."""
    import asyncio

    from prokai.config import ConfigError
    from prokai.review.bot import bot_token
    from prokai.review.service import Service

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


@bot_app.command("notify")
def notify(
    ctx: typer.Context,
    bot_api_url: str | None = typer.Option(None, "--bot-api-url", help="Bot API server root (default: review.bot_api_url)."),
    limit: int = typer.Option(50, "--limit", min=1, help="At most this many notifications."),
) -> None:
    """Send the notifications for new pending requisites once, then exit."""
    import asyncio

    from telegram import Bot

    from prokai.config import ConfigError
    from prokai.review.bot import bot_token
    from prokai.review.notify import notify_pending

    st = settings(ctx)
    try:
        token = bot_token(st)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    db = database(ctx)
    root = (bot_api_url or st.review.bot_api_url or "").rstrip("/")

    async def main() -> int:
        base = f"{root}/bot" if root else "https://api.telegram.org/bot"
        files = f"{root}/file/bot" if root else "https://api.telegram.org/file/bot"
        async with Bot(token, base_url=base, base_file_url=files) as bot:
            return await notify_pending(bot, db, st, limit=limit)

    sent = asyncio.run(main())
    typer.echo(f"notified {sent} requisite(s)")


@bot_app.command("reviewers")
def reviewers(ctx: typer.Context) -> None:
    """List the allow-listed reviewers and their roles."""
    st = settings(ctx)
    if not st.review.reviewers:
        typer.echo("no reviewers configured (review.reviewers)")
        return
    for r in st.review.reviewers:
        typer.echo(f"{r.telegram_id}\t{r.role}\t{r.name}")


def register(app: typer.Typer) -> None:
    """Add `run` and `bot` to the root CLI."""
    app.command("run")(run)
    app.add_typer(bot_app, name="bot")
