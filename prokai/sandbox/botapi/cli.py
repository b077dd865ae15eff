"""`prokai sandbox bot-send | bot-press | bot-inbox`: play a sandbox user against a running Bot API sandbox.

They talk HTTP to the `/_sandbox/` control endpoints of a running `BotApiServer` (started by
`prokai sandbox up`). The server is found from `--url`, else `PROKAI_SANDBOX_BOT_URL`, else
`sandbox.host` + `sandbox.bot_api_port` of the configuration, else `review.bot_api_url`.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import typer

URL_ENV = "PROKAI_SANDBOX_BOT_URL"
EXIT_FAILURE = 1
EXIT_USAGE = 2


def _fail(message: str, code: int = EXIT_FAILURE) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


def _server_url(ctx: typer.Context, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    if os.environ.get(URL_ENV):
        return os.environ[URL_ENV].rstrip("/")
    conf: Any = getattr(ctx.find_root().obj, "settings", None)  # prokai's AppState, when run under `prokai`
    if conf is not None:
        if conf.sandbox.bot_api_port:
            return f"http://{conf.sandbox.host}:{conf.sandbox.bot_api_port}"
        if conf.review.bot_api_url:
            base = conf.review.bot_api_url.rstrip("/")
            return base[: -len("/bot")] if base.endswith("/bot") else base
    raise _fail(
        f"no Bot API sandbox URL: pass --url, set {URL_ENV}, or set sandbox.bot_api_port in the config",
        EXIT_USAGE,
    )


def _call(
    base: str, path: str, payload: dict[str, Any] | None = None, timeout: float = 30.0
) -> dict[str, Any]:
    data = json.dumps(payload).encode() if payload is not None else None
    request = urllib.request.Request(
        base + path, data=data, headers={"Content-Type": "application/json"} if data else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        try:
            reason = json.loads(exc.read()).get("error") or exc.reason
        except ValueError:
            reason = exc.reason
        raise _fail(f"sandbox refused: {reason}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise _fail(f"cannot reach the Bot API sandbox at {base}: {reason}") from None
    except ValueError:
        raise _fail(f"{base}{path} did not answer JSON; is it a ProkAi Bot API sandbox?") from None
    if not isinstance(body, dict) or not body.get("ok"):
        raise _fail(f"sandbox refused: {body.get('error') if isinstance(body, dict) else body}")
    return body


def _show(base: str, message: dict[str, Any]) -> None:
    when = datetime.fromtimestamp(message["date"], UTC).strftime("%Y-%m-%d %H:%M:%S")
    sender = "bot" if message["from"] == "bot" else f"user {message['from']}"
    edited = " (edited)" if message.get("edit_date") else ""
    reply = f" ↩{message['reply_to']}" if message.get("reply_to") else ""
    typer.echo(f"#{message['message_id']} {sender} {when}{edited}{reply}")
    for line in (message.get("text") or message.get("caption") or "").splitlines():
        typer.echo(f"    {line}")
    doc = message.get("document")
    if doc:
        typer.echo(
            f"    [document] {doc['file_name']} ({doc['mime_type']}, {doc['size']} bytes) {base}{doc['url']}"
        )
    photo = message.get("photo")
    if photo:
        typer.echo(
            f"    [photo] {photo['width']}x{photo['height']}, {photo['size']} bytes {base}{photo['url']}"
        )
    for row in message.get("buttons", []):
        cells = [
            f"[{b['text']} → {b['callback_data']}]"
            if "callback_data" in b
            else f"[{b['text']} ↗ {b.get('url', '')}]"
            for b in row
        ]
        typer.echo("    " + " ".join(cells))


URL_OPTION = typer.Option(None, "--url", help=f"Sandbox server URL (default: ${URL_ENV} or the config).")


def bot_send(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="What the user writes (e.g. /start)."),
    user: int = typer.Option(..., "--user", "-u", help="Sandbox user id (created if new)."),
    chat: int | None = typer.Option(
        None, "--chat", "-c", help="Group chat id (default: the user's private chat)."
    ),
    reply_to: int | None = typer.Option(None, "--reply-to", help="Message id the user replies to."),
    name: str | None = typer.Option(None, "--name", help="First name for a new user."),
    url: str | None = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the stored message as JSON."),
) -> None:
    """A sandbox user writes to the bot."""
    base = _server_url(ctx, url)
    payload: dict[str, Any] = {"user_id": user, "chat_id": chat, "text": text, "reply_to": reply_to}
    if name:
        payload["first_name"] = name
    message = _call(base, "/_sandbox/send", payload)["message"]
    if as_json:
        typer.echo(json.dumps(message, ensure_ascii=False))
    else:
        typer.echo(f"sent #{message['message_id']} to chat {message['chat_id']}")


def bot_press(
    ctx: typer.Context,
    data: str = typer.Argument(..., help="The button's callback_data."),
    user: int = typer.Option(..., "--user", "-u", help="Sandbox user id."),
    message: int | None = typer.Option(
        None, "--message", "-m", help="Message id (default: the bot's latest message with this button)."
    ),
    chat: int | None = typer.Option(
        None, "--chat", "-c", help="Group chat id (default: the user's private chat)."
    ),
    wait: float = typer.Option(5.0, "--wait", help="Seconds to wait for the bot's answer."),
    url: str | None = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """A sandbox user presses an inline button; prints what the bot answered."""
    base = _server_url(ctx, url)
    chat_id = user if chat is None else chat
    if message is None:
        query = urllib.parse.urlencode({"chat_id": chat_id})
        messages = _call(base, f"/_sandbox/inbox?{query}")["messages"]
        with_button = [
            m
            for m in messages
            if any(b.get("callback_data") == data for row in m.get("buttons", []) for b in row)
        ]
        if not with_button:
            raise _fail(f"no bot message in chat {chat_id} has a button with callback_data {data!r}")
        message = with_button[-1]["message_id"]
    result = _call(
        base,
        "/_sandbox/press",
        {"user_id": user, "chat_id": chat_id, "message_id": message, "data": data, "wait": wait},
        timeout=wait + 30,
    )
    if as_json:
        typer.echo(json.dumps(result | {"message_id": message}, ensure_ascii=False))
        return
    answer = result.get("answer")
    if answer is None:
        typer.echo(f"pressed {data!r} on #{message}; the bot did not answer within {wait:g} s")
    else:
        shown = answer.get("text") or "(no text)"
        typer.echo(
            f"pressed {data!r} on #{message}; bot answered{' (alert)' if answer.get('show_alert') else ''}: {shown}"
        )


def bot_inbox(
    ctx: typer.Context,
    user: int | None = typer.Option(None, "--user", "-u", help="Show this user's private chat."),
    chat: int | None = typer.Option(None, "--chat", "-c", help="Show this chat (a group id)."),
    after: int = typer.Option(0, "--after", help="Only messages with a greater id."),
    wait: float = typer.Option(0.0, "--wait", help="Wait up to this many seconds for a new message."),
    show_all: bool = typer.Option(False, "--all", help="Include the users' own messages."),
    save: Path | None = typer.Option(None, "--save", help="Save documents and photos into this folder."),
    url: str | None = URL_OPTION,
    as_json: bool = typer.Option(False, "--json", help="One JSON object per message."),
) -> None:
    """What the bot sent to a chat (current state, after edits), with buttons and files."""
    if (user is None) == (chat is None):
        raise _fail("give exactly one of --user or --chat", EXIT_USAGE)
    base = _server_url(ctx, url)
    chat_id = chat if chat is not None else user
    query = {"chat_id": chat_id, "after": after, "wait": wait, "all": int(show_all)}
    messages = _call(base, f"/_sandbox/inbox?{urllib.parse.urlencode(query)}", timeout=wait + 30)["messages"]
    for message in messages:
        if save is not None:
            _save_files(base, message, save)
        if as_json:
            typer.echo(json.dumps(message, ensure_ascii=False))
        else:
            _show(base, message)
    if not messages and not as_json:
        typer.echo(f"no messages in chat {chat_id}" + (f" after #{after}" if after else ""))


def _save_files(base: str, message: dict[str, Any], folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for kind in ("document", "photo"):
        item = message.get(kind)
        if not item:
            continue
        name = item.get("file_name") or Path(item.get("file_path") or f"{kind}.bin").name
        target = folder / f"{message['chat_id']}_{message['message_id']}_{Path(name).name}"
        try:
            with urllib.request.urlopen(base + item["url"], timeout=30) as response:
                target.write_bytes(response.read())
        except (urllib.error.URLError, OSError) as exc:
            raise _fail(f"cannot download {item['url']}: {exc}") from None
        item["saved_to"] = str(target)
        typer.echo(f"saved {target}", err=True)


def register_bot_commands(sandbox_app: typer.Typer) -> None:
    """Add `bot-send`, `bot-press` and `bot-inbox` to the `prokai sandbox` command group."""
    sandbox_app.command("bot-send")(bot_send)
    sandbox_app.command("bot-press")(bot_press)
    sandbox_app.command("bot-inbox")(bot_inbox)
