"""One validator per kind, for callers and tests: `is_valid(kind, value)` (reads `kinds.KIND_TABLE`)."""

from __future__ import annotations

from prokai.extract.kinds import spec


def is_valid(kind: str, value: str) -> bool:
    """True when `value` is a valid, normalized requisite of `kind`; ValueError for an unknown kind."""
    return spec(kind).validate(value)
