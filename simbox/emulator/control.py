"""The emulator's control socket (a Unix socket, one JSON object per line) and its clients.

Another process (the messenger sandbox, a demo script) delivers SMS with one call:

    from simbox.emulator.control import deliver_sms
    deliver_sms("/tmp/simbox.sock", "+77051234567", "Telegram code: 12345", sender="Telegram")

Requests: {"op": "deliver_sms", "to", "text", "sender"?, "encoding"?, "order"?},
{"op": "manifest"}, {"op": "set_ussd", "to"?, "code", "reply"}, {"op": "fault", "port", "kind",
...} with kind one of silent, unsilent, garbage, vanish, reappear, remove_sim, require_pin,
fill_storage, restart. Answers: {"ok": true, ...} or {"ok": false, "error": "..."}.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simbox.emulator.core import Emulator


class ControlError(RuntimeError):
    """The emulator refused a control request (unknown number, bad port...)."""


async def _dispatch(emu: Emulator, req: dict[str, Any]) -> dict[str, Any]:
    op = req.get("op")
    if op == "deliver_sms":
        t0 = time.time()
        idx = emu.deliver_sms(
            str(req["to"]),
            str(req["text"]),
            sender=str(req.get("sender") or "Telegram"),
            encoding=req.get("encoding"),
            order=req.get("order"),
        )
        return {"ok": True, "indices": idx, "parts": len(idx), "at": t0}
    if op == "manifest":
        return {"ok": True, **emu.manifest()}
    if op == "set_ussd":
        emu.set_ussd(req.get("to"), str(req["code"]), str(req["reply"]))
        return {"ok": True}
    if op == "fault":
        port = int(req["port"])
        if not 0 <= port < len(emu.ports):
            raise ControlError(f"no port {port}")
        kind = req.get("kind")
        if kind == "silent":
            emu.set_silent(port, True)
        elif kind == "unsilent":
            emu.set_silent(port, False)
        elif kind == "garbage":
            emu.garbage(port)
        elif kind == "vanish":
            emu.vanish(port)
        elif kind == "reappear":
            return {"ok": True, "path": await emu.reappear(port)}
        elif kind == "remove_sim":
            emu.remove_sim(port)
        elif kind == "require_pin":
            emu.require_pin(port, str(req.get("pin", "1234")))
        elif kind == "fill_storage":
            emu.fill_storage(port)
        elif kind == "restart":
            await emu.restart_modem(port)
        else:
            raise ControlError(f"unknown fault {kind!r}")
        return {"ok": True}
    raise ControlError(f"unknown op {op!r}")


async def serve(emu: Emulator, path: str) -> asyncio.AbstractServer:
    """Start serving the control socket at `path` (a stale socket file is replaced)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    req = json.loads(line)
                    if not isinstance(req, dict):
                        raise ControlError("a request is a JSON object")
                    resp = await _dispatch(emu, req)
                except (ControlError, KeyError, ValueError, TypeError) as exc:
                    resp = {"ok": False, "error": str(exc).strip("'\"") or type(exc).__name__}
                writer.write((json.dumps(resp) + "\n").encode())
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    return await asyncio.start_unix_server(client, path=path)


def request(path: str, req: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """Send one request and return the answer (blocking; safe from any thread or process)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        sock.connect(path)
        sock.sendall((json.dumps(req) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    resp: dict[str, Any] = json.loads(buf or b"{}")
    if not resp.get("ok"):
        raise ControlError(resp.get("error", "no answer from the emulator"))
    return resp


async def arequest(path: str, req: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
    """`request` for asyncio callers."""
    async with asyncio.timeout(timeout):
        reader, writer = await asyncio.open_unix_connection(path)
        try:
            writer.write((json.dumps(req) + "\n").encode())
            await writer.drain()
            line = await reader.readline()
        finally:
            writer.close()
    resp: dict[str, Any] = json.loads(line or b"{}")
    if not resp.get("ok"):
        raise ControlError(resp.get("error", "no answer from the emulator"))
    return resp


def deliver_sms(path: str, to: str, text: str, sender: str = "Telegram", **kw: Any) -> dict[str, Any]:
    """Deliver an SMS to number `to` through the emulator listening on control socket `path`."""
    return request(path, {"op": "deliver_sms", "to": to, "text": text, "sender": sender, **kw})


async def adeliver_sms(path: str, to: str, text: str, sender: str = "Telegram", **kw: Any) -> dict[str, Any]:
    """`deliver_sms` for asyncio callers."""
    return await arequest(path, {"op": "deliver_sms", "to": to, "text": text, "sender": sender, **kw})


def manifest(path: str) -> dict[str, Any]:
    """The emulator's ports, tty paths and SIMs."""
    return request(path, {"op": "manifest"})
