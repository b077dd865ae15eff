"""`prokai sandbox up` in a real process, driven by a stock Telethon client and the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from mtsandbox import API_HASH, API_ID, run
from telethon import TelegramClient
from telethon.sessions import StringSession

from prokai.sandbox.connect import configure

pytestmark = pytest.mark.timeout(120)
PROKAI = [sys.executable, "-m", "prokai"]


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str


def _cli(*args: str, cwd: Path) -> Result:
    """`prokai sandbox ...` in-process (the server under test runs in its own process)."""
    from typer.testing import CliRunner

    from prokai.cli import app

    res = CliRunner().invoke(app, ["sandbox", *args])
    return Result(res.exit_code, res.stdout, res.stderr)


def _read_line(proc: subprocess.Popen[str], pattern: str, timeout: float = 30.0) -> str:
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            raise AssertionError(f"sandbox exited: {proc.poll()}")
        if re.search(pattern, line):
            return line
    raise AssertionError(f"no line matching {pattern!r}")


def test_up_prints_how_to_connect_and_send_press_inspect_work(tmp_path: Path) -> None:
    sock = tmp_path / "sandbox.sock"
    env = {**os.environ, "PROKAI_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [*PROKAI, "sandbox", "up", "--json", "--port", "0", "--no-bot-api", "--control", str(sock)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path, env=env,
    )
    try:
        info = json.loads(_read_line(proc, r'^\{"mtproto"'))
        mt = info["mtproto"]
        assert mt["dc_id"] == 2 and mt["port"] > 0 and Path(mt["public_key"]).exists()
        assert "+77010000001" in info["accounts"]

        async def login_and_chat() -> None:
            client = TelegramClient(StringSession(), API_ID, API_HASH, flood_sleep_threshold=0)
            configure(client, mt["host"], mt["port"], mt["dc_id"])
            await client.connect()
            await client.send_code_request("+77010000001")
            line = await asyncio.to_thread(_read_line, proc, r"\[sms to \+77010000001\]")
            code = re.search(r"code: (\d{5})", line)
            assert code is not None
            await client.sign_in("+77010000001", code.group(1))
            # a person plays the operator from the command line; the client sees it live
            got: asyncio.Future[str] = asyncio.get_running_loop().create_future()
            from telethon import events

            async def on_new(event: events.NewMessage.Event) -> None:
                if not got.done():
                    got.set_result(event.raw_text)

            client.add_event_handler(on_new, events.NewMessage(incoming=True))
            await client.get_dialogs()  # a high-level request, so updates flow
            res = await asyncio.to_thread(
                _cli, "send", "--control", str(sock), "--as", "@demo_operator", "--to", "+77010000001",
                "Card 4400 4300 0000 0001", cwd=tmp_path,
            )
            assert res.returncode == 0, res.stderr
            assert await asyncio.wait_for(got, 10) == "Card 4400 4300 0000 0001"
            await client.disconnect()

        run(login_and_chat)

        assert _cli("send", "--control", str(sock), "--as", "+77010000002", "--to", "@demo_shop_bot", "/start",
                    cwd=tmp_path).returncode == 0
        for _ in range(300):
            msgs = _cli("messages", "--control", str(sock), "--as", "+77010000002", "--peer", "demo_shop_bot",
                        cwd=tmp_path)
            if "Welcome" in msgs.stdout:
                break
            time.sleep(0.1)
        pressed = _cli("press", "--control", str(sock), "--as", "+77010000002", "--chat", "demo_shop_bot",
                       "Almaty", cwd=tmp_path)
        assert pressed.returncode == 0 and json.loads(pressed.stdout)["answer"] == "Almaty selected"
        url = _cli("press", "--control", str(sock), "--as", "+77010000002", "--chat", "demo_shop_bot",
                   "Price list", cwd=tmp_path)
        assert url.returncode == 0
        inspected = json.loads(_cli("inspect", "--control", str(sock), cwd=tmp_path).stdout)
        assert inspected["server"]["handshakes"] >= 1 and inspected["logged_in_keys"] == 1
        assert _cli("advance", "--control", str(sock), "90", cwd=tmp_path).returncode == 0

        bad = _cli("press", "--control", str(sock), "--as", "+77010000002", "--chat", "demo_shop_bot", "Nope",
                   cwd=tmp_path)
        assert bad.returncode == 1 and bad.stderr.startswith("error: no button 'Nope'")
        assert len(bad.stderr.strip().splitlines()) == 1
        unknown = _cli("fault", "--control", str(sock), "NOT_AN_ERROR", cwd=tmp_path)
        assert unknown.returncode == 1 and "unknown error" in unknown.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(10)
    assert proc.returncode == 0
    gone = _cli("inspect", "--control", str(sock), cwd=tmp_path)
    assert gone.returncode == 1 and "no sandbox running" in gone.stderr


def test_every_sandbox_command_has_help(tmp_path: Path) -> None:
    for cmd in ("up", "send", "press", "messages", "inspect", "advance", "fault", "down", "reset"):
        res = _cli(cmd, "--help", cwd=tmp_path)
        assert res.returncode == 0 and "Usage" in res.stdout, cmd
    bad = _cli("up", "--world", "nonsense", "--control", str(tmp_path / "s.sock"), cwd=tmp_path)
    assert bad.returncode == 2 and bad.stderr.startswith("error: --world must be module:function")


def _start_up(tmp_path: Path, *extra: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    env = {**os.environ, "PROKAI_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.Popen(
        [*PROKAI, "sandbox", "up", "--json", "--port", "0", "--no-bot-api", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=tmp_path, env=env,
    )
    return proc, json.loads(_read_line(proc, r'^\{"mtproto"'))


def _stop(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    proc.wait(15)


def test_state_file_keeps_sessions_logged_in_across_process_restarts(tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    args = ("--control", str(tmp_path / "s.sock"), "--state", str(state))
    proc, info = _start_up(tmp_path, *args)
    saved: dict[str, str] = {}
    try:
        async def first_login() -> None:
            mt = info["mtproto"]
            client = TelegramClient(StringSession(), API_ID, API_HASH, flood_sleep_threshold=0)
            configure(client, mt["host"], mt["port"], mt["dc_id"])
            await client.connect()
            await client.send_code_request("+77010000001")
            line = await asyncio.to_thread(_read_line, proc, r"\[sms to \+77010000001\]")
            code = re.search(r"code: (\d{5})", line)
            assert code is not None
            await client.sign_in("+77010000001", code.group(1))
            saved["session"] = client.session.save()
            await client.disconnect()

        run(first_login)
    finally:
        _stop(proc)
    assert proc.returncode == 0 and state.exists()

    proc, info = _start_up(tmp_path, *args)
    try:
        async def resume() -> None:
            mt = info["mtproto"]
            client = TelegramClient(StringSession(saved["session"]), API_ID, API_HASH, flood_sleep_threshold=0)
            configure(client, mt["host"], mt["port"], mt["dc_id"])  # a new port; the same auth key
            await client.connect()
            assert await client.is_user_authorized()
            me = await client.get_me()
            assert me.phone == "77010000001"
            shop = await client.get_input_entity("demo_shop_bot")  # cached access hashes still valid
            await client.send_message(shop, "/start")
            await client.disconnect()

        run(resume)
    finally:
        _stop(proc)
    bad = tmp_path / "bad.json"
    bad.write_text("not json")
    res = _cli("up", "--no-bot-api", "--port", "0", "--control", str(tmp_path / "b.sock"), "--state", str(bad),
               cwd=tmp_path)
    assert res.returncode == 2 and "not a sandbox state file" in res.stderr
