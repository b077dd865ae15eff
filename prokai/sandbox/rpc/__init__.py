"""RPC method handlers of the sandbox MTProto server, registered by request type.

A handler is `async def handler(ctx: CallContext, request) -> result` where the result is a
Telethon TL object, a list (serialized as a vector), a bool, or raw bytes. Raise `RpcFault` for
an `rpc_error`. Importing this package registers every handler module.
"""

from __future__ import annotations

import struct
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from prokai.sandbox.faults import RpcFault

if TYPE_CHECKING:
    from prokai.sandbox.model import UserRecord
    from prokai.sandbox.world import AuthKeyRecord, Subscriber, World

VECTOR = 0x1CB5C415
BOOL_TRUE = 0x997275B5
BOOL_FALSE = 0xBC799737

Handler = Callable[["CallContext", Any], Awaitable[Any]]


@dataclass(frozen=True)
class Method:
    handler: Handler
    needs_user: bool
    writes: bool


HANDLERS: dict[int, Method] = {}


@dataclass
class CallContext:
    """What a handler knows about the call: the world, the auth key, the connection."""

    world: World
    key: AuthKeyRecord
    conn: Subscriber
    request: Any

    @property
    def user(self) -> UserRecord | None:
        """The logged-in user of this auth key, if any."""
        uid = self.key.user_id
        return self.world.users.get(uid) if uid is not None else None

    def me(self) -> UserRecord:
        """The logged-in user; 401 AUTH_KEY_UNREGISTERED if the key is not logged in."""
        user = self.user
        if user is None:
            raise RpcFault(401, "AUTH_KEY_UNREGISTERED")
        return user


def rpc(*request_types: type, needs_user: bool = True, writes: bool = False) -> Callable[[Handler], Handler]:
    """Register a handler for the given Telethon request classes."""

    def deco(fn: Handler) -> Handler:
        for cls in request_types:
            HANDLERS[cls.CONSTRUCTOR_ID] = Method(fn, needs_user, writes)  # type: ignore[attr-defined]
        return fn

    return deco


def serialize_result(obj: Any) -> bytes:
    """TL bytes of a handler result (vectors and bools included)."""
    if isinstance(obj, bytes):
        return obj
    if obj is True:
        return struct.pack("<I", BOOL_TRUE)
    if obj is False:
        return struct.pack("<I", BOOL_FALSE)
    if isinstance(obj, list):
        parts = [struct.pack("<Ii", VECTOR, len(obj))]
        for item in obj:
            parts.append(struct.pack("<q", item) if isinstance(item, int) else bytes(item))
        return b"".join(parts)
    return bytes(obj)


def load_all() -> None:
    """Import every handler module (they register themselves)."""
    from prokai.sandbox.rpc import account, content, help, messages, updates, upload, users  # noqa: F401
