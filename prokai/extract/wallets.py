"""Crypto address validators: btc, ltc, trx, eth, xmr, ton.

Each `check_<kind>(text)` returns a `WalletCheck` (canonical value, network, checksum name, flags)
or None when the string is not a valid address of that kind. Canonical forms follow the
contract: bech32 lowercase, EIP-55 mixed case, everything else as written.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from prokai.extract.checksums import (
    b58check_decode,
    crc16_xmodem,
    keccak256,
    segwit_decode,
    xmr_b58decode,
)


@dataclass(frozen=True)
class WalletCheck:
    """The outcome of a successful validation."""

    value: str
    network: str
    checksum: str
    address_type: str = ""
    flags: tuple[str, ...] = field(default=())


# ---------------------------------------------------------------- Bitcoin-family

# chain → (p2pkh version, p2sh version, bech32 hrp)
BTC_CHAINS: dict[str, tuple[int, int, str]] = {
    "main": (0x00, 0x05, "bc"),
    "testnet4": (0x6F, 0xC4, "tb"),
    "test": (0x6F, 0xC4, "tb"),
    "signet": (0x6F, 0xC4, "tb"),
    "regtest": (0x6F, 0xC4, "bcrt"),
}


def _base58_address(text: str, versions: dict[int, str]) -> tuple[str, str] | None:
    payload = b58check_decode(text)
    if payload is None or len(payload) != 21:
        return None
    kind = versions.get(payload[0])
    return (kind, "base58check") if kind else None


def _segwit(text: str, hrp: str) -> tuple[str, str] | None:
    if not text.lower().startswith(hrp + "1"):
        return None
    dec = segwit_decode(hrp, text)
    if dec is None:
        return None
    ver, prog = dec
    kind = {0: "p2wpkh" if len(prog) == 20 else "p2wsh", 1: "p2tr"}.get(ver, f"witness_v{ver}")
    return kind, "bech32" if ver == 0 else "bech32m"


def check_btc(text: str, chain: str = "main") -> WalletCheck | None:
    """Bitcoin: base58check P2PKH/P2SH or segwit (bech32 for v0, bech32m for v1+)."""
    p2pkh, p2sh, hrp = BTC_CHAINS[chain]
    seg = _segwit(text, hrp)
    if seg:
        return WalletCheck(text.lower(), chain, seg[1], seg[0])
    # bcrt and tb share base58 versions; don't report regtest for a plain base58 address twice
    b58 = _base58_address(text, {p2pkh: "p2pkh", p2sh: "p2sh"})
    if b58:
        return WalletCheck(text, chain, b58[1], b58[0])
    return None


def check_ltc(text: str) -> WalletCheck | None:
    """Litecoin mainnet: L… (0x30), M… (0x32), legacy 3… P2SH (0x05), ltc1 segwit."""
    seg = _segwit(text, "ltc")
    if seg:
        return WalletCheck(text.lower(), "main", seg[1], seg[0])
    b58 = _base58_address(text, {0x30: "p2pkh", 0x32: "p2sh", 0x05: "p2sh"})
    if b58:
        return WalletCheck(text, "main", b58[1], b58[0])
    return None


def check_trx(text: str) -> WalletCheck | None:
    """TRON: base58check of 21 bytes with version 0x41 (addresses start with T)."""
    if len(text) != 34 or text[0] != "T":
        return None
    b58 = _base58_address(text, {0x41: "account"})
    return WalletCheck(text, "main", b58[1], b58[0]) if b58 else None


# ---------------------------------------------------------------- Ethereum (EIP-55)


def eip55(hex40: str) -> str:
    """The EIP-55 checksummed form of a 40-hex-digit address (without 0x)."""
    low = hex40.lower()
    digest = keccak256(low.encode("ascii")).hex()
    return "0x" + "".join(c.upper() if int(h, 16) >= 8 else c for c, h in zip(low, digest[:40], strict=True))


def check_eth(text: str) -> WalletCheck | None:
    """Ethereum: 0x + 40 hex. Mixed case must match EIP-55; one-case input is accepted but flagged."""
    if len(text) != 42 or text[:2] not in ("0x", "0X"):
        return None
    body = text[2:]
    try:
        int(body, 16)
    except ValueError:
        return None
    canon = eip55(body)
    if body == body.lower() or body == body.upper():
        # One-case input carries no checksum (EIP-55): accepted, normalized, flagged.
        return WalletCheck(canon, "main", "none", "account", ("unchecksummed",))
    if canon[2:] != body:
        return None
    return WalletCheck(canon, "main", "eip55", "account")


# ---------------------------------------------------------------- Monero

# network byte → (network, type, decoded length)
XMR_PREFIXES: dict[int, tuple[str, str, int]] = {
    18: ("main", "standard", 69),
    19: ("main", "integrated", 77),
    42: ("main", "subaddress", 69),
    53: ("test", "standard", 69),
    54: ("test", "integrated", 77),
    63: ("test", "subaddress", 69),
    24: ("stage", "standard", 69),
    25: ("stage", "integrated", 77),
    36: ("stage", "subaddress", 69),
}


def check_xmr(text: str, mainnet_only: bool = False) -> WalletCheck | None:
    """Monero: block base58, varint network byte, keys (+ payment id), Keccak-256 checksum."""
    if len(text) not in (95, 106):
        return None
    raw = xmr_b58decode(text)
    if raw is None or len(raw) < 5:
        return None
    info = XMR_PREFIXES.get(raw[0])
    if info is None or len(raw) != info[2]:
        return None
    if keccak256(raw[:-4])[:4] != raw[-4:]:
        return None
    if mainnet_only and info[0] != "main":
        return None
    return WalletCheck(text, info[0], "keccak256", info[1])


# ---------------------------------------------------------------- TON (TEP-0002)

_TON_TAGS = {0x11: "bounceable", 0x51: "non_bounceable"}


def check_ton(text: str) -> WalletCheck | None:
    """TON: user-friendly 48 chars (base64 or base64url, CRC16) or raw `wc:64hex`.

    Canonical value: the user-friendly form in the URL-safe alphabet with the flags as written
    (bounceable or not, testnet or not); the raw form with lower-case hex."""
    if ":" in text:
        wc, _, hexpart = text.partition(":")
        if wc not in ("0", "-1") or len(hexpart) != 64:
            return None
        try:
            bytes.fromhex(hexpart)
        except ValueError:
            return None
        return WalletCheck(f"{wc}:{hexpart.lower()}", "main", "none", "raw")
    if len(text) != 48:
        return None
    urlsafe = "-" in text or "_" in text
    if urlsafe and ("+" in text or "/" in text):
        return None
    try:
        raw = base64.b64decode(text, altchars=b"-_" if urlsafe else None, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 36:
        return None
    tag = raw[0]
    testnet = bool(tag & 0x80)
    kind = _TON_TAGS.get(tag & 0x7F)
    if kind is None or raw[1] not in (0x00, 0xFF):
        return None
    if crc16_xmodem(raw[:34]) != int.from_bytes(raw[34:], "big"):
        return None
    canon = text.replace("+", "-").replace("/", "_")
    return WalletCheck(canon, "test" if testnet else "main", "crc16", kind)


CHECKERS = {
    "btc": check_btc,
    "ltc": check_ltc,
    "trx": check_trx,
    "eth": check_eth,
    "xmr": check_xmr,
    "ton": check_ton,
}
