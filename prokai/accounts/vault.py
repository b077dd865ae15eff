"""The session vault: Telethon `StringSession` strings encrypted at rest with AES-256-GCM.

A sealed session is `b"PKV1" ‖ nonce(12) ‖ ciphertext+tag`; the associated data binds it to
the account's phone, so a ciphertext copied onto another account row does not open. Keys are
32 random bytes given as base64 or hex in `PROKAI_VAULT_KEY` or in the file
`secrets.vault_key_file`; each key has an id (a hash of the key, never the key) stored beside
every sealed session, so `prokai vault rekey` knows which key opens which row. Old keys for a
rekey come from `PROKAI_VAULT_OLD_KEYS` (comma-separated) or files given on the command line.

Export/import moves one session between nodes: the export is sealed with a key derived (scrypt)
from a transfer passphrase, never with the vault key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from prokai.config import ConfigError, Settings, load_secret
from prokai.keys import KEY_LEN, VaultError, parse_key
from prokai.logs import register_secret

MAGIC = b"PKV1"
NONCE_LEN = 12
OLD_KEYS_ENV = "PROKAI_VAULT_OLD_KEYS"
EXPORT_FORMAT = "prokai-session-export/1"


def key_id(key: bytes) -> str:
    """A short public name for `key` (not reversible)."""
    return hashlib.sha256(b"prokai-vault-key-id\x00" + key).hexdigest()[:16]


def new_key_text() -> str:
    """A fresh random key, base64."""
    return base64.b64encode(os.urandom(KEY_LEN)).decode("ascii")


def _aad(phone: str) -> bytes:
    return b"prokai-session\x00" + phone.encode("utf-8")


@dataclass(frozen=True)
class Sealed:
    """A sealed session and the id of the key that sealed it."""

    blob: bytes
    key_id: str


class Vault:
    """Seals and opens session strings; `current` seals, every known key opens."""

    def __init__(self, current: bytes, old: Iterable[bytes] = ()) -> None:
        self._current = current
        self.current_id = key_id(current)
        self._keys: dict[str, bytes] = {key_id(k): k for k in old}
        self._keys[self.current_id] = current

    @classmethod
    def from_settings(cls, settings: Settings, old_key_texts: Iterable[str] = ()) -> Vault:
        """The vault key from `PROKAI_VAULT_KEY` or `secrets.vault_key_file`; old keys from
        `PROKAI_VAULT_OLD_KEYS` and `old_key_texts`."""
        try:
            text = load_secret(settings, "vault_key")
        except ConfigError as exc:
            raise VaultError(str(exc)) from None
        if not text:
            raise VaultError(
                "no vault key: set PROKAI_VAULT_KEY or secrets.vault_key_file (make one with `prokai vault keygen`)"
            )
        current = parse_key(text, "vault key")
        olds = [parse_key(t, OLD_KEYS_ENV) for t in os.environ.get(OLD_KEYS_ENV, "").split(",") if t.strip()]
        olds += [parse_key(t, "old key") for t in old_key_texts]
        return cls(current, olds)

    def knows(self, kid: str | None) -> bool:
        """Whether a key with id `kid` is loaded."""
        return kid is not None and kid in self._keys

    def seal(self, phone: str, session_string: str) -> Sealed:
        """Encrypt `session_string` for the account on `phone` under the current key."""
        register_secret(session_string)
        nonce = os.urandom(NONCE_LEN)
        ct = AESGCM(self._current).encrypt(nonce, session_string.encode("utf-8"), _aad(phone))
        return Sealed(MAGIC + nonce + ct, self.current_id)

    def fingerprint(self, *parts: str) -> str:
        """A keyed, non-reversible tag of `parts` (e.g. which 2FA passwords were tried already)."""
        import hmac

        msg = "\x00".join(parts).encode("utf-8")
        return hmac.new(self._current, b"prokai-fingerprint\x00" + msg, hashlib.sha256).hexdigest()[:24]

    def open(self, phone: str, blob: bytes, kid: str | None) -> str:
        """Decrypt a sealed session; VaultError if the key is unknown or the data was altered."""
        if not blob.startswith(MAGIC) or len(blob) < len(MAGIC) + NONCE_LEN + 16:
            raise VaultError(f"session of {phone}: not a sealed session")
        if kid is None or kid not in self._keys:
            raise VaultError(
                f"session of {phone}: sealed with key {kid}, which is not loaded "
                f"(give the old key in {OLD_KEYS_ENV} or --old-key-file)"
            )
        nonce = blob[len(MAGIC) : len(MAGIC) + NONCE_LEN]
        try:
            plain = AESGCM(self._keys[kid]).decrypt(nonce, blob[len(MAGIC) + NONCE_LEN :], _aad(phone))
        except InvalidTag:
            raise VaultError(f"session of {phone}: authentication failed (wrong key or altered data)") from None
        text = plain.decode("utf-8")
        register_secret(text)
        return text


# --- export / import between nodes -----------------------------------------------------------


def _transfer_key(passphrase: str, salt: bytes) -> bytes:
    return Scrypt(salt=salt, length=KEY_LEN, n=2**15, r=8, p=1).derive(passphrase.encode("utf-8"))


def seal_export(passphrase: str, record: dict[str, Any]) -> str:
    """A JSON document carrying `record` (phone, session, device, proxy ...) sealed with a passphrase."""
    if len(passphrase) < 8:
        raise VaultError("transfer passphrase: at least 8 characters")
    register_secret(passphrase)
    salt = os.urandom(16)
    nonce = os.urandom(NONCE_LEN)
    phone = str(record["phone"])
    body = json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")
    ct = AESGCM(_transfer_key(passphrase, salt)).encrypt(nonce, body, _aad(phone))
    doc = {
        "format": EXPORT_FORMAT,
        "phone": phone,
        "kdf": {"name": "scrypt", "n": 2**15, "r": 8, "p": 1, "salt": base64.b64encode(salt).decode()},
        "nonce": base64.b64encode(nonce).decode(),
        "ciphertext": base64.b64encode(ct).decode(),
    }
    return json.dumps(doc, indent=2) + "\n"


def open_export(passphrase: str, text: str) -> dict[str, Any]:
    """The record inside an export document; VaultError on a wrong passphrase or a bad file."""
    register_secret(passphrase)
    try:
        doc = json.loads(text)
        if doc.get("format") != EXPORT_FORMAT:
            raise VaultError(f"not a session export (format {doc.get('format')!r}, expected {EXPORT_FORMAT})")
        salt = base64.b64decode(doc["kdf"]["salt"])
        nonce = base64.b64decode(doc["nonce"])
        ct = base64.b64decode(doc["ciphertext"])
        phone = str(doc["phone"])
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise VaultError(f"not a session export: {exc}") from None
    try:
        body = AESGCM(_transfer_key(passphrase, salt)).decrypt(nonce, ct, _aad(phone))
    except InvalidTag:
        raise VaultError("session export: wrong passphrase or altered file") from None
    record: dict[str, Any] = json.loads(body)
    if "session" in record:
        register_secret(str(record["session"]))
    return record
