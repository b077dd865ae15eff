"""HTTP control endpoints under `/_sandbox/`: what the `prokai sandbox bot-*` commands talk to.

All take and return JSON (`{"ok": true, ...}` or `{"ok": false, "error": "..."}` with status 400):

- `GET  /_sandbox/status`                      bot, users, chats, pending update count
- `POST /_sandbox/users`   {id, first_name?, last_name?, username?, started?}
- `POST /_sandbox/groups`  {chat_id, title, members?, admins?, creator?}
- `POST /_sandbox/send`    {user_id, chat_id?, text, reply_to?}          → the user's message
- `POST /_sandbox/press`   {user_id, message_id, data, chat_id?, wait?}  → query id and the answer
- `GET  /_sandbox/inbox?chat_id=N[&after=MESSAGE_ID][&wait=SECONDS][&all=1]` → messages
- `GET  /_sandbox/files/{file_id}`             the file's bytes
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from prokai.sandbox.botapi.errors import SandboxError
from prokai.sandbox.botapi.world import SandboxMessage

if TYPE_CHECKING:
    from prokai.sandbox.botapi.server import BotApiServer

MAX_WAIT_S = 120.0


def message_view(server: BotApiServer, message: SandboxMessage) -> dict[str, Any]:
    """A message as the sandbox shows it to people: sender, text, buttons, file links."""
    out: dict[str, Any] = {
        "chat_id": message.chat_id,
        "message_id": message.message_id,
        "from": "bot" if message.from_bot else message.from_id,
        "date": message.date,
    }
    if message.text is not None:
        out["text"] = message.text
    if message.caption:
        out["caption"] = message.caption
    if message.reply_to_message_id is not None:
        out["reply_to"] = message.reply_to_message_id
    if message.edit_date is not None:
        out["edit_date"] = message.edit_date
    if message.buttons:
        out["buttons"] = [
            [{k: v for k, v in button.items() if k in ("text", "callback_data", "url")} for button in row]
            for row in message.buttons
        ]
    if message.document is not None:
        doc = message.document
        out["document"] = {
            "file_id": doc.file_id,
            "file_name": doc.file_name,
            "mime_type": doc.mime_type,
            "size": len(doc.data),
            "url": f"/_sandbox/files/{doc.file_id}",
        }
    if message.photo:
        big = message.photo[-1]
        out["photo"] = {
            "file_id": big.file_id,
            "width": big.width,
            "height": big.height,
            "file_path": big.file_path,
            "size": len(big.data),
            "url": f"/_sandbox/files/{big.file_id}",
        }
    return out


def add_control_routes(app: web.Application, server: BotApiServer) -> None:
    """Mount the `/_sandbox/` endpoints for `server` on `app`."""

    def route(
        fn: Callable[[web.Request], Awaitable[dict[str, Any]]],
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            try:
                result = await fn(request)
            except (SandboxError, ValueError, KeyError, TypeError) as exc:
                reason = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
                return web.json_response({"ok": False, "error": reason}, status=400)
            except TimeoutError as exc:
                return web.json_response({"ok": False, "error": str(exc) or "timed out"}, status=408)
            return web.json_response({"ok": True, **result})

        return handler

    async def body(request: web.Request) -> dict[str, Any]:
        try:
            data = await request.json()
        except ValueError:
            raise SandboxError("the request body must be a JSON object") from None
        if not isinstance(data, dict):
            raise SandboxError("the request body must be a JSON object")
        return data

    async def status(request: web.Request) -> dict[str, Any]:
        return {
            "bot": server.bot.to_api(),
            "users": [u.to_api() | {"started_bot": u.started_bot} for u in server.world.users.values()],
            "chats": [c.to_api(server.world.users) for c in server.world.chats.values()],
            "pending_updates": len(server.pending_updates()),
        }

    async def users(request: web.Request) -> dict[str, Any]:
        data = await body(request)
        user = server.add_user(
            int(data["id"]),
            data.get("first_name"),
            last_name=data.get("last_name"),
            username=data.get("username"),
            started=bool(data.get("started", False)),
        )
        return {"user": user.to_api()}

    async def groups(request: web.Request) -> dict[str, Any]:
        data = await body(request)
        chat = server.add_group(
            int(data["chat_id"]),
            str(data["title"]),
            [int(x) for x in data.get("members", [])],
            admins=[int(x) for x in data.get("admins", [])],
            creator=int(data["creator"]) if data.get("creator") is not None else None,
        )
        return {"chat": chat.to_api(server.world.users)}

    async def send(request: web.Request) -> dict[str, Any]:
        data = await body(request)
        user_id = int(data["user_id"])
        if data.get("first_name") or data.get("username"):
            server.add_user(user_id, data.get("first_name"), username=data.get("username"))
        chat_id = int(data["chat_id"]) if data.get("chat_id") is not None else None
        reply_to = int(data["reply_to"]) if data.get("reply_to") is not None else None
        message = await server.user_says(user_id, chat_id, str(data["text"]), reply_to=reply_to)
        return {"message": message_view(server, message)}

    async def press(request: web.Request) -> dict[str, Any]:
        data = await body(request)
        chat_id = int(data["chat_id"]) if data.get("chat_id") is not None else None
        pressed = await server.user_presses(
            int(data["user_id"]), int(data["message_id"]), str(data["data"]), chat_id=chat_id
        )
        wait = min(float(data.get("wait", 5.0)), MAX_WAIT_S)
        answer: dict[str, Any] | None = None
        if wait > 0:
            try:
                got = await pressed.answered(wait)
            except TimeoutError:
                got = None
            if got is not None:
                answer = {"text": got.text, "show_alert": got.show_alert, "url": got.url}
        return {"query_id": pressed.id, "answer": answer}

    async def inbox(request: web.Request) -> dict[str, Any]:
        chat_id = int(request.query["chat_id"])
        after = int(request.query.get("after", "0"))
        wait = min(float(request.query.get("wait", "0")), MAX_WAIT_S)
        include_users = request.query.get("all", "") in ("1", "true", "yes")
        server.world.chat(chat_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            source = server.history(chat_id) if include_users else server.messages_for(chat_id)
            found = [m for m in source if m.message_id > after]
            remaining = deadline - loop.time()
            if found or remaining <= 0:
                return {"messages": [message_view(server, m) for m in found]}
            await server.world.log.wait_changed(remaining)

    async def file(request: web.Request) -> web.Response:
        stored = server.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response({"ok": False, "error": "no such file"}, status=404)
        return web.Response(body=stored.data, content_type=stored.mime_type or "application/octet-stream")

    app.router.add_get("/_sandbox/status", route(status))
    app.router.add_post("/_sandbox/users", route(users))
    app.router.add_post("/_sandbox/groups", route(groups))
    app.router.add_post("/_sandbox/send", route(send))
    app.router.add_post("/_sandbox/press", route(press))
    app.router.add_get("/_sandbox/inbox", route(inbox))
    app.router.add_get("/_sandbox/files/{file_id}", file)
