"""The auth-key handshake, server side: req_pq_multi, req_DH_params, set_client_DH_params.

Every connection that has no auth key runs it for real: the client factors pq, encrypts its
nonce with the sandbox's RSA key, and both sides agree on a fresh 2048-bit DH key. Nothing is
pre-shared except the public key the client was told to trust.
"""

from __future__ import annotations

import os
import random
import time
from hashlib import sha1
from typing import Any

from telethon.crypto import AES, AuthKey
from telethon.extensions import BinaryReader
from telethon.tl import functions, types

from prokai.sandbox.crypto import (
    DH_G,
    DH_PRIME,
    DH_PRIME_BYTES,
    DiffieHellman,
    ServerKey,
    int_to_bytes,
    tmp_aes_key_iv,
)


class HandshakeError(Exception):
    """The client broke the handshake; the connection is closed."""


def _is_prime(n: int) -> bool:
    if n < 2:
        return False
    for p in (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37):
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for a in (2, 3, 5, 7, 11, 13, 17):
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _random_prime(bits: int) -> int:
    rng = random.SystemRandom()
    while True:
        n = rng.getrandbits(bits) | (1 << (bits - 1)) | 1
        if _is_prime(n):
            return n


def _random_int128() -> int:
    return int.from_bytes(os.urandom(16), "little", signed=True)


class Handshake:
    """State of one connection's key exchange."""

    def __init__(self, server_key: ServerKey) -> None:
        self._key = server_key
        self.nonce: int | None = None
        self.server_nonce = 0
        self.new_nonce = 0
        self._p = self._q = 0
        self._dh: DiffieHellman | None = None

    def handle(self, request: Any) -> tuple[Any, AuthKey | None, int]:
        """Answer one plain request; returns (reply, finished auth key or None, initial salt)."""
        if isinstance(request, (functions.ReqPqMultiRequest, functions.ReqPqRequest)):
            return self._res_pq(request), None, 0
        if isinstance(request, functions.ReqDHParamsRequest):
            return self._dh_params(request), None, 0
        if isinstance(request, functions.SetClientDHParamsRequest):
            return self._client_dh(request)
        raise HandshakeError(f"unexpected plain message {type(request).__name__}")

    def _res_pq(self, req: Any) -> Any:
        self.nonce = req.nonce
        self.server_nonce = _random_int128()
        p, q = sorted((_random_prime(31), _random_prime(31)))
        self._p, self._q = p, q
        return types.ResPQ(
            nonce=req.nonce,
            server_nonce=self.server_nonce,
            pq=int_to_bytes(p * q),
            server_public_key_fingerprints=[self._key.fingerprint],
        )

    def _check_nonces(self, req: Any) -> None:
        if self.nonce is None or req.nonce != self.nonce or req.server_nonce != self.server_nonce:
            raise HandshakeError("nonce mismatch")

    def _dh_params(self, req: Any) -> Any:
        self._check_nonces(req)
        if req.public_key_fingerprint != self._key.fingerprint:
            raise HandshakeError("unknown RSA key fingerprint")
        if int.from_bytes(req.p, "big") != self._p or int.from_bytes(req.q, "big") != self._q:
            raise HandshakeError("wrong factorization of pq")
        plain = self._key.decrypt_raw(req.encrypted_data)
        digest, data = plain[:20], plain[20:]
        reader = BinaryReader(data)
        inner = reader.tgread_object()
        if sha1(data[: reader.tell_position()]).digest() != digest:
            raise HandshakeError("bad SHA1 of p_q_inner_data")
        if not isinstance(inner, (types.PQInnerData, types.PQInnerDataDc)):
            raise HandshakeError(f"unexpected inner data {type(inner).__name__}")
        if inner.nonce != self.nonce or inner.server_nonce != self.server_nonce:
            raise HandshakeError("nonce mismatch in p_q_inner_data")
        self.new_nonce = inner.new_nonce
        self._dh = DiffieHellman()
        answer = bytes(
            types.ServerDHInnerData(
                nonce=self.nonce,
                server_nonce=self.server_nonce,
                g=DH_G,
                dh_prime=DH_PRIME_BYTES,
                g_a=int_to_bytes(self._dh.g_a),
                server_time=int(time.time()),  # real time: msg ids are derived from it
            )
        )
        with_hash = sha1(answer).digest() + answer
        with_hash += os.urandom(-len(with_hash) % 16)
        key, iv = tmp_aes_key_iv(self.server_nonce, self.new_nonce)
        return types.ServerDHParamsOk(
            nonce=self.nonce, server_nonce=self.server_nonce, encrypted_answer=AES.encrypt_ige(with_hash, key, iv)
        )

    def _client_dh(self, req: Any) -> tuple[Any, AuthKey, int]:
        self._check_nonces(req)
        if self._dh is None:
            raise HandshakeError("set_client_DH_params before req_DH_params")
        key, iv = tmp_aes_key_iv(self.server_nonce, self.new_nonce)
        plain = AES.decrypt_ige(req.encrypted_data, key, iv)
        reader = BinaryReader(plain[20:])
        inner = reader.tgread_object()
        if sha1(plain[20 : 20 + reader.tell_position()]).digest() != plain[:20]:
            raise HandshakeError("bad SHA1 of client_DH_inner_data")
        if not isinstance(inner, types.ClientDHInnerData):
            raise HandshakeError(f"unexpected inner data {type(inner).__name__}")
        g_b = int.from_bytes(inner.g_b, "big")
        if not 1 < g_b < DH_PRIME - 1:
            raise HandshakeError("g_b out of range")
        auth_key = AuthKey(self._dh.shared(g_b))
        nn = self.new_nonce.to_bytes(32, "little", signed=True)
        sn = self.server_nonce.to_bytes(16, "little", signed=True)
        salt = int.from_bytes(bytes(a ^ b for a, b in zip(nn[:8], sn[:8], strict=True)), "little", signed=True)
        reply = types.DhGenOk(
            nonce=self.nonce,
            server_nonce=self.server_nonce,
            new_nonce_hash1=auth_key.calc_new_nonce_hash(self.new_nonce, 1),
        )
        return reply, auth_key, salt
