"""Reassembly of concatenated SMS (3GPP TS 23.040 §9.2.3.24.1).

Parts are keyed by (SIM, sender, reference, total): parts may come in any order, duplicates are
absorbed (their storage locations are kept so the SIM copies get deleted too), and a set that
stays incomplete for `timeout` seconds is released as it is (with `complete=False`) so nothing
is lost when a part never arrives.
"""

from __future__ import annotations

import time
from collections.abc import Hashable
from dataclasses import dataclass, field
from typing import Any

from simbox.pdu.codec import Sms


@dataclass
class Piece:
    """One PDU and where it is stored (`location`, e.g. ("SM", 3)); None if not stored (+CMT)."""

    sms: Sms
    location: Any = None


@dataclass
class Assembled:
    """A whole message (or what arrived of it)."""

    key: tuple[Hashable, ...]
    pieces: list[Piece]
    complete: bool
    duplicates: list[Piece] = field(default_factory=list)
    first_seen: float = 0.0
    duplicate_of: tuple[str, ...] | None = None  # a late copy of parts of this (already delivered) message

    @property
    def text(self) -> str:
        return "".join(p.sms.text for p in self.pieces)

    @property
    def sms(self) -> Sms:
        return self.pieces[0].sms

    @property
    def locations(self) -> list[Any]:
        return [p.location for p in self.pieces + self.duplicates if p.location is not None]

    @property
    def missing(self) -> list[int]:
        c = self.pieces[0].sms.concat
        if c is None:
            return []
        have = {p.sms.concat.part for p in self.pieces if p.sms.concat}
        return [i for i in range(1, c.total + 1) if i not in have]


@dataclass
class _Pending:
    parts: dict[int, Piece]
    duplicates: list[Piece]
    total: int
    first_seen: float


class Reassembler:
    """Collects parts; `add` returns the whole message once its last part is in."""

    def __init__(self, timeout: float = 600.0, clock: Any = time.monotonic) -> None:
        self.timeout = timeout
        self.clock = clock
        self._pending: dict[tuple[Hashable, ...], _Pending] = {}
        # recently completed sets: key → (their PDUs, completion time); later copies are duplicates
        self._recent: dict[tuple[Hashable, ...], tuple[tuple[str, ...], float]] = {}

    def add(self, sim: Hashable, piece: Piece) -> Assembled | None:
        """Add one part; returns the assembled message when complete (single parts at once)."""
        c = piece.sms.concat
        now = self.clock()
        self._forget(now)
        if c is None or c.total <= 1:
            key: tuple[Hashable, ...] = (sim, piece.sms.number, piece.sms.pdu)
        else:
            key = (sim, piece.sms.number, c.ref, c.total)
        recent = self._recent.get(key)
        if recent is not None and piece.sms.pdu in recent[0]:
            return Assembled(key, [piece], True, first_seen=now, duplicate_of=recent[0])
        if c is None or c.total <= 1:
            self._recent[key] = ((piece.sms.pdu,), now)
            return Assembled(key, [piece], True, first_seen=now)
        pend = self._pending.get(key)
        if pend is None:
            pend = self._pending[key] = _Pending({}, [], c.total, now)
        if c.part in pend.parts:
            pend.duplicates.append(piece)
            return None
        pend.parts[c.part] = piece
        if len(pend.parts) == pend.total:
            del self._pending[key]
            ordered = [pend.parts[i] for i in sorted(pend.parts)]
            self._recent[key] = (tuple(p.sms.pdu for p in ordered), now)
            return Assembled(key, ordered, True, pend.duplicates, pend.first_seen)
        return None

    def _forget(self, now: float) -> None:
        for key, (_pdus, at) in list(self._recent.items()):
            if now - at > self.timeout:
                del self._recent[key]

    def expire(self, force: bool = False) -> list[Assembled]:
        """Release sets that waited longer than `timeout` (all of them with `force`)."""
        now = self.clock()
        out = []
        for key, pend in list(self._pending.items()):
            if force or now - pend.first_seen >= self.timeout:
                del self._pending[key]
                ordered = [pend.parts[i] for i in sorted(pend.parts)]
                out.append(Assembled(key, ordered, False, pend.duplicates, pend.first_seen))
        return out

    def holds(self, location: Any) -> bool:
        """True if a pending part is stored at `location` (so a sweep does not add it twice)."""
        return any(
            p.location == location for pend in self._pending.values() for p in [*pend.parts.values(), *pend.duplicates]
        )

    def __len__(self) -> int:
        return len(self._pending)
