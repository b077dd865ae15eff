"""The MTProto "full" TCP transport (server side): length, sequence number, payload, CRC32."""

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
