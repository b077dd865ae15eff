"""The canonical encoding of evidence records (what the chain hashes), shared by the database
layer and the offline bundle verifier."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any

import orjson

_JSON_OPTS = orjson.OPT_SORT_KEYS | orjson.OPT_NAIVE_UTC | orjson.OPT_UTC_Z


def json_default(value: Any) -> Any:
    """How evidence JSON writes what JSON has no type for: decimals as plain strings, bytes as hex."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, bytes):
        return value.hex()
    raise TypeError(f"cannot encode {type(value).__name__} in evidence")


def canonical_bytes(content: dict[str, Any]) -> bytes:
    """The canonical encoding: JSON (RFC 8259) with sorted keys, no spaces, UTF-8 unescaped,
    timestamps as RFC 3339 in UTC with a `Z` (naive ones are UTC), decimals as plain strings.

    Decoding the bytes and encoding the result again gives the same bytes, which is how a
    bundle's records are checked without the database."""
    return orjson.dumps(content, default=json_default, option=_JSON_OPTS)


def content_hash(content: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical encoding of `content`."""
    return hashlib.sha256(canonical_bytes(content)).hexdigest()


def entry_hash(prev_hash: str, record_type: str, record_id: int, rec_hash: str) -> str:
    """The link hash binding a record to everything before it."""
    payload = f"{prev_hash}|{record_type}|{record_id}|{rec_hash}".encode("ascii")
    return hashlib.sha256(payload).hexdigest()
