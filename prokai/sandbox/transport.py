"""MTProto TCP transports (server side): "full" (length, seq, payload, CRC32; Telethon's default),
"intermediate" and "abridged", told apart by the client's first bytes."""

from __future__ import annotations

import asyncio
import struct
from zlib import crc32

MAX_PACKET = 4 * 1024 * 1024


class TransportError(Exception):
    """The byte stream broke the transport rules (bad length, CRC or sequence)."""


class FullTransport:
    """Reads and writes full-transport frames on one TCP connection."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._recv_seq = 0
        self._send_seq = 0

    async def read(self) -> bytes:
        """The next packet's payload; raises IncompleteReadError at EOF."""
        head = await self._reader.readexactly(8)
        length, seq = struct.unpack("<ii", head)
        if length < 12 or length > MAX_PACKET:
            raise TransportError(f"bad packet length {length}")
        rest = await self._reader.readexactly(length - 8)
        body, (checksum,) = rest[:-4], struct.unpack("<I", rest[-4:])
        if crc32(head + body) != checksum:
            raise TransportError("bad CRC32")
        if seq != self._recv_seq:
            raise TransportError(f"bad sequence number {seq}, expected {self._recv_seq}")
        self._recv_seq += 1
        return body

    def frame(self, payload: bytes) -> bytes:
        """Frame one payload for sending (advances the send sequence)."""
        head = struct.pack("<ii", len(payload) + 12, self._send_seq)
        self._send_seq += 1
        return head + payload + struct.pack("<I", crc32(head + payload))

    def write(self, payload: bytes) -> None:
        """Queue one framed payload on the socket."""
        self._writer.write(self.frame(payload))

    def write_error(self, code: int) -> None:
        """A transport error packet (e.g. -404: auth key not found)."""
        self.write(struct.pack("<i", code))


class IntermediateTransport(FullTransport):
    """The "intermediate" TCP transport (tag 0xeeeeeeee): 4-byte length, then the payload."""

    async def read(self) -> bytes:
        (length,) = struct.unpack("<i", await self._reader.readexactly(4))
        if length < 8 or length > MAX_PACKET:
            raise TransportError(f"bad packet length {length}")
        return await self._reader.readexactly(length)

    def frame(self, payload: bytes) -> bytes:
        return struct.pack("<i", len(payload)) + payload


class AbridgedTransport(FullTransport):
    """The "abridged" TCP transport (tag 0xef): length/4 in one byte (or 0x7f + 3 bytes)."""

    async def read(self) -> bytes:
        length = (await self._reader.readexactly(1))[0]
        if length >= 127:
            length = int.from_bytes(await self._reader.readexactly(3), "little")
        if length * 4 > MAX_PACKET:
            raise TransportError("packet too long")
        return await self._reader.readexactly(length * 4)

    def frame(self, payload: bytes) -> bytes:
        words = len(payload) // 4
        head = bytes([words]) if words < 127 else b"\x7f" + words.to_bytes(3, "little")
        return head + payload


class _Prefixed(asyncio.StreamReader):
    """A reader that first returns bytes already consumed while sniffing the transport tag."""

    def __init__(self, prefix: bytes, inner: asyncio.StreamReader) -> None:
        super().__init__()
        self._prefix = prefix
        self._inner = inner

    async def readexactly(self, n: int) -> bytes:
        if not self._prefix:
            return await self._inner.readexactly(n)
        head, self._prefix = self._prefix[:n], self._prefix[n:]
        if len(head) < n:
            head += await self._inner.readexactly(n - len(head))
        return head


async def open_transport(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> FullTransport:
    """Sniff the client's first bytes: abridged (0xef), intermediate (0xeeeeeeee), else full."""
    first = await reader.readexactly(1)
    if first == b"\xef":
        return AbridgedTransport(reader, writer)
    rest = await reader.readexactly(3)
    if first + rest == b"\xee\xee\xee\xee":
        return IntermediateTransport(reader, writer)
    if first + rest == b"\xdd\xdd\xdd\xdd":
        raise TransportError("padded intermediate (obfuscated) transport is not supported")
    return FullTransport(_Prefixed(first + rest, reader), writer)
