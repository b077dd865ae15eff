"""Fake but checksum-valid requisites: bank cards, KZ IBANs, +7 phones, crypto addresses.

Every value the sandbox hands out passes the same checks a real one would (Luhn, IBAN mod-97,
Base58Check, bech32, EIP-55), so the crawler's recognizers treat them like real requisites.
`generate(kind, rng, ...)` makes one; `normalize(kind, text)` returns the canonical value (the
form `prokai extract` reports) or raises `ValueError` naming what is wrong.

The checksums, normalizers, generators and display forms here are an independent oracle: the
sandbox's ground truth must not come from the extractor it grades, so they are written anew and
never import `prokai.extract`'s validators. Facts that are data, not logic (which kinds exist,
the bank an IBAN code belongs to) come from the one kinds table, `prokai.extract.kinds`.
"""

from __future__ import annotations

import hashlib
import random
import re

from prokai.extract import kinds as kind_table
from prokai.sandbox.shops.keccak import keccak256

# The kinds the sandbox can generate and check (a subset of `prokai.extract.kinds.KIND_TABLE`,
# in its order, and `spec.Kind`'s values; tests/extract/test_kind_table.py checks both).
KINDS: tuple[str, ...] = ("card", "iban", "phone", "btc", "eth", "trx")
# The kinds a generated scenario writes in spaced groups (an IBAN and wallets go as one token):
# the sandbox's own choice of how shops write, a subset of KINDS.
WRITTEN_SPACED: frozenset[str] = frozenset({"card", "phone"})

# Kazakh issuers' BINs (6 digits) with the bank name shown to buyers.
KZ_BINS: dict[str, str] = {
    "440043": "Kaspi Bank",
    "400303": "Halyk Bank",
    "440563": "Halyk Bank",
    "539545": "Jusan Bank",
    "517792": "ForteBank",
    "521185": "Freedom Bank",
    "427035": "Bank CenterCredit",
}
# The KZ IBAN bank codes (3 digits after the check digits) the sandbox's shops are given, with
# the bank each belongs to in the one table (`prokai.extract.kinds.KZ_BANK_CODES`). Bank
# CenterCredit's code is 856 there; this list had 826 (ATF Bank's) under that name.
KZ_BANK_CODES: dict[str, str] = {
    code: kind_table.KZ_BANK_CODES[code] for code in ("722", "601", "998", "965", "551", "856")
}
# Kazakh mobile prefixes after +7.
KZ_MOBILE_PREFIXES: tuple[str, ...] = ("700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777", "778")

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


# ---------------------------------------------------------------------- checksums


def luhn_ok(digits: str) -> bool:
    """True when the digit string passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def luhn_digit(partial: str) -> str:
    """The check digit that makes `partial + digit` pass Luhn."""
    for d in "0123456789":
        if luhn_ok(partial + d):
            return d
    raise AssertionError("unreachable")


def _iban_mod97(iban: str) -> int:
    moved = iban[4:] + iban[:4]
    numeric = "".join(str(int(ch, 36)) for ch in moved)
    return int(numeric) % 97


def iban_ok(iban: str) -> bool:
    """True for a KZ IBAN of 20 characters with a valid mod-97 check."""
    return bool(re.fullmatch(r"KZ\d{2}[0-9A-Z]{16}", iban)) and _iban_mod97(iban) == 1


def _b58encode(data: bytes) -> str:
    num = int.from_bytes(data, "big")
    out = ""
    while num:
        num, rem = divmod(num, 58)
        out = _B58[rem] + out
    pad = len(data) - len(data.lstrip(b"\0"))
    return "1" * pad + out


def _b58decode(text: str) -> bytes:
    num = 0
    for ch in text:
        idx = _B58.find(ch)
        if idx < 0:
            raise ValueError(f"'{ch}' is not a Base58 character")
        num = num * 58 + idx
    body = num.to_bytes((num.bit_length() + 7) // 8, "big") if num else b""
    pad = len(text) - len(text.lstrip("1"))
    return b"\0" * pad + body


def _dsha(data: bytes) -> bytes:
    return hashlib.sha256(hashlib.sha256(data).digest()).digest()


def b58check_encode(payload: bytes) -> str:
    """Base58Check: payload + the first 4 bytes of double SHA-256."""
    return _b58encode(payload + _dsha(payload)[:4])


def b58check_decode(text: str) -> bytes:
    """The payload of a Base58Check string; ValueError when the checksum fails."""
    raw = _b58decode(text)
    if len(raw) < 5 or _dsha(raw[:-4])[:4] != raw[-4:]:
        raise ValueError("Base58Check checksum fails")
    return raw[:-4]


def _bech32_polymod(values: list[int]) -> int:
    gen = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)
    chk = 1
    for v in values:
        top = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if (top >> i) & 1 else 0
    return chk


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _convertbits(data: bytes, frombits: int, tobits: int) -> list[int]:
    acc = bits = 0
    out: list[int] = []
    maxv = (1 << tobits) - 1
    for value in data:
        acc = (acc << frombits) | value
        bits += frombits
        while bits >= tobits:
            bits -= tobits
            out.append((acc >> bits) & maxv)
    if bits:
        out.append((acc << (tobits - bits)) & maxv)
    return out


def bech32_segwit_v0(hrp: str, program: bytes) -> str:
    """A segwit v0 (bech32, BIP-173) address for a 20- or 32-byte program."""
    data = [0] + _convertbits(program, 8, 5)
    poly = _bech32_polymod(_hrp_expand(hrp) + data + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(_BECH32[d] for d in data + checksum)


def bech32_ok(addr: str) -> bool:
    """True for a well-formed bech32 (v0) address with a valid checksum."""
    if addr.lower() != addr and addr.upper() != addr:
        return False
    addr = addr.lower()
    pos = addr.rfind("1")
    if pos < 1 or pos + 7 > len(addr):
        return False
    hrp, rest = addr[:pos], addr[pos + 1 :]
    if any(c not in _BECH32 for c in rest):
        return False
    return _bech32_polymod(_hrp_expand(hrp) + [_BECH32.index(c) for c in rest]) == 1


def eip55(hex40: str) -> str:
    """The EIP-55 mixed-case form of a 40-hex-digit Ethereum address (with 0x)."""
    lower = hex40.lower().removeprefix("0x")
    digest = keccak256(lower.encode()).hex()
    return "0x" + "".join(ch.upper() if ch.isalpha() and int(digest[i], 16) >= 8 else ch for i, ch in enumerate(lower))


# ---------------------------------------------------------------------- normalize / validate


def normalize(kind: str, text: str) -> str:
    """The canonical value of a requisite as `prokai extract` reports it; ValueError if invalid."""
    raw = text.strip()
    if kind == "card":
        digits = re.sub(r"[\s-]", "", raw)
        if not re.fullmatch(r"\d{16}", digits):
            raise ValueError(f"card '{text}' must have 16 digits")
        if not luhn_ok(digits):
            raise ValueError(f"card '{text}' fails the Luhn check")
        return digits
    if kind == "iban":
        iban = re.sub(r"\s", "", raw).upper()
        if not iban_ok(iban):
            raise ValueError(f"IBAN '{text}' is not a valid KZ IBAN (KZ + 18 characters, mod-97)")
        return iban
    if kind == "phone":
        digits = re.sub(r"\D", "", raw)
        if len(digits) == 11 and digits[0] in "78":
            digits = "7" + digits[1:]
        if not (len(digits) == 11 and digits.startswith("7") and digits[1:4] in KZ_MOBILE_PREFIXES):
            raise ValueError(f"phone '{text}' is not a Kazakh mobile number (+7 7xx xxx xx xx)")
        return "+" + digits
    if kind == "btc":
        if raw.lower().startswith("bc1"):
            if not bech32_ok(raw):
                raise ValueError(f"BTC address '{text}' fails the bech32 check")
            return raw.lower()
        payload = b58check_decode(raw)
        if len(payload) != 21 or payload[0] not in (0x00, 0x05):
            raise ValueError(f"BTC address '{text}' has the wrong version or length")
        return raw
    if kind == "eth":
        if not re.fullmatch(r"0x[0-9a-fA-F]{40}", raw):
            raise ValueError(f"ETH address '{text}' must be 0x and 40 hex digits")
        canonical = eip55(raw)
        if raw != raw.lower() and raw != "0x" + raw[2:].upper() and raw != canonical:
            raise ValueError(f"ETH address '{text}' fails the EIP-55 checksum")
        return canonical
    if kind == "trx":
        payload = b58check_decode(raw)
        if len(payload) != 21 or payload[0] != 0x41:
            raise ValueError(f"TRON address '{text}' must be Base58Check of 0x41 + 20 bytes")
        return raw
    raise ValueError(f"unknown requisite kind '{kind}' (known: {', '.join(KINDS)})")


def bank_of(kind: str, value: str) -> str:
    """The bank a card BIN or a KZ IBAN bank code belongs to ('' when unknown or not a bank)."""
    if kind == "card":
        return KZ_BINS.get(value[:6], "")
    if kind == "iban":
        return kind_table.KZ_BANK_CODES.get(value[4:7], "")
    return ""


# ---------------------------------------------------------------------- generate


def gen_card(rng: random.Random, bin6: str = "440043") -> str:
    """A 16-digit card number with `bin6` and a valid Luhn digit."""
    body = bin6 + "".join(rng.choice("0123456789") for _ in range(15 - len(bin6)))
    return body + luhn_digit(body)


def gen_iban(rng: random.Random, bank_code: str = "722") -> str:
    """A KZ IBAN (20 characters) whose check digits make mod-97 equal 1."""
    bban = bank_code + "C" + "".join(rng.choice("0123456789") for _ in range(16 - len(bank_code) - 1))
    check = 98 - _iban_mod97("KZ00" + bban)
    return f"KZ{check:02d}{bban}"


def gen_phone(rng: random.Random) -> str:
    """A +7 Kazakh mobile number in E.164."""
    return "+7" + rng.choice(KZ_MOBILE_PREFIXES) + "".join(rng.choice("0123456789") for _ in range(7))


def gen_btc(rng: random.Random, bech32: bool = False) -> str:
    """A P2PKH ('1…') or P2WPKH ('bc1q…') address over random key-hash bytes."""
    h160 = bytes(rng.getrandbits(8) for _ in range(20))
    return bech32_segwit_v0("bc", h160) if bech32 else b58check_encode(b"\x00" + h160)


def gen_eth(rng: random.Random) -> str:
    """An EIP-55 checksummed Ethereum address."""
    return eip55(bytes(rng.getrandbits(8) for _ in range(20)).hex())


def gen_trx(rng: random.Random) -> str:
    """A TRON ('T…') address, also what USDT-TRC20 payments go to."""
    return b58check_encode(b"\x41" + bytes(rng.getrandbits(8) for _ in range(20)))


def generate(kind: str, rng: random.Random, *, bin6: str | None = None, bank_code: str | None = None) -> str:
    """One valid requisite of `kind`, canonical form."""
    if kind == "card":
        return gen_card(rng, bin6 or rng.choice(list(KZ_BINS)))
    if kind == "iban":
        return gen_iban(rng, bank_code or rng.choice(list(KZ_BANK_CODES)))
    if kind == "phone":
        return gen_phone(rng)
    if kind == "btc":
        return gen_btc(rng, bech32=rng.random() < 0.5)
    if kind == "eth":
        return gen_eth(rng)
    if kind == "trx":
        return gen_trx(rng)
    raise ValueError(f"unknown requisite kind '{kind}' (known: {', '.join(KINDS)})")


# ---------------------------------------------------------------------- display forms

_LOOKALIKE = {"0": "O", "3": "З", "6": "б", "1": "l"}


def display(kind: str, value: str, style: str = "plain") -> str:
    """How a shop writes the value: plain, spaced groups, dashes, or with lookalike letters."""
    if kind == "card":
        groups = [value[i : i + 4] for i in range(0, 16, 4)]
        text = "-".join(groups) if style == "dashes" else " ".join(groups)
    elif kind == "iban":
        text = " ".join(value[i : i + 4] for i in range(0, len(value), 4)) if style != "plain" else value
        if style == "lookalike":
            text = "КZ" + text[2:]  # Cyrillic К
    elif kind == "phone":
        d = value[2:]
        text = f"+7 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}"
        if style == "dashes":
            text = f"8-{d[:3]}-{d[3:6]}-{d[6:8]}-{d[8:]}"
    else:
        return value  # wallet addresses are case-sensitive: shops paste them as they are
    if style == "lookalike" and kind in ("card", "phone"):
        head, tail = text[:4], text[4:]
        text = head + "".join(_LOOKALIKE.get(ch, ch) for ch in tail)
    return text


def split_parts(kind: str, value: str, parts: int) -> list[str]:
    """The value cut into `parts` consecutive pieces (sent as separate messages)."""
    text = display(kind, value, "plain").replace(" ", "") if kind_table.group_of(kind) == "bank" else value
    parts = max(2, min(parts, len(text)))
    size, extra = divmod(len(text), parts)
    out, pos = [], 0
    for i in range(parts):
        n = size + (1 if i < extra else 0)
        out.append(text[pos : pos + n])
        pos += n
    return out
