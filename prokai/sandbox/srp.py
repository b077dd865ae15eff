"""Server half of Telegram's two-step verification SRP (the mirror of telethon/password.py)."""

from __future__ import annotations

import hashlib
import os
from typing import Any

from telethon.tl import types

from prokai.sandbox.crypto import DH_G, DH_PRIME, DH_PRIME_BYTES, powmod


def _h(*parts: bytes) -> bytes:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    return digest.digest()


def _pad(value: int) -> bytes:
    return value.to_bytes(256, "big")


def password_hash(salt1: bytes, salt2: bytes, password: str) -> int:
    """x = PH2(password, salt1, salt2) as an integer."""
    h1 = _h(salt1, password.encode("utf-8"), salt1)
    h2 = _h(salt2, h1, salt2)
    h3 = hashlib.pbkdf2_hmac("sha512", h2, salt1, 100000)
    return int.from_bytes(_h(salt2, h3, salt2), "big")


class SrpAccount:
    """An account's SRP verifier (v = g^x mod p) with its salts."""

    def __init__(self, password: str) -> None:
        self.salt1 = os.urandom(40)
        self.salt2 = os.urandom(16)
        self.v = powmod(DH_G, password_hash(self.salt1, self.salt2, password), DH_PRIME)

    def algo(self) -> Any:
        """The KDF algorithm object account.getPassword announces."""
        return types.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow(
            salt1=self.salt1, salt2=self.salt2, g=DH_G, p=DH_PRIME_BYTES
        )

    def challenge(self) -> tuple[int, bytes]:
        """A fresh secret b and the public B = k*v + g^b mod p."""
        k = int.from_bytes(_h(DH_PRIME_BYTES, _pad(DH_G)), "big")
        while True:
            b = int.from_bytes(os.urandom(256), "big")
            big_b = (k * self.v + powmod(DH_G, b, DH_PRIME)) % DH_PRIME
            if big_b > 0:
                return b, _pad(big_b)

    def verify(self, b: int, big_b: bytes, a_bytes: bytes, m1: bytes) -> bool:
        """Whether the client's (A, M1) prove knowledge of the password."""
        big_a = int.from_bytes(a_bytes, "big")
        if not 0 < big_a < DH_PRIME:
            return False
        a_pad = _pad(big_a)
        u = int.from_bytes(_h(a_pad, big_b), "big")
        s = powmod(big_a * powmod(self.v, u, DH_PRIME) % DH_PRIME, b, DH_PRIME)
        k_key = _h(_pad(s))
        g_hash = _h(_pad(DH_G))
        p_hash = _h(DH_PRIME_BYTES)
        expected = _h(
            bytes(x ^ y for x, y in zip(p_hash, g_hash, strict=True)),
            _h(self.salt1),
            _h(self.salt2),
            a_pad,
            big_b,
            k_key,
        )
        return expected == m1
