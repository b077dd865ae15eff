"""`prokai bot …`: one-shot admin-bot tasks (the long-running `prokai run` is `prokai.daemon`)."""

from __future__ import annotations

import typer

from prokai.cliutil import EXIT_USAGE, database, fail, settings

bot_app = typer.Typer(help="The prosecutors' admin bot: one-shot tasks.", no_args_is_help=True)


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
    """Add `bot` to the root CLI."""
    app.add_typer(bot_app, name="bot")
