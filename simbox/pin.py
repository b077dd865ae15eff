"""The PIN state machine: unlock a SIM with the PIN from the case file, and never enter a PIN that
already failed on that SIM (a second wrong try brings the card closer to PUK lock-out).

States (from `AT+CPIN?`): READY, SIM PIN, SIM PUK, PH-SIM PIN, SIM PIN2/PUK2, NOT INSERTED,
NOT READY. Only SIM PIN is unlocked automatically, and only when at least two attempts remain
(the last one is left to a human). PUK is never entered automatically.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path


class PinGuard:
    """Remembers (ICCID, PIN) pairs that were rejected; optionally persisted as JSON."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path else None
        self._failed: set[tuple[str, str]] = set()
        self._lock = threading.Lock()
        if self.path and self.path.exists():
            try:
                data = json.loads(self.path.read_text())
                self._failed = {(str(a), str(b)) for a, b in data.get("failed", [])}
            except (OSError, ValueError):
                self._failed = set()

    def failed(self, iccid: str, pin: str) -> bool:
        return (iccid, pin) in self._failed

    def mark_failed(self, iccid: str, pin: str) -> None:
        with self._lock:
            self._failed.add((iccid, pin))
            if self.path:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self.path.write_text(json.dumps({"failed": sorted(self._failed)}))


def next_action(state: str, pin: str | None, iccid: str, guard: PinGuard, attempts_left: int | None) -> str:
    """What to do in `state`: "ready", "enter", or a reason not to ("no_pin", "pin_failed_before",
    "last_attempt", "puk_required", "no_sim", "unsupported:<state>")."""
    s = state.upper()
    if s == "READY":
        return "ready"
    if s in ("NOT INSERTED", "NO SIM", "NOT READY"):
        return "no_sim"
    if s == "SIM PUK" or s == "SIM BLOCKED":
        return "puk_required"
    if s != "SIM PIN":
        return f"unsupported:{s}"
    if pin is None:
        return "no_pin"
    if guard.failed(iccid, pin):
        return "pin_failed_before"
    if attempts_left is not None and attempts_left <= 1:
        return "last_attempt"
    return "enter"
