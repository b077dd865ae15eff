"""Server-side MTProto crypto: the sandbox RSA key, Diffie-Hellman and MTProto 2.0 framing.

Built on Telethon's own primitives (`telethon.crypto.AES` for AES-IGE, `AuthKey` for key ids) so
the server computes exactly what a stock client expects.
"""

from __future__ import annotations

import os
import struct
from functools import lru_cache
from hashlib import sha1, sha256
from importlib import resources

from telethon.crypto import AES, AuthKey

try:
    import gmpy2 as _gmpy2
except ImportError:  # pragma: no cover - gmpy2 is a declared dependency
    _gmpy2 = None
from telethon.tl import TLObject

# Telegram's 2048-bit safe prime (g = 3), the same constant Telethon checks SRP parameters against.
DH_PRIME_HEX = (
    "C71CAEB9C6B1C9048E6C522F70F13F73980D40238E3E21C14934D037563D930F48198A0AA7C14058229493D22530F4DB"
    "FA336F6E0AC925139543AED44CCE7C3720FD51F69458705AC68CD4FE6B6B13ABDC9746512969328454F18FAF8C595F64"
    "2477FE96BB2A941D5BCD1D4AC8CC49880708FA9B378E3C4F3A9060BEE67CF9A4A4A695811051907E162753B56B0F6B41"
    "0DBA74D8A84B2A14B3144E0EF1284754FD17ED950D5965B4B9DD46582DB1178D169C6BC465B0D6FF9CA3928FEF5B9AE4"
    "E418FC15E83EBEA0F87FA9FF5EED70050DED2849F47BF959D956850CE929851F0D8115F635B105EE2E4E15D04B2454BF"
    "6F4FADF034B10403119CD8E3B92FCC5B"
)
DH_PRIME_BYTES = bytes.fromhex(DH_PRIME_HEX)
DH_PRIME = int.from_bytes(DH_PRIME_BYTES, "big")
DH_G = 3


def powmod(base: int, exp: int, mod: int) -> int:
    """Modular exponentiation: GMP when available (about 10x faster), else Python's pow."""
    if _gmpy2 is not None:
        return int(_gmpy2.powmod(base, exp, mod))
    return pow(base, exp, mod)


def int_to_bytes(value: int) -> bytes:
    """Big-endian bytes without leading zeros (Telethon's `rsa.get_byte_array`)."""
    return value.to_bytes((value.bit_length() + 7) // 8, "big")


def public_key_pem() -> bytes:
    """The sandbox server's RSA public key (PKCS#1 PEM) that clients must trust."""
    return resources.files("prokai.sandbox").joinpath("data/server_key.pub.pem").read_bytes()


class ServerKey:
    """The sandbox's own RSA key: fingerprint as Telegram computes it, and raw RSA decryption."""

    def __init__(self, private_pem: bytes) -> None:
        from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        key = load_pem_private_key(private_pem, password=None)
        if not isinstance(key, RSAPrivateKey):
            raise ValueError("server key must be an RSA private key")
        nums = key.private_numbers()
        self.n = nums.public_numbers.n
        self.e = nums.public_numbers.e
        self._p, self._q = nums.p, nums.q
        self._dp, self._dq, self._qinv = nums.dmp1, nums.dmq1, nums.iqmp
        n_bytes = TLObject.serialize_bytes(int_to_bytes(self.n))
        e_bytes = TLObject.serialize_bytes(int_to_bytes(self.e))
        self.fingerprint: int = struct.unpack("<q", sha1(n_bytes + e_bytes).digest()[-8:])[0]

    @classmethod
    def bundled(cls) -> ServerKey:
        """The key pair shipped in the package (sandbox only; never a secret)."""
        return _bundled_key()

    def decrypt_raw(self, cipher: bytes) -> bytes:
        """Raw (unpadded) RSA decryption with CRT.

        Returns 255 big-endian bytes: Telethon encrypts `sha1(data) + data + padding` (255 bytes).
        """
        c = int.from_bytes(cipher, "big")
        m1 = powmod(c, self._dp, self._p)
        m2 = powmod(c, self._dq, self._q)
        h = (self._qinv * (m1 - m2)) % self._p
        m = m2 + h * self._q
        return m.to_bytes(256, "big")[1:]


@lru_cache(maxsize=1)
def _bundled_key() -> ServerKey:
    pem = resources.files("prokai.sandbox").joinpath("data/server_key.pem").read_bytes()
    return ServerKey(pem)


class DiffieHellman:
    """Server half of the handshake's DH exchange over Telegram's 2048-bit prime (a is 2048 bits)."""

    def __init__(self) -> None:
        self._a = int.from_bytes(os.urandom(256), "big")
        self.g_a: int = powmod(DH_G, self._a, DH_PRIME)

    def shared(self, g_b: int) -> bytes:
        """g_b^a mod p as Telethon's auth key bytes (big-endian, no leading zeros)."""
        return int_to_bytes(powmod(g_b, self._a, DH_PRIME))


def tmp_aes_key_iv(server_nonce: int, new_nonce: int) -> tuple[bytes, bytes]:
    """The temporary AES key/iv of the handshake (Telethon's `generate_key_data_from_nonce`)."""
    sn = server_nonce.to_bytes(16, "little", signed=True)
    nn = new_nonce.to_bytes(32, "little", signed=True)
    h1 = sha1(nn + sn).digest()
    h2 = sha1(sn + nn).digest()
    h3 = sha1(nn + nn).digest()
    key = h1 + h2[:12]
    iv = h2[12:20] + h3 + nn[:4]
    return key, iv


def calc_key(auth_key: bytes, msg_key: bytes, client: bool) -> tuple[bytes, bytes]:
    """MTProto 2.0 AES key and IV; `client=True` for client→server messages."""
    x = 0 if client else 8
    a = sha256(msg_key + auth_key[x : x + 36]).digest()
    b = sha256(auth_key[x + 40 : x + 76] + msg_key).digest()
    return a[:8] + b[8:24] + a[24:32], b[:8] + a[8:24] + b[24:32]


class DecryptError(Exception):
    """An encrypted message that does not check out (bad msg_key or length)."""


def decrypt_from_client(key: AuthKey, body: bytes) -> bytes:
    """Decrypt a client→server message (`body` starts with auth_key_id); returns the plaintext."""
    if len(body) < 24 + 32 or (len(body) - 24) % 16:
        raise DecryptError("bad encrypted message length")
    msg_key = body[8:24]
    aes_key, aes_iv = calc_key(key.key, msg_key, True)
    plain = AES.decrypt_ige(body[24:], aes_key, aes_iv)
    if sha256(key.key[88 : 88 + 32] + plain).digest()[8:24] != msg_key:
        raise DecryptError("msg_key mismatch")
    return plain


def encrypt_to_client(key: AuthKey, plain: bytes) -> bytes:
    """Encrypt a server→client message (plaintext = salt + session + msg header + body)."""
    padding = os.urandom(-(len(plain) + 12) % 16 + 12)
    msg_key = sha256(key.key[96 : 96 + 32] + plain + padding).digest()[8:24]
    aes_key, aes_iv = calc_key(key.key, msg_key, False)
    return struct.pack("<Q", key.key_id) + msg_key + AES.encrypt_ige(plain + padding, aes_key, aes_iv)
