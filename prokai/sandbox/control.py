"""A local control socket for a running sandbox: JSON lines over a Unix socket.

`prokai sandbox send | press | inspect | advance | fault` use it to act as a sandbox user, look
at the world, move the clock and inject errors while `prokai sandbox up` runs. One request line
`{"op": ..., ...}` gets one answer line `{"ok": true, ...}` or `{"ok": false, "error": "..."}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
from typing import Any

from prokai.sandbox.faults import RpcFault
from prokai.sandbox.model import ChannelRecord, StoredMessage, UserRecord
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.world import World


class ControlError(Exception):
    """A request the sandbox refused (one-line reason)."""


def _user(world: World, name: str) -> UserRecord:
    rec = world.resolve(name)
    if not isinstance(rec, UserRecord):
        raise ControlError(f"no user {name!r} (use +phone, @username or id)")
    return rec


def _peer(world: World, name: str) -> UserRecord | ChannelRecord:
    rec = world.resolve(name)
    if rec is None:
        raise ControlError(f"no user or channel {name!r}")
    return rec


def message_view(msg: StoredMessage) -> dict[str, Any]:
    """A JSON-able view of one stored message."""
    return {
        "id": msg.id,
        "date": msg.date,
        "out": msg.out,
        "from": msg.sender_id,
        "text": msg.text,
        "edited": msg.edit_date is not None,
        "photo": len(msg.photo.data) if msg.photo else None,
        "buttons": [
            [{"text": b.text, "data": b.data.decode(errors="replace") if b.data else None, "url": b.url} for b in row]
            for row in (msg.buttons or [])
        ],
    }


async def handle(world: World, server: SandboxServer | None, req: dict[str, Any]) -> dict[str, Any]:
    """Execute one control request."""
    op = req.get("op")
    if op == "inspect":
        snap = world.snapshot()
        if server is not None:
            snap["server"] = {"host": server.host, "port": server.port, "dc_id": server.dc_id,
                              "connections": server.connections, **server.stats.__dict__}
        return snap
    if op == "send":
        sender = _user(world, str(req["as"]))
        target = _peer(world, str(req["to"]))
        if isinstance(target, ChannelRecord):
            return {"message_id": world.post(target.id, str(req["text"]))}
        return {"message_id": world.send_private(sender.id, target.id, str(req["text"]))}
    if op == "messages":
        viewer = _user(world, str(req["as"]))
        peer = _peer(world, str(req["peer"]))
        msgs = world.messages_between(viewer.id, peer, int(req.get("limit", 10)))
        return {"messages": [message_view(m) for m in msgs]}
    if op == "press":
        return await _press(world, req)
    if op == "advance":
        seconds = float(req["seconds"])
        if seconds < 0:
            raise ControlError("the clock only moves forward")
        world.clock.advance(seconds)
        return {"offset_s": world.clock.offset}
    if op == "fault":
        user = _user(world, str(req["as"])) if req.get("as") else None
        try:
            rule = world.faults.inject(
                str(req["error"]), method=req.get("method"), user_id=user.id if user else None,
                seconds=req.get("seconds"), times=req.get("times", 1),
            )
        except ValueError as exc:
            raise ControlError(str(exc)) from None
        return {"rule": rule.rule_id}
    if op == "down":
        if server is None:
            raise ControlError("no server")
        await server.go_down(float(req.get("seconds", 70)))
        return {"down_s": float(req.get("seconds", 70))}
    if op == "reset":
        if server is None:
            raise ControlError("no server")
        return {"reset": server.reset_connections()}
    raise ControlError(f"unknown op {op!r}")


async def _press(world: World, req: dict[str, Any]) -> dict[str, Any]:
    user = _user(world, str(req["as"]))
    bot = _user(world, str(req["chat"]))
    wanted = str(req["button"])
    msg_id = req.get("message_id")
    candidates = [
        m for m in world.messages_between(user.id, bot, 50)
        if m.buttons and (msg_id is None or m.id == int(msg_id))
    ]
    if not candidates:
        raise ControlError(f"no message with buttons from {req['chat']} to {req['as']}")
    msg = candidates[0]
    for row in msg.buttons or []:
        for b in row:
            if wanted in (b.text, (b.data or b"").decode(errors="replace")):
                if b.url is not None:
                    return {"message_id": msg.id, "url": b.url, "opened": False}
                assert b.data is not None
                try:
                    answer = await world.press_button(user.id, bot.id, msg.id, b.data)
                except RpcFault as fault:
                    raise ControlError(fault.message) from None
                return {
                    "message_id": msg.id,
                    "answer": answer.text if answer else None,
                    "alert": bool(answer and answer.alert),
                }
    raise ControlError(f"no button {wanted!r} on message {msg.id}")


async def serve_control(world: World, server: SandboxServer | None, path: str) -> asyncio.AbstractServer:
    """Listen on the Unix socket `path` (replacing a stale one)."""
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while line := await reader.readline():
                try:
                    req = json.loads(line)
                    if not isinstance(req, dict):
                        raise ControlError("request must be a JSON object")
                    resp: dict[str, Any] = {"ok": True, **(await handle(world, server, req))}
                except (ControlError, KeyError, ValueError, TypeError) as exc:
                    reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                    resp = {"ok": False, "error": reason}
                writer.write(json.dumps(resp, ensure_ascii=False, default=str).encode() + b"\n")
                await writer.drain()
        finally:
            writer.close()

    return await asyncio.start_unix_server(client, path)


def request(path: str, payload: dict[str, Any], timeout: float = 60.0) -> dict[str, Any]:
    """Blocking client: send one request to a running sandbox, return its answer."""
    import socket

    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except OSError as exc:
            raise ControlError(f"no sandbox running at {path} ({exc.strerror})") from None
        sock.sendall(json.dumps(payload).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            buf += chunk
    resp: dict[str, Any] = json.loads(buf or b"{}")
    if not resp.get("ok"):
        raise ControlError(str(resp.get("error", "no answer from the sandbox")))
    return resp
