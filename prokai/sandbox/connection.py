"""One client TCP connection: plain handshake messages, then MTProto 2.0 encrypted sessions.

Incoming: containers, gzip_packed, acks, pings, future-salt requests and RPCs (each RPC runs as
its own task so a slow bot does not block the session). Outgoing: rpc_result / rpc_error,
pushed updates, acks and service messages, batched into one msg_container per flush.
"""

from __future__ import annotations

import asyncio
import logging
import os
import struct
import time
from typing import TYPE_CHECKING, Any

from telethon.errors import TypeNotFoundError
from telethon.extensions import BinaryReader
from telethon.tl import functions, types
from telethon.tl.core import GzipPacked

from prokai.sandbox.crypto import DecryptError, decrypt_from_client, encrypt_to_client
from prokai.sandbox.dispatch import call
from prokai.sandbox.faults import RpcFault
from prokai.sandbox.handshake import Handshake, HandshakeError
from prokai.sandbox.rpc import serialize_result
from prokai.sandbox.transport import FullTransport, TransportError, open_transport

if TYPE_CHECKING:
    from telethon.crypto import AuthKey

    from prokai.sandbox.server import SandboxServer
    from prokai.sandbox.world import AuthKeyRecord

log = logging.getLogger(__name__)

RPC_RESULT = 0xF35C6D01
MSG_CONTAINER = 0x73F1F8DC
GZIP_THRESHOLD = 512


def _random_long() -> int:
    value: int = struct.unpack("<q", os.urandom(8))[0]
    return value


class Connection:
    """Serves one TCP client until it disconnects or the server drops it."""

    def __init__(self, server: SandboxServer, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.server = server
        self.world = server.world
        self.writer = writer
        self._reader = reader
        self.transport: FullTransport = FullTransport(reader, writer)
        peer = writer.get_extra_info("peername")
        self.peer = f"{peer[0]}:{peer[1]}" if peer else "?"
        self.handshake: Handshake | None = None
        self.key: AuthKeyRecord | None = None
        self.wire_key: AuthKey | None = None  # the key bytes the client encrypts with (see World.find_key)
        self.session_id: int | None = None
        self._subscribed_as: int | None = None
        self._last_msg_id = 0
        self._seq = 0
        self._outbox: list[tuple[bytes, bool]] = []
        self._pending_acks: list[int] = []
        self._flush_scheduled = False
        self._tasks: set[asyncio.Task[Any]] = set()
        self.closed = False
        self.handshakes = 0

    # ------------------------------------------------------------------ main loop

    async def run(self) -> None:
        """Read packets until EOF or a protocol error."""
        try:
            self.transport = await open_transport(self._reader, self.writer)
            while True:
                packet = await self.transport.read()
                if len(packet) < 8:
                    raise TransportError("short packet")
                (key_id,) = struct.unpack_from("<q", packet)
                if key_id == 0:
                    self._plain(packet)
                else:
                    self._encrypted(packet)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        except (TransportError, HandshakeError, DecryptError) as exc:
            log.info("closing %s: %s", self.peer, exc)
        except asyncio.CancelledError:
            pass
        finally:
            self.close()

    def close(self) -> None:
        """Drop the connection (also used to inject a connection reset)."""
        if self.closed:
            return
        self.closed = True
        if self._subscribed_as is not None:
            self.world.unsubscribe(self._subscribed_as, self)
        for task in list(self._tasks):
            task.cancel()
        try:
            self.writer.close()
        except Exception:  # pragma: no cover - already broken socket
            pass
        self.server.forget(self)

    def abort(self) -> None:
        """Reset the TCP connection abruptly (RST where the platform allows)."""
        transport = self.writer.transport
        try:
            transport.abort()
        finally:
            self.close()

    # ------------------------------------------------------------------ plain (handshake)

    def _plain(self, packet: bytes) -> None:
        if len(packet) < 20:
            raise TransportError("short plain message")
        _, _msg_id, length = struct.unpack_from("<qqi", packet)
        reader = BinaryReader(packet[20 : 20 + length])
        try:
            request = reader.tgread_object()
        except TypeNotFoundError as exc:
            raise HandshakeError(f"unknown plain object {exc}") from None
        if self.handshake is None or isinstance(request, functions.ReqPqMultiRequest):
            self.handshake = Handshake(self.server.server_key)
        reply, auth_key, salt = self.handshake.handle(request)
        body = bytes(reply)
        self.transport.write(struct.pack("<qqi", 0, self._new_msg_id(), len(body)) + body)
        if auth_key is not None:
            self.key = self.world.register_key(auth_key, salt, peer=self.peer)
            self.wire_key = auth_key
            self.handshake = None
            self.handshakes += 1
            self.server.stats.handshakes += 1

    # ------------------------------------------------------------------ encrypted

    def _encrypted(self, packet: bytes) -> None:
        (key_id,) = struct.unpack_from("<Q", packet)
        found = self.world.find_key(key_id)
        if found is None:
            # like Telegram: transport error -404, the client has to create a new key
            self.transport.write_error(-404)
            raise TransportError("unknown auth key")
        rec, self.wire_key = found
        if self.key is not rec:
            self.key = rec
        plain = decrypt_from_client(self.wire_key, packet)
        salt, session_id, msg_id, seq_no, length = struct.unpack_from("<qqqii", plain)
        if length < 0 or 32 + length > len(plain):
            raise DecryptError("bad inner length")
        if msg_id % 2:
            raise DecryptError("odd msg_id from a client")
        if session_id != self.session_id:
            self.session_id = session_id
            self._seq = 0
            self.server.stats.new_sessions += 1
            self._queue(bytes(types.NewSessionCreated(msg_id, _random_long(), rec.salt)), True)
            self._ensure_subscription()
        now = time.time()
        if (msg_id >> 32) - now > 30 or now - (msg_id >> 32) > 300:
            code = 17 if (msg_id >> 32) > now else 16
            self._queue(bytes(types.BadMsgNotification(msg_id, seq_no, code)), False)
            return
        if salt != rec.salt:
            self.server.stats.bad_salts += 1
            self._queue(bytes(types.BadServerSalt(msg_id, seq_no, 48, rec.salt)), False)
            return
        body = plain[32 : 32 + length]
        self._handle_message(msg_id, seq_no, body)

    def _handle_message(self, msg_id: int, seq_no: int, body: bytes) -> None:
        (cid,) = struct.unpack_from("<I", body)
        if cid == MSG_CONTAINER:
            self.server.stats.containers_in += 1
            reader = BinaryReader(body[4:])
            for _ in range(reader.read_int()):
                inner_id = reader.read_long()
                inner_seq = reader.read_int()
                inner_len = reader.read_int()
                self._handle_message(inner_id, inner_seq, reader.read(inner_len))
            return
        if cid == GzipPacked.CONSTRUCTOR_ID:
            self.server.stats.gzip_in += 1
            self._handle_message(msg_id, seq_no, GzipPacked.read(BinaryReader(body)))
            return
        if seq_no & 1:
            self._pending_acks.append(msg_id)
        try:
            obj = BinaryReader(body).tgread_object()
        except TypeNotFoundError:
            self._rpc_error(msg_id, 400, "INPUT_CONSTRUCTOR_INVALID")
            return
        if isinstance(obj, types.MsgsAck):
            return
        if isinstance(obj, (functions.PingRequest, functions.PingDelayDisconnectRequest)):
            self._queue(bytes(types.Pong(msg_id, obj.ping_id)), False)
            return
        if isinstance(obj, functions.GetFutureSaltsRequest):
            assert self.key is not None
            now = int(time.time())
            salts = [types.FutureSalt(now - 60, now + 3600 * 24, self.key.salt)]
            self._queue(bytes(types.FutureSalts(msg_id, now, salts)), False)
            return
        if isinstance(obj, functions.DestroySessionRequest):
            self._queue(bytes(types.DestroySessionOk(obj.session_id)), False)
            return
        if isinstance(obj, (types.MsgsStateReq, types.MsgResendReq, types.MsgsStateInfo, types.MsgsAllInfo)):
            return
        task = asyncio.get_running_loop().create_task(self._rpc(msg_id, obj))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _rpc(self, msg_id: int, request: Any) -> None:
        assert self.key is not None
        self.server.stats.requests += 1
        try:
            delay = self.world.draw_latency()
            if delay and self.world.latency is not None and self.world.latency.mode == "advance":
                self.world.clock.advance(delay)  # a rehearsal: the round trip costs sandbox time only
            elif delay:
                await self.world.clock.sleep(delay)
            result = await call(self.world, self.key, self, request)
            data = serialize_result(result)
        except RpcFault as fault:
            self._rpc_error(msg_id, fault.code, fault.message)
            return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("sandbox handler for %s failed", type(request).__name__)
            self._rpc_error(msg_id, 500, "INTERNAL_SERVER_ERROR")
            return
        self._ensure_subscription()
        if len(data) > GZIP_THRESHOLD:
            packed = bytes(GzipPacked(data))
            if len(packed) < len(data):
                data = packed
                self.server.stats.gzip_out += 1
        self._queue(struct.pack("<Iq", RPC_RESULT, msg_id) + data, True)

    def _rpc_error(self, msg_id: int, code: int, message: str) -> None:
        self.server.stats.errors += 1
        self._queue(struct.pack("<Iq", RPC_RESULT, msg_id) + bytes(types.RpcError(code, message)), True)

    def _ensure_subscription(self) -> None:
        uid = self.key.user_id if self.key else None
        if uid == self._subscribed_as:
            return
        if self._subscribed_as is not None:
            self.world.unsubscribe(self._subscribed_as, self)
        self._subscribed_as = uid
        if uid is not None:
            self.world.subscribe(uid, self)

    # ------------------------------------------------------------------ outgoing

    def push_update(self, updates: Any) -> None:
        """Queue an Updates object for this client (called by the world)."""
        if self.closed or self.session_id is None:
            return
        self.server.stats.pushed_updates += 1
        self._queue(bytes(updates), True)

    def _new_msg_id(self) -> int:
        now = time.time()
        msg_id = (int(now) << 32) | ((int((now % 1) * 1e9) << 2) & 0xFFFFFFFC) | 1
        if msg_id <= self._last_msg_id:
            msg_id = self._last_msg_id + 4
        self._last_msg_id = msg_id
        return msg_id

    def _next_seq(self, content_related: bool) -> int:
        if content_related:
            seq = self._seq * 2 + 1
            self._seq += 1
            return seq
        return self._seq * 2

    def _queue(self, body: bytes, content_related: bool) -> None:
        if self.closed:
            return
        self._outbox.append((body, content_related))
        if not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        if self.closed or self.key is None or self.session_id is None:
            self._outbox.clear()
            return
        items = self._outbox
        self._outbox = []
        if self._pending_acks:
            items.append((bytes(types.MsgsAck(self._pending_acks)), False))
            self._pending_acks = []
        if not items:
            return
        if len(items) == 1:
            body, related = items[0]
            msg_id, seq = self._new_msg_id(), self._next_seq(related)
        else:
            parts = [struct.pack("<Ii", MSG_CONTAINER, len(items))]
            for body_i, related_i in items:
                parts.append(struct.pack("<qii", self._new_msg_id(), self._next_seq(related_i), len(body_i)))
                parts.append(body_i)
            body = b"".join(parts)
            msg_id, seq = self._new_msg_id(), self._next_seq(False)
        plain = struct.pack("<qqqii", self.key.salt, self.session_id, msg_id, seq, len(body)) + body
        try:
            self.transport.write(encrypt_to_client(self.wire_key or self.key.key, plain))
        except (ConnectionError, RuntimeError):
            self.close()

