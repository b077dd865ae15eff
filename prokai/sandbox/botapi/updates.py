"""The bot's update queue with Telegram's getUpdates semantics.

- Update ids increase by one; an update stays queued until a getUpdates call confirms it with an
  `offset` greater than its id, or until it is 24 hours old.
- A negative offset keeps only the last `-offset` updates and forgets the rest.
- With no update to return, the call waits up to `timeout` seconds (real time) for one.
- A newer getUpdates call ends a waiting older one with 409 `Conflict: terminated by other
  getUpdates request; make sure that only one bot instance is running`.
- `allowed_updates` (when given) replaces the stored filter; it only affects updates created later.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from prokai.sandbox.botapi.errors import conflict

UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)
# "Specify an empty list to receive all update types except chat_member, message_reaction, and
# message_reaction_count (default)."
DEFAULT_ALLOWED = frozenset(UPDATE_TYPES) - {"chat_member", "message_reaction", "message_reaction_count"}
RETENTION_S = 24 * 3600


@dataclass(frozen=True)
class PendingUpdate:
    """One queued update: its id, when it was made (sandbox clock), its type and Bot API object."""

    update_id: int
    date: float
    kind: str
    payload: dict[str, Any]

    def to_api(self) -> dict[str, Any]:
        """The Update object as getUpdates returns it."""
        return {"update_id": self.update_id, self.kind: self.payload}


class UpdateQueue:
    """Pending updates for the one bot the sandbox serves."""

    def __init__(self, now: Callable[[], float], first_update_id: int = 1) -> None:
        self._now = now
        self._queue: list[PendingUpdate] = []
        self._next_id = first_update_id
        self._allowed: frozenset[str] = DEFAULT_ALLOWED
        self._changed = asyncio.Event()
        self._poll_generation = 0
        self._closed = False
        self._waiting = 0

    @property
    def allowed(self) -> frozenset[str]:
        """The update types currently delivered."""
        return self._allowed

    @property
    def waiting(self) -> int:
        """How many getUpdates calls are waiting (long polling) right now."""
        return self._waiting

    def pending(self) -> list[PendingUpdate]:
        """Queued, unconfirmed updates (oldest first)."""
        self._expire()
        return list(self._queue)

    def push(self, kind: str, payload: dict[str, Any]) -> PendingUpdate | None:
        """Queue an update unless the bot's `allowed_updates` filters its type out."""
        if kind not in self._allowed:
            return None
        update = PendingUpdate(self._next_id, self._now(), kind, payload)
        self._next_id += 1
        self._queue.append(update)
        self._wake()
        return update

    def drop_all(self) -> int:
        """Forget every pending update (deleteWebhook/setWebhook with drop_pending_updates)."""
        count = len(self._queue)
        self._queue.clear()
        return count

    def reopen(self) -> None:
        """The server is serving again after `close`."""
        self._closed = False

    def close(self) -> None:
        """The server is stopping: end waiting polls; later ones answer at once."""
        self._closed = True
        self.terminate_polls()

    def terminate_polls(self) -> None:
        """End every waiting getUpdates call with 409 Conflict (as `close` or a newer poll does)."""
        self._poll_generation += 1
        self._wake()

    async def get(
        self,
        offset: int | None,
        limit: int,
        timeout: float,
        allowed_updates: Iterable[str] | None,
    ) -> list[PendingUpdate]:
        """One getUpdates call."""
        self._poll_generation += 1
        generation = self._poll_generation
        self._wake()  # an older waiting poll sees it is no longer the newest and ends
        if allowed_updates is not None:
            wanted = frozenset(allowed_updates)
            self._allowed = (wanted & frozenset(UPDATE_TYPES)) if wanted else DEFAULT_ALLOWED
        limit = 100 if limit <= 0 or limit > 100 else limit
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + (0.0 if self._closed else max(0.0, timeout))
        while True:
            self._expire()
            if self._queue:
                return self._queue[:limit]
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            event = self._changed
            self._waiting += 1
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                return []
            finally:
                self._waiting -= 1
            if generation != self._poll_generation:
                raise conflict(
                    "terminated by other getUpdates request; make sure that only one bot instance is running"
                )

    def _confirm(self, offset: int | None) -> None:
        if not offset:
            return
        if offset > 0:
            self._queue = [u for u in self._queue if u.update_id >= offset]
        else:
            self._queue = self._queue[offset:] if -offset < len(self._queue) else self._queue

    def _expire(self) -> None:
        horizon = self._now() - RETENTION_S
        if self._queue and self._queue[0].date < horizon:
            self._queue = [u for u in self._queue if u.date >= horizon]

    def _wake(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
