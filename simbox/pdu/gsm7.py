"""GSM 7-bit default alphabet and its extension table (3GPP TS 23.038 §6.2.1), septet packing."""

from __future__ import annotations

# Index = septet value (3GPP TS 23.038 §6.2.1, default alphabet).
BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
assert len(BASIC) == 128
ESC = 0x1B
# Extension table (§6.2.1.1): reached by ESC; 0x0A is a page break shown as form feed.
EXTENSION = {
    0x0A: "\x0c",
    0x14: "^",
    0x28: "{",
    0x29: "}",
    0x2F: "\\",
    0x3C: "[",
    0x3D: "~",
    0x3E: "]",
    0x40: "|",
    0x65: "€",
}
_BASIC_REV = {ch: i for i, ch in enumerate(BASIC) if i != ESC}
_EXT_REV = {ch: code for code, ch in EXTENSION.items()}


def can_encode(text: str) -> bool:
    """True if every character is in the default alphabet or its extension table."""
    return all(ch in _BASIC_REV or ch in _EXT_REV for ch in text)


def to_septets(text: str) -> list[int]:
    """Characters → septet values (extension characters take two). ValueError if impossible."""
    out: list[int] = []
    for ch in text:
        if ch in _BASIC_REV:
            out.append(_BASIC_REV[ch])
        elif ch in _EXT_REV:
            out += [ESC, _EXT_REV[ch]]
        else:
            raise ValueError(f"character {ch!r} is not in the GSM 7-bit alphabet")
    return out


def septet_len(text: str) -> int:
    """How many septets `text` takes."""
    return sum(2 if ch in _EXT_REV else 1 for ch in text)


def from_septets(septets: list[int]) -> str:
    """Septet values → text; an unknown escape shows the basic character (§6.2.1.1 rule)."""
    out: list[str] = []
    escaped = False
    for s in septets:
        s &= 0x7F
        if escaped:
            escaped = False
            out.append(EXTENSION.get(s, BASIC[s] if s != ESC else " "))
        elif s == ESC:
            escaped = True
        else:
            out.append(BASIC[s])
    return "".join(out)


def pack(septets: list[int], fill_bits: int = 0) -> bytes:
    """Pack septets into octets, little-endian bit order, after `fill_bits` zero bits (UDH padding)."""
    acc = 0
    nbits = fill_bits
    out = bytearray()
    for s in septets:
        acc |= (s & 0x7F) << nbits
        nbits += 7
        while nbits >= 8:
            out.append(acc & 0xFF)
            acc >>= 8
            nbits -= 8
    if nbits > 0:
        out.append(acc & 0xFF)
    return bytes(out)


def unpack(data: bytes, count: int, fill_bits: int = 0) -> list[int]:
    """Unpack `count` septets from octets, skipping `fill_bits` leading bits."""
    value = int.from_bytes(data, "little")
    total_bits = len(data) * 8
    out: list[int] = []
    for i in range(count):
        pos = fill_bits + 7 * i
        if pos + 7 > total_bits:
            break
        out.append((value >> pos) & 0x7F)
    return out


def encode_packed(text: str) -> bytes:
    """Text → packed GSM 7-bit octets."""
    return pack(to_septets(text))


def decode_packed(data: bytes, count: int | None = None, fill_bits: int = 0) -> str:
    """Packed GSM 7-bit octets → text (`count` septets, default: as many as fit)."""
    if count is None:
        count = (len(data) * 8 - fill_bits) // 7
    return from_septets(unpack(data, count, fill_bits))
