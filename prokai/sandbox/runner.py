"""What `prokai sandbox up` runs: world, MTProto server, Bot API server, control socket."""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import logging
import signal
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from prokai.config import Settings, load_secret
from prokai.sandbox.clock import Clock
from prokai.sandbox.limits import LatencyModel, telegram_limits
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.sms import SimBoxControlGateway, SmsGateway
from prokai.sandbox.state import load_keys, save_keys
from prokai.sandbox.world import World

log = logging.getLogger(__name__)


class UpError(Exception):
    """The sandbox cannot start (bad option, port taken); one-line reason."""


@dataclass
class RunOptions:
    host: str
    port: int
    bot_api_port: int | None
    control_path: str
    simbox_control: str | None
    world_factory: str
    json_out: bool
    settings: Settings
    state_path: str | None = None
    limits: bool = False
    latency_ms: float = 0.0


class PrintingGateway:
    """No SimBox: print each SMS so the person at the terminal can type the code."""

    async def deliver(self, phone: str, text: str) -> None:
        """Print the SMS."""
        print(f"[sms to +{phone}] {text}", flush=True)


def load_factory(spec: str) -> Any:
    """`module:function` -> the function."""
    module_name, _, attr = spec.partition(":")
    if not module_name or not attr:
        raise UpError(f"--world must be module:function, got {spec!r}")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UpError(f"--world {spec}: {exc}") from None


def public_key_path() -> str:
    """Filesystem path of the sandbox's public key PEM."""
    return str(resources.files("prokai.sandbox").joinpath("data/server_key.pub.pem"))


async def run_sandbox(opts: RunOptions, ready: asyncio.Event | None = None) -> None:
    """Serve until SIGINT/SIGTERM (or cancellation)."""
    from prokai.sandbox.control import serve_control

    sms: SmsGateway = SimBoxControlGateway(opts.simbox_control) if opts.simbox_control else PrintingGateway()
    world: World = load_factory(opts.world_factory)(clock=Clock(), sms=sms)
    if opts.limits:
        world.set_limits(telegram_limits())
    if opts.latency_ms > 0:
        median = opts.latency_ms / 1000
        world.set_latency(LatencyModel(median_s=median, min_s=median / 4, max_s=median * 20))
    state = Path(opts.state_path) if opts.state_path else None
    if state is not None:
        try:
            restored = load_keys(world, state)
        except ValueError as exc:
            raise UpError(str(exc)) from None
        print(f"state: {restored} auth keys restored from {state}", file=sys.stderr, flush=True)
    server = SandboxServer(world, opts.host, opts.port)
    try:
        await server.start()
    except OSError as exc:
        raise UpError(f"cannot listen on {opts.host}:{opts.port}: {exc.strerror}") from None
    opts.settings.data_dir.mkdir(parents=True, exist_ok=True)
    control = await serve_control(world, server, opts.control_path)
    bot_api: Any = None
    if opts.bot_api_port is not None:
        bot_api = await _start_bot_api(opts, world)
    info = {
        "mtproto": {"host": server.host, "port": server.port, "dc_id": server.dc_id, "public_key": public_key_path()},
        "bot_api": {"base_url": bot_api.base_url, "base_file_url": bot_api.base_file_url, "token": bot_api.token}
        if bot_api is not None else None,
        "control": opts.control_path,
        "accounts": [a["phone"] for a in world.snapshot()["accounts"]],
        "sms": opts.simbox_control or "printed here",
    }
    _announce(info, opts.json_out)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    if ready is not None:
        ready.set()
    saver = loop.create_task(_autosave(world, state)) if state is not None else None
    try:
        await stop.wait()
    finally:
        if saver is not None:
            saver.cancel()
        if state is not None:
            save_keys(world, state)
        control.close()
        if bot_api is not None:
            await bot_api.stop()
        await server.close()


async def _autosave(world: World, path: Path | None, every_s: float = 5.0) -> None:
    """Save the auth keys whenever they changed (new handshakes, logins), every few seconds."""
    assert path is not None
    last: tuple[int, int] = (-1, -1)
    while True:
        await asyncio.sleep(every_s)
        now = (len(world.auth_keys), sum(1 for r in world.auth_keys.values() if r.user_id is not None))
        if now != last:
            try:
                save_keys(world, path)
                last = now
            except OSError as exc:
                log.warning("cannot save sandbox state to %s: %s", path, exc)


async def _start_bot_api(opts: RunOptions, world: World) -> Any:
    try:
        from prokai.sandbox.botapi import BotApiServer, make_token
    except ModuleNotFoundError:
        log.warning("the Bot API sandbox is not installed; serving MTProto only")
        return None
    token = load_secret(opts.settings, "bot_token") or make_token()
    bot_api = BotApiServer(opts.host, opts.bot_api_port or 0, token, now=world.clock.now)
    try:
        await bot_api.start()
    except OSError as exc:
        raise UpError(f"cannot listen on {opts.host}:{opts.bot_api_port} for the Bot API: {exc.strerror}") from None
    return bot_api


def _announce(info: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print(json.dumps(info), flush=True)
        return
    mt = info["mtproto"]
    lines = [
        f"ProkAi Telegram sandbox: MTProto on {mt['host']}:{mt['port']} (dc {mt['dc_id']})",
        "  stock Telethon, from ProkAi code:",
        "    from prokai.sandbox.connect import configure",
        f"    configure(client, {mt['host']!r}, {mt['port']}, {mt['dc_id']})",
        "  without ProkAi:",
        f"    client.session.set_dc({mt['dc_id']}, {mt['host']!r}, {mt['port']})",
        f"    telethon.crypto.rsa.add_key(open({mt['public_key']!r}).read(), old=False)",
        f"  the product: PROKAI_TELEGRAM__HOST={mt['host']} PROKAI_TELEGRAM__PORT={mt['port']} "
        f"PROKAI_TELEGRAM__DC_ID={mt['dc_id']} PROKAI_TELEGRAM__SERVER_KEY_FILE={mt['public_key']}",
        f"  accounts: {', '.join(info['accounts'])}; login codes: {info['sms']}",
    ]
    if info["bot_api"]:
        b = info["bot_api"]
        lines.append(f"Bot API: base_url={b['base_url']} base_file_url={b['base_file_url']} token={b['token']}")
    lines.append(f"control: {info['control']} (prokai sandbox send | press | messages | inspect | advance | fault)")
    lines.append("Ctrl-C stops the sandbox.")
    print("\n".join(lines), flush=True)
    sys.stdout.flush()
