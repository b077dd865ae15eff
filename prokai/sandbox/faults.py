"""Errors a test (or the world) injects into the sandbox's RPC replies.

`Faults.inject("FLOOD_WAIT", seconds=30, method="SendMessageRequest", phone="77011234567")`
makes the next matching call fail with FLOOD_WAIT_30; until the sandbox clock passes the end of
that window every matching call fails with the seconds that remain (FLOOD_PREMIUM_WAIT likewise).
Other errors fail `times` matching calls (`None` = until cleared).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from prokai.sandbox.clock import Clock

# error name -> RPC error code, as Telegram sends them
ERROR_CODES: dict[str, int] = {
    "FLOOD_WAIT": 420,
    "FLOOD_PREMIUM_WAIT": 420,
    "PEER_FLOOD": 400,
    "USER_DEACTIVATED_BAN": 401,
    "USER_DEACTIVATED": 401,
    "SESSION_EXPIRED": 401,
    "AUTH_KEY_DUPLICATED": 406,
    "SESSION_REVOKED": 401,
    "AUTH_KEY_UNREGISTERED": 401,
    "FROZEN_METHOD_INVALID": 420,
    "PHONE_NUMBER_BANNED": 400,
    "USERNAME_NOT_OCCUPIED": 400,
    "INTERNAL": 500,
}
WAITS = ("FLOOD_PREMIUM_WAIT", "FLOOD_WAIT")  # errors that carry the seconds left: NAME_<seconds>


class RpcFault(Exception):
    """An RPC error the server sends back as `rpc_error(code, message)`."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.code = code
        self.message = message


def method_name(request: object) -> str:
    """`messages.SendMessageRequest` style name of a Telethon request object."""
    module = type(request).__module__.rsplit(".", 1)[-1]
    name = type(request).__name__
    return name if module == "functions" else f"{module}.{name}"


def _matches_method(pattern: str | None, request: object) -> bool:
    if pattern is None:
        return True
    full = method_name(request)
    short = full.rsplit(".", 1)[-1]
    pattern = pattern.removesuffix("Request")
    return pattern in (full.removesuffix("Request"), short.removesuffix("Request"))


@dataclass
class FaultRule:
    """One injected error. `user_id` / `method` narrow what it applies to."""

    error: str
    method: str | None = None
    user_id: int | None = None
    seconds: int | None = None
    times: int | None = 1
    until: float | None = None
    hits: int = 0
    rule_id: int = 0
    code: int = field(default=400)


class Faults:
    """The set of injected errors, checked before every RPC is handled."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def inject(
        self,
        error: str,
        *,
        method: str | None = None,
        user_id: int | None = None,
        seconds: int | None = None,
        times: int | None = 1,
    ) -> FaultRule:
        """Add a rule. `error` is a name from ERROR_CODES (the WAITS need `seconds`)."""
        error = error.upper()
        for wait in WAITS:
            if error.startswith(f"{wait}_") and error.rsplit("_", 1)[1].isdigit():
                seconds = int(error.rsplit("_", 1)[1])
                error = wait
                break
        if error not in ERROR_CODES:
            raise ValueError(f"unknown error {error!r}; known: {', '.join(sorted(ERROR_CODES))}")
        if error in WAITS and not seconds:
            raise ValueError(f"{error} needs seconds")
        rule = FaultRule(
            error=error,
            method=method,
            user_id=user_id,
            seconds=seconds,
            times=times,
            rule_id=self._next_id,
            code=ERROR_CODES[error],
        )
        self._next_id += 1
        self._rules.append(rule)
        return rule

    def clear(self) -> None:
        """Remove every injected rule."""
        self._rules.clear()

    @property
    def rules(self) -> list[FaultRule]:
        """The active rules (a copy)."""
        return list(self._rules)

    def check(self, request: object, user_id: int | None) -> None:
        """Raise RpcFault if an active rule matches this call."""
        if not self._rules:
            return
        now = self._clock.now()
        for rule in list(self._rules):
            if rule.user_id is not None and rule.user_id != user_id:
                continue
            if not _matches_method(rule.method, request):
                continue
            if rule.error in WAITS:
                assert rule.seconds is not None
                if rule.until is None:
                    rule.until = now + rule.seconds
                if now >= rule.until:
                    self._rules.remove(rule)
                    continue
                rule.hits += 1
                raise RpcFault(rule.code, f"{rule.error}_{max(1, math.ceil(rule.until - now))}")
            rule.hits += 1
            if rule.times is not None:
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
            raise RpcFault(rule.code, rule.error)
