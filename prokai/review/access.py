"""Who may use the admin bot: the allow-list of reviewers from `review.reviewers`, with roles.

Roles: `prosecutor` reviews, searches and exports; `operator` can also start a sweep; `admin`
can do everything. Anyone not on the list is a stranger: one polite refusal; their attempts
are audited (the first few one by one, a flood in aggregate: `StrangerLimiter`). Button data
is signed with the bot's secret (`sign_callback`), so a forged press decides nothing.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from prokai.config import Settings

Role = Literal["prosecutor", "operator", "admin"]

# What each role may do beyond reviewing (every listed reviewer may review).
SWEEP_ROLES: frozenset[str] = frozenset({"operator", "admin"})


@dataclass(frozen=True)
class Reviewer:
    """An allow-listed person: Telegram user id, display name and role."""

    telegram_id: int
    name: str
    role: Role

    @property
    def actor(self) -> str:
        """How the audit log names this reviewer."""
        return f"reviewer:{self.telegram_id}"

    def can_sweep(self) -> bool:
        """Whether this reviewer may start a sweep."""
        return self.role in SWEEP_ROLES


class AllowList:
    """The reviewers from settings, looked up by Telegram user id."""

    def __init__(self, reviewers: list[Reviewer]) -> None:
        self._by_id = {r.telegram_id: r for r in reviewers}

    @classmethod
    def from_settings(cls, settings: Settings) -> AllowList:
        """The allow-list configured in `review.reviewers`."""
        return cls([Reviewer(r.telegram_id, r.name, r.role) for r in settings.review.reviewers])

    def get(self, telegram_id: int | None) -> Reviewer | None:
        """The reviewer with this Telegram id, or None for a stranger."""
        if telegram_id is None:
            return None
        return self._by_id.get(telegram_id)

    def __len__(self) -> int:
        return len(self._by_id)

    def ids(self) -> list[int]:
        """Every allow-listed Telegram user id."""
        return list(self._by_id)


def stranger_actor(telegram_id: int | None) -> str:
    """How the audit log names someone not on the allow-list."""
    return f"telegram:{telegram_id if telegram_id is not None else 'unknown'}"


# --- signed callback data ---------------------------------------------------------------------

_SIG_SEP = "~"


def _callback_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), b"prokai review callbacks v1", hashlib.sha256).digest()


def sign_callback(data: str, secret: str) -> str:
    """`data` (e.g. "c:42") with an HMAC tag keyed by `secret` (the bot token): a client can only
    send back the data of a button the bot made, never forge one for another requisite."""
    tag = hmac.new(_callback_key(secret), data.encode(), hashlib.sha256).digest()[:9]
    return f"{data}{_SIG_SEP}{base64.urlsafe_b64encode(tag).decode()}"


def verify_callback(signed: str | None, secret: str) -> str | None:
    """The data of a signed callback, or None if it is unsigned, forged or malformed."""
    if not signed or _SIG_SEP not in signed or len(signed) > 64:
        return None
    data = signed.rsplit(_SIG_SEP, 1)[0]
    return data if hmac.compare_digest(sign_callback(data, secret), signed) else None


# --- strangers: answered once, audited in aggregate -------------------------------------------


class StrangerLimiter:
    """Bounds what refused people cost: the first `each` attempts of someone in a window are
    audited one by one, the rest are counted and written as one aggregate record when the window
    is over (at most `max_records` records per window for everyone together)."""

    def __init__(self, window_s: float = 600.0, each: int = 5, max_records: int = 200,
                 max_tracked: int = 10_000, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s, self.each, self.max_records, self.max_tracked = window_s, each, max_records, max_tracked
        self.clock = clock
        self._seen: dict[str, list[float]] = {}  # actor -> [window start, attempts, suppressed]
        self._records: list[float] = [0.0, 0.0]  # [window start, records written in it]

    def _budget(self, now: float) -> bool:
        if now - self._records[0] >= self.window_s:
            self._records = [now, 0.0]
        if self._records[1] >= self.max_records:
            return False
        self._records[1] += 1
        return True

    def hit(self, actor: str) -> int | None:
        """One refused attempt by `actor`. None: write no record now; else write one now that
        stands for this many attempts (1, or 1 + those suppressed since the last record)."""
        now = self.clock()
        st = self._seen.get(actor)
        if st is None:
            if len(self._seen) >= self.max_tracked:
                self._seen.pop(next(iter(self._seen)))
            st = self._seen[actor] = [now, 0.0, 0.0]
        if now - st[0] >= self.window_s:
            st[0], st[1] = now, 0.0
        st[1] += 1
        if (st[1] <= self.each or st[2] and st[1] == 1) and self._budget(now):
            count, st[2] = int(st[2]) + 1, 0.0
            return count
        st[2] += 1
        return None

    def drain(self) -> dict[str, int]:
        """Attempts counted but not yet written, per actor (and forgotten here): what a stopping
        bot writes as one aggregate record each, so a flood that ends with the process is not lost."""
        out = {actor: int(st[2]) for actor, st in self._seen.items() if st[2]}
        for actor in out:
            self._seen[actor][2] = 0.0
        return out
