"""The installation's key material as operators give it: the vault key's format and its one-line
error. Below every package that needs the key (the session vault in `prokai.accounts.vault`, the
evidence signing key in `prokai.evidence.signing`), so neither imports the other for it.
"""

from __future__ import annotations

import base64
import binascii

from prokai.logs import register_secret

KEY_LEN = 32


class VaultError(Exception):
    """A vault problem, phrased as the one line the user sees."""


def parse_key(text: str, source: str = "vault key") -> bytes:
    """32 key bytes from base64 (standard or URL-safe) or hex text."""
    raw = text.strip()
    candidates: list[bytes] = []
    if len(raw) == 2 * KEY_LEN:
        try:
            candidates.append(bytes.fromhex(raw))
        except ValueError:
            pass
    for decoder in (base64.b64decode, base64.urlsafe_b64decode):
        try:
            candidates.append(decoder(raw + "=" * (-len(raw) % 4)))
        except (binascii.Error, ValueError):
            pass
    for key in candidates:
        if len(key) == KEY_LEN:
            register_secret(raw)
            return key
    raise VaultError(f"{source}: expected 32 bytes as base64 or hex (make one with `prokai vault keygen`)")


__all__ = ["KEY_LEN", "VaultError", "parse_key"]
