"""Checksum primitives: Luhn, mod-97, base58(check), bech32/bech32m, Keccak-256 (the
pre-standard padding Ethereum and Monero use, not SHA3-256), Monero's block base58 and
CRC16-XMODEM (TON).

Library code wherever the library passes the official vectors in tests/extract/vectors:
`stdnum.luhn` (Luhn), the `base58` package (Bitcoin Core key_io data), pycryptodome's Keccak
(EIP-55, Monero), `binascii.crc_hqx` (TEP-0002). Our own code remains where no library passes:
bech32/bech32m (the `bech32` package on PyPI implements BIP-173 only, with checksum constant 1:
it rejects all 7 valid BIP-350 bech32m strings and 5 of the 8 valid BIP-173/350 addresses),
Monero's block base58 (the `base58` package has only the Bitcoin whole-string encoding) and
mod-97 (a three-line loop; `stdnum.iban` is used for the full IBAN check).
"""

from __future__ import annotations

import binascii
from enum import Enum

import base58
from Crypto.Hash import keccak
from stdnum import luhn

# ---------------------------------------------------------------- Luhn / mod-97


def luhn_ok(digits: str) -> bool:
    """True when the ASCII digit string passes the Luhn (mod-10) check (`stdnum.luhn`)."""
    return bool(digits) and digits.isascii() and digits.isdigit() and luhn.checksum(digits) == 0


def mod97(text: str) -> int:
    """ISO 7064 mod 97-10 over an IBAN-style string (letters A=10 … Z=35)."""
    total = 0
    for ch in text:
        total = (total * 10 + ord(ch) - 48) % 97 if ch.isdigit() else (total * 100 + ord(ch) - 55) % 97
    return total


# ---------------------------------------------------------------- base58 / base58check

B58_ALPHABET = base58.BITCOIN_ALPHABET.decode("ascii")
_B58_INDEX = {c: i for i, c in enumerate(B58_ALPHABET)}
_B58_SET = frozenset(B58_ALPHABET)


def b58decode(text: str) -> bytes | None:
    """Decode Bitcoin base58; None when a character is outside the alphabet."""
    if not _B58_SET.issuperset(text):
        return None
    return base58.b58decode(text)


def b58encode(data: bytes) -> str:
    """Encode bytes as Bitcoin base58."""
    return base58.b58encode(data).decode("ascii")


def b58check_decode(text: str) -> bytes | None:
    """Decode base58check; returns the payload (version byte included) or None."""
    if not text or not _B58_SET.issuperset(text):
        return None
    try:
        return base58.b58decode_check(text)
    except ValueError:
        return None


def b58check_encode(payload: bytes) -> str:
    """Encode payload (version byte included) as base58check."""
    return base58.b58encode_check(payload).decode("ascii")


# ---------------------------------------------------------------- bech32 / bech32m (BIP-173/350)

BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_INDEX = {c: i for i, c in enumerate(BECH32_CHARSET)}


class Bech32Encoding(Enum):
    BECH32 = 1
    BECH32M = 0x2BC830A3


def _polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        b = chk >> 25
        chk = ((chk & 0x1FFFFFF) << 5) ^ v
        for i in range(5):
            if (b >> i) & 1:
                chk ^= gen[i]
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(x) >> 5 for x in hrp] + [0] + [ord(x) & 31 for x in hrp]


def bech32_decode(text: str) -> tuple[str, list[int], Bech32Encoding] | None:
    """Decode a bech32/bech32m string (BIP-173 rules: ≤ 90 chars, one case); None if invalid."""
    if any(ord(x) < 33 or ord(x) > 126 for x in text):
        return None
    if text.lower() != text and text.upper() != text:
        return None
    text = text.lower()
    pos = text.rfind("1")
    if pos < 1 or pos + 7 > len(text) or len(text) > 90:
        return None
    hrp = text[:pos]
    data: list[int] = []
    for ch in text[pos + 1 :]:
        v = _BECH32_INDEX.get(ch)
        if v is None:
            return None
        data.append(v)
    const = _polymod(_hrp_expand(hrp) + data)
    for enc in Bech32Encoding:
        if const == enc.value:
            return hrp, data[:-6], enc
    return None


def bech32_encode(hrp: str, data: list[int], enc: Bech32Encoding) -> str:
    """Encode 5-bit data with the given checksum constant."""
    values = _hrp_expand(hrp) + data
    poly = _polymod(values + [0] * 6) ^ enc.value
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32_CHARSET[d] for d in data + checksum)


def convertbits(data: list[int], frombits: int, tobits: int, pad: bool) -> list[int] | None:
    """General power-of-two base conversion (BIP-173 reference semantics)."""
    acc = 0
    bits = 0
    ret: list[int] = []
    maxv = (1 << tobits) - 1
    max_acc = (1 << (frombits + tobits - 1)) - 1
    for value in data:
        if value < 0 or (value >> frombits):
            return None
        acc = ((acc << frombits) | value) & max_acc
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            ret.append((acc >> bits) & maxv)
    if pad:
        if bits:
            ret.append((acc << (tobits - bits)) & maxv)
    elif bits >= frombits or ((acc << (tobits - bits)) & maxv):
        return None
    return ret


def segwit_decode(hrp: str, addr: str) -> tuple[int, bytes] | None:
    """Decode a segwit address for `hrp`: (witness version, program) or None (BIP-173/350)."""
    dec = bech32_decode(addr)
    if dec is None:
        return None
    hrpgot, data, enc = dec
    if hrpgot != hrp or not data:
        return None
    ver = data[0]
    if ver > 16:
        return None
    prog = convertbits(data[1:], 5, 8, False)
    if prog is None or len(prog) < 2 or len(prog) > 40:
        return None
    if ver == 0 and len(prog) not in (20, 32):
        return None
    if (ver == 0) != (enc is Bech32Encoding.BECH32):
        return None
    return ver, bytes(prog)


def segwit_encode(hrp: str, ver: int, prog: bytes) -> str | None:
    """Encode a segwit address, or None when the result would not decode."""
    enc = Bech32Encoding.BECH32 if ver == 0 else Bech32Encoding.BECH32M
    five = convertbits(list(prog), 8, 5, True)
    if five is None:
        return None
    out = bech32_encode(hrp, [ver] + five, enc)
    return out if segwit_decode(hrp, out) else None


# ---------------------------------------------------------------- Keccak-256


def keccak256(data: bytes) -> bytes:
    """Keccak-256 with the original 0x01 padding (Ethereum, Monero), not NIST SHA3-256
    (pycryptodome's Keccak; passes the EIP-55 and Monero vectors)."""
    return keccak.new(digest_bits=256, data=data).digest()


# ---------------------------------------------------------------- Monero base58 (8-byte blocks)

_XMR_FULL_BLOCK = 8
_XMR_ENC_SIZES = [0, 2, 3, 5, 6, 7, 9, 10, 11]


def xmr_b58decode(text: str) -> bytes | None:
    """Decode Monero's block base58 (11 chars per 8 bytes, shorter final block); None if invalid."""
    out = bytearray()
    full, rem = divmod(len(text), 11)
    if rem and rem not in _XMR_ENC_SIZES:
        return None
    blocks = [text[i * 11 : i * 11 + 11] for i in range(full)]
    if rem:
        blocks.append(text[full * 11 :])
    for block in blocks:
        size = _XMR_ENC_SIZES.index(len(block))
        num = 0
        for ch in block:
            v = _B58_INDEX.get(ch)
            if v is None:
                return None
            num = num * 58 + v
        if num >= 1 << (8 * size):
            return None
        out += num.to_bytes(size, "big")
    return bytes(out)


def xmr_b58encode(data: bytes) -> str:
    """Encode bytes with Monero's block base58."""
    out = []
    for off in range(0, len(data), _XMR_FULL_BLOCK):
        block = data[off : off + _XMR_FULL_BLOCK]
        num = int.from_bytes(block, "big")
        chars = []
        for _ in range(_XMR_ENC_SIZES[len(block)]):
            num, r = divmod(num, 58)
            chars.append(B58_ALPHABET[r])
        out.append("".join(reversed(chars)))
    return "".join(out)


# ---------------------------------------------------------------- CRC16-XMODEM (TON)


def crc16_xmodem(data: bytes) -> int:
    """CRC-16/XMODEM (poly 0x1021, init 0), the checksum of TON user-friendly addresses:
    `binascii.crc_hqx` with init 0 (passes the TEP-0002 vectors)."""
    return binascii.crc_hqx(data, 0)
