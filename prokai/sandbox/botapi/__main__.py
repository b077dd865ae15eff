"""`python -m prokai.sandbox.botapi [--host H] [--port P] [--token T] [--user ID:NAME ...] [--group ID:TITLE]`.

Runs the Bot API sandbox on its own until Ctrl-C (`prokai sandbox up` runs it with the rest of
the sandbox). Prints the URLs to give python-telegram-bot and the token.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib

from prokai.sandbox.botapi.server import BotApiServer, make_token


def _pair(text: str) -> tuple[int, str]:
    ident, _, name = text.partition(":")
    try:
        return int(ident), name
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected ID:NAME, got {text!r}") from None


async def _serve(args: argparse.Namespace) -> None:
    server = BotApiServer(args.host, args.port, args.token)
    for user_id, name in args.user:
        server.add_user(user_id, name or None, started=True)
    if args.group:
        chat_id, title = args.group
        server.add_group(chat_id, title or "Admin chat", members=[u for u, _ in args.user])
    await server.start()
    print(f"Bot API sandbox: {server.url}")
    print(f"  token:          {server.token}")
    print(f"  base_url:       {server.base_url}")
    print(f"  base_file_url:  {server.base_file_url}")
    print(f"  try:            prokai sandbox bot-send /start --user 1001 --url {server.url}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await server.stop()


def main() -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m prokai.sandbox.botapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--token", default=make_token())
    parser.add_argument("--user", type=_pair, action="append", default=[], help="ID:NAME, may repeat")
    parser.add_argument("--group", type=_pair, help="CHAT_ID:TITLE (negative id) with all --user members")
    args = parser.parse_args()
    try:
        asyncio.run(_serve(args))
    except ValueError as exc:
        raise SystemExit(f"error: {exc}") from None
    except OSError as exc:
        raise SystemExit(f"error: cannot listen on {args.host}:{args.port}: {exc}") from None
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
