"""Bot API errors as Telegram reports them: an HTTP status plus `{"ok": false, ...}` JSON."""

from __future__ import annotations

from typing import Any


class BotApiError(Exception):
    """A failed Bot API call; `payload()` is the JSON body Telegram would send."""

    def __init__(self, error_code: int, description: str, *, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict[str, Any]:
        """The JSON body for this error, exactly in Telegram's shape."""
        body: dict[str, Any] = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(reason: str) -> BotApiError:
    """400 `Bad Request: <reason>`."""
    return BotApiError(400, f"Bad Request: {reason}")


def forbidden(reason: str) -> BotApiError:
    """403 `Forbidden: <reason>`."""
    return BotApiError(403, f"Forbidden: {reason}")


def conflict(reason: str) -> BotApiError:
    """409 `Conflict: <reason>`."""
    return BotApiError(409, f"Conflict: {reason}")


def too_many_requests(retry_after: int) -> BotApiError:
    """429 with `parameters.retry_after`, as flood control answers."""
    return BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after=retry_after)


UNAUTHORIZED = BotApiError(401, "Unauthorized")
NOT_FOUND = BotApiError(404, "Not Found")


class SandboxError(Exception):
    """Misuse of the sandbox's own simulation API (unknown user, no such button, ...)."""
