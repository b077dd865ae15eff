"""Who may use the admin bot: the allow-list of reviewers from `review.reviewers`, with roles.

Roles: `prosecutor` reviews, searches and exports; `operator` can also start a sweep; `admin`
can do everything. Anyone not on the list is a stranger: one polite refusal, one audit entry.
"""

from __future__ import annotations

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
