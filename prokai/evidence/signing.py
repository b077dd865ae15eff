"""The installation's Ed25519 evidence key: derived from the vault key (so it is kept exactly as
safely as the sessions, and needs no file of its own), used to sign chain anchors and bundle
manifests. Only the public key ever leaves the machine."""

from __future__ import annotations

import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

HKDF_INFO = b"prokai-evidence-ed25519/1"


class SigningError(Exception):
    """A signing key problem, phrased as one line."""


def key_from_vault_key(vault_key: bytes) -> Ed25519PrivateKey:
    """The evidence key belonging to `vault_key` (HKDF-SHA256, domain-separated)."""
    seed = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=HKDF_INFO).derive(vault_key)
    return Ed25519PrivateKey.from_private_bytes(seed)


def installation_key(settings: object) -> Ed25519PrivateKey:
    """The installation's evidence key, from the vault key in `PROKAI_VAULT_KEY` or
    `secrets.vault_key_file`; SigningError when there is none."""
    from prokai.config import ConfigError, Settings, load_secret
    from prokai.keys import VaultError, parse_key

    assert isinstance(settings, Settings)
    try:
        text = load_secret(settings, "vault_key")
    except ConfigError as exc:
        raise SigningError(str(exc)) from None
    if not text:
        raise SigningError(
            "no vault key to sign evidence with: set PROKAI_VAULT_KEY or secrets.vault_key_file "
            "(make one with `prokai vault keygen`)"
        )
    try:
        return key_from_vault_key(parse_key(text, "vault key"))
    except VaultError as exc:
        raise SigningError(str(exc)) from None


def public_raw(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The 32 raw bytes of the public key."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def public_pem(key: Ed25519PrivateKey | Ed25519PublicKey) -> bytes:
    """The public key as PEM (SubjectPublicKeyInfo), as `openssl pkeyutl -pubin` reads it."""
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    return pub.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def fingerprint(key: Ed25519PrivateKey | Ed25519PublicKey | bytes) -> str:
    """SHA-256 (hex) of the raw public key: the name a court compares with the published one."""
    raw = key if isinstance(key, bytes) else public_raw(key)
    return hashlib.sha256(raw).hexdigest()


def load_public_pem(data: bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from PEM; ValueError if it is not one."""
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("not an Ed25519 public key")
    return key


def verify(public: Ed25519PublicKey | bytes, signature: bytes, data: bytes) -> bool:
    """Whether `signature` is a valid Ed25519 signature of `data` by `public`."""
    pub = Ed25519PublicKey.from_public_bytes(public) if isinstance(public, bytes) else public
    try:
        pub.verify(signature, data)
    except (InvalidSignature, ValueError):
        return False
    return True
