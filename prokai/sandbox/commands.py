"""`prokai sandbox …`: run the local Telegram world and play in it by hand.

`up` serves the MTProto server (and the Bot API server) and prints how to connect; `send`,
`press`, `messages`, `inspect`, `advance`, `fault`, `down`, `reset` talk to the running sandbox
through its control socket.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from prokai.cliutil import EXIT_USAGE, fail, settings

sandbox_app = typer.Typer(
    help="The local Telegram sandbox: MTProto server for stock Telethon, Bot API server, demo world.",
    no_args_is_help=True,
)

CONTROL_HELP = "Control socket of the running sandbox (default: sandbox.control_socket or <data_dir>/sandbox.sock)."


def _control_path(ctx: typer.Context, control: Path | None) -> str:
    if control is not None:
        return str(control)
    conf = settings(ctx)
    if conf.sandbox.control_socket is not None:
        return str(conf.sandbox.control_socket)
    return str(conf.data_dir / "sandbox.sock")


def _ask(ctx: typer.Context, control: Path | None, payload: dict[str, Any]) -> dict[str, Any]:
    from prokai.sandbox.control import ControlError, request

    try:
        resp = request(_control_path(ctx, control), payload)
    except ControlError as exc:
        fail(str(exc))
    resp.pop("ok", None)
    return resp


def _print(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=None, default=str))


@sandbox_app.command("up")
def up(
    ctx: typer.Context,
    host: str | None = typer.Option(None, help="Listen address (default: sandbox.host)."),
    port: int | None = typer.Option(None, help="MTProto port (default: sandbox.mtproto_port; 0 = any free)."),
    bot_api_port: int | None = typer.Option(None, help="Bot API port (default: sandbox.bot_api_port; 0 = any)."),
    no_bot_api: bool = typer.Option(False, "--no-bot-api", help="Do not start the Bot API server."),
    control: Path | None = typer.Option(None, help=CONTROL_HELP),
    simbox_control: Path | None = typer.Option(
        None, help="Deliver SMS login codes through a SimBox emulator's control socket (python -m simbox emulate)."
    ),
    world_factory: str = typer.Option(
        "prokai.sandbox.demo:demo_world", "--world", help="module:function building the World (clock=, sms=)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print the connection details as one JSON line."),
    state: Path | None = typer.Option(
        None, help="Keep auth keys in this file across restarts, so stored sessions stay logged in."
    ),
    limits: bool = typer.Option(
        False, "--limits", help="Apply Telegram's flood limits, PEER_FLOOD and join limits (prokai.sandbox.limits)."
    ),
    latency_ms: float = typer.Option(
        0.0, "--latency-ms", help="Answer each RPC after a log-normal delay with this median (0 = at once)."
    ),
) -> None:
    """Run the sandbox until Ctrl-C and print how to connect to it."""
    import asyncio

    from prokai.sandbox.runner import RunOptions, UpError, run_sandbox

    conf = settings(ctx)
    opts = RunOptions(
        host=host or conf.sandbox.host,
        port=conf.sandbox.mtproto_port if port is None else port,
        bot_api_port=None if no_bot_api else (conf.sandbox.bot_api_port if bot_api_port is None else bot_api_port),
        control_path=_control_path(ctx, control),
        simbox_control=str(simbox_control) if simbox_control else None,
        world_factory=world_factory,
        json_out=json_out,
        settings=conf,
        state_path=str(state) if state else None,
        limits=limits,
        latency_ms=latency_ms,
    )
    if opts.port < 0 or opts.port > 65535:
        fail(f"--port must be 0..65535, got {opts.port}", EXIT_USAGE)
    if not 0 <= latency_ms <= 10_000:
        fail(f"--latency-ms must be 0..10000, got {latency_ms:g}", EXIT_USAGE)
    try:
        asyncio.run(run_sandbox(opts))
    except UpError as exc:
        fail(str(exc), EXIT_USAGE)
    except KeyboardInterrupt:  # pragma: no cover - interactive
        pass


@sandbox_app.command("send")
def send(
    ctx: typer.Context,
    text: str = typer.Argument(..., help="Message text."),
    as_: str = typer.Option(..., "--as", help="Sender: +phone, @username or id of a sandbox user."),
    to: str = typer.Option(..., "--to", help="Recipient user/bot (or a channel: posts there)."),
    control: Path | None = typer.Option(None, help=CONTROL_HELP),
) -> None:
    """Send a message as a sandbox user (connected clients receive it live)."""
    _print(_ask(ctx, control, {"op": "send", "as": as_, "to": to, "text": text}))


@sandbox_app.command("press")
def press(
    ctx: typer.Context,
    button: str = typer.Argument(..., help="Button text or callback data."),
    as_: str = typer.Option(..., "--as", help="The user pressing (+phone, @username or id)."),
    chat: str = typer.Option(..., "--chat", help="The bot whose message has the button."),
    message_id: int | None = typer.Option(None, help="Message id (default: the latest with buttons)."),
    control: Path | None = typer.Option(None, help=CONTROL_HELP),
) -> None:
    """Press an inline button of a bot's message as a sandbox user (URL buttons are only shown)."""
    payload: dict[str, Any] = {"op": "press", "as": as_, "chat": chat, "button": button}
    if message_id is not None:
        payload["message_id"] = message_id
    _print(_ask(ctx, control, payload))


@sandbox_app.command("messages")
def messages(
    ctx: typer.Context,
    as_: str = typer.Option(..., "--as", help="Whose view (+phone, @username or id)."),
    peer: str = typer.Option(..., "--peer", help="The other user/bot or a channel."),
    limit: int = typer.Option(10, min=1, max=1000, help="How many, newest first."),
    control: Path | None = typer.Option(None, help=CONTROL_HELP),
) -> None:
    """Show the latest messages of one chat, one JSON line each."""
    resp = _ask(ctx, control, {"op": "messages", "as": as_, "peer": peer, "limit": limit})
    for msg in resp["messages"]:
        _print(msg)


@sandbox_app.command("inspect")
def inspect(ctx: typer.Context, control: Path | None = typer.Option(None, help=CONTROL_HELP)) -> None:
    """Print the world: accounts, bots, channels, keys, faults, server counters (JSON)."""
    typer.echo(json.dumps(_ask(ctx, control, {"op": "inspect"}), ensure_ascii=False, indent=2, default=str))


@sandbox_app.command("advance")
def advance(
    ctx: typer.Context,
    seconds: float = typer.Argument(..., min=0, help="Seconds to fast-forward the sandbox clock."),
    control: Path | None = typer.Option(None, help=CONTROL_HELP),
) -> None:
    """Fast-forward the sandbox clock (flood waits, code expiry, outages, bot delays)."""
    _print(_ask(ctx, control, {"op": "advance", "seconds": seconds}))


@sandbox_app.command("fault")
def fault(
    ctx: typer.Context,
    error: str = typer.Argument(..., help="FLOOD_WAIT_X, PEER_FLOOD, USER_DEACTIVATED_BAN, AUTH_KEY_DUPLICATED, ..."),
    as_: str | None = typer.Option(None, "--as", help="Only for this account (default: everyone)."),
    method: str | None = typer.Option(None, help="Only this method, e.g. messages.SendMessage."),
    times: int = typer.Option(1, min=1, help="How many calls fail (FLOOD_WAIT: a time window instead)."),
    control: Path | None = typer.Option(None, help=CONTROL_HELP),
) -> None:
    """Inject an RPC error into the running sandbox."""
    _print(_ask(ctx, control, {"op": "fault", "error": error, "as": as_, "method": method, "times": times}))


@sandbox_app.command("down")
def down(
    ctx: typer.Context,
    seconds: float = typer.Argument(70.0, min=0, help="Sandbox seconds to stay down."),
    control: Path | None = typer.Option(None, help=CONTROL_HELP),
) -> None:
    """Take the MTProto server down (connections dropped and refused) for a while."""
    _print(_ask(ctx, control, {"op": "down", "seconds": seconds}))


@sandbox_app.command("reset")
def reset(ctx: typer.Context, control: Path | None = typer.Option(None, help=CONTROL_HELP)) -> None:
    """Reset every client connection (they reconnect by themselves)."""
    _print(_ask(ctx, control, {"op": "reset"}))


def register(app: typer.Typer) -> None:
    """Add the `sandbox` command group (plus the Bot API and shop-scenario commands when present)."""
    try:
        from prokai.sandbox.botapi.cli import register_bot_commands
    except ModuleNotFoundError:  # pragma: no cover - the Bot API half not installed
        pass
    else:
        register_bot_commands(sandbox_app)
    from prokai.sandbox.shops.cli import register_scenario_commands  # issue 7: up --scenarios, scenarios, ...

    register_scenario_commands(sandbox_app)
    app.add_typer(sandbox_app, name="sandbox")
