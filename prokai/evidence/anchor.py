"""Chain anchors: the chain head (link number and hash) signed with the installation's Ed25519
key and, where a time-stamping authority is configured, time-stamped (RFC 3161), written as one
JSON line to an anchor file outside the database. A later rewrite of the chain up to an anchored
link no longer matches the anchor; the anchor file can be copied anywhere (a court, a WORM share).
"""

from __future__ import annotations

import base64
import os
import socket
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from prokai.evidence import signing, tsa
from prokai.evidence.canonical import canonical_bytes

FORMAT = "prokai-chain-anchor/1"
SIGNED_FIELDS = ("format", "seq", "head_hash", "at", "node", "key_fingerprint")


def payload_bytes(anchor: dict[str, Any]) -> bytes:
    """The bytes an anchor's signature and timestamp cover."""
    return canonical_bytes({k: anchor.get(k) for k in SIGNED_FIELDS})


def make_anchor(key: Ed25519PrivateKey, seq: int, head_hash: str, tsa_url: str | None = None,
                tsa_timeout: float = 30.0, at: datetime | None = None) -> dict[str, Any]:
    """A signed (and, with `tsa_url`, time-stamped) anchor of link `seq` whose hash is `head_hash`."""
    anchor: dict[str, Any] = {
        "format": FORMAT,
        "seq": seq,
        "head_hash": head_hash,
        "at": (at or datetime.now(UTC)).isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "node": socket.gethostname(),
        "key_fingerprint": signing.fingerprint(key),
    }
    data = payload_bytes(anchor)
    anchor["public_key"] = signing.public_raw(key).hex()
    anchor["signature"] = key.sign(data).hex()
    anchor["timestamp"] = None
    if tsa_url:
        token = tsa.fetch_token(tsa_url, data, tsa_timeout)
        anchor["timestamp"] = {"tsa": tsa_url, "token": base64.b64encode(token).decode("ascii")}
    return anchor


def append_anchor(path: Path, anchor: dict[str, Any]) -> None:
    """Append `anchor` to the anchor file (created 0600), flushed to disk before returning."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, orjson.dumps(anchor) + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)


def read_anchors(path: Path) -> list[dict[str, Any]]:
    """The anchors in `path` (none when it does not exist); ValueError names a bad line."""
    if not path.exists():
        return []
    out = []
    for n, line in enumerate(path.read_bytes().splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:
            raise ValueError(f"{path}: line {n}: not JSON") from None
        if not isinstance(item, dict) or item.get("format") != FORMAT:
            raise ValueError(f"{path}: line {n}: not a chain anchor")
        out.append(item)
    return out


def check_anchor(anchor: dict[str, Any], link_hash: Callable[[int], str | None],
                 expected_key: str | Collection[str] | None = None, tsa_ca: bytes | None = None) -> str | None:
    """None when `anchor` is sound and the chain still holds its head, else what is wrong.

    `link_hash(seq)` gives the chain's entry hash at `seq` (None when there is no such link);
    `expected_key` is the fingerprint of the key that must have signed it (or those that may:
    the installation's keys before and after a vault rekey)."""
    try:
        public = bytes.fromhex(str(anchor["public_key"]))
        signature = bytes.fromhex(str(anchor["signature"]))
        seq = int(anchor["seq"])
    except (KeyError, ValueError, TypeError):
        return "anchor is malformed"
    if signing.fingerprint(public) != anchor.get("key_fingerprint"):
        return "public key does not match the anchor's key fingerprint"
    allowed = {expected_key} if isinstance(expected_key, str) else set(expected_key or ())
    if expected_key is not None and anchor.get("key_fingerprint") not in allowed:
        return f"signed by key {str(anchor.get('key_fingerprint'))[:16]}…, not this installation's"
    data = payload_bytes(anchor)
    if not signing.verify(public, signature, data):
        return "signature does not verify"
    stamp = anchor.get("timestamp")
    if stamp:
        try:
            tsa.check_token(base64.b64decode(stamp["token"]), data, tsa_ca)
        except (tsa.TimestampError, KeyError, ValueError, TypeError) as exc:
            return f"timestamp: {exc}"
    actual = "0" * 64 if seq == 0 else link_hash(seq)  # an empty chain's head is the genesis hash
    if actual is None:
        return f"the chain no longer has link {seq} (truncated)"
    if actual != anchor.get("head_hash"):
        return f"link {seq} no longer has the anchored hash (chain rewritten)"
    return None
