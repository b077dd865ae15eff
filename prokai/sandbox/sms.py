"""How the sandbox sends SMS login codes: the `SmsGateway` protocol and its implementations.

The real one is `SimBoxGateway`: it hands the SMS to the SimBox emulator, which delivers it to
the modem slot holding that number, so the code travels as an SMS PDU over a pseudo-terminal and
the product reads it exactly as it would read a real SimBox. `MemoryGateway` keeps SMS in a
list (for worlds with no SimBox).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from dataclasses import dataclass
from typing import Any, Protocol

log = logging.getLogger(__name__)

TELEGRAM_SENDER = "Telegram"


class SmsGateway(Protocol):
    """Delivers one SMS to the SIM with number `phone` (digits, international, no '+')."""

    async def deliver(self, phone: str, text: str) -> None:
        """Send `text` to `phone`; raise on failure."""


@dataclass
class SentSms:
    phone: str
    text: str


class MemoryGateway:
    """Keeps every SMS in `sent` (and wakes `wait_for`)."""

    def __init__(self) -> None:
        self.sent: list[SentSms] = []
        self._event = asyncio.Event()

    async def deliver(self, phone: str, text: str) -> None:
        """Record the SMS."""
        self.sent.append(SentSms(phone, text))
        self._event.set()

    async def wait_for(self, phone: str, timeout: float = 5.0) -> str:
        """The text of the first SMS sent to `phone` (waiting up to `timeout` real seconds)."""

        async def _wait() -> str:
            while True:
                for sms in self.sent:
                    if sms.phone == phone:
                        return sms.text
                self._event.clear()
                await self._event.wait()

        return await asyncio.wait_for(_wait(), timeout)


class SimBoxGateway:
    """Delivers SMS through the SimBox emulator (in-process object or its control client).

    `emulator` is anything with `deliver_sms(to_msisdn, text, sender)` (sync or async): the
    emulator itself, or the control-socket client when the emulator runs in another process.
    """

    def __init__(self, emulator: Any, sender: str = TELEGRAM_SENDER) -> None:
        self._emulator = emulator
        self._sender = sender

    async def deliver(self, phone: str, text: str) -> None:
        """Hand the SMS to the emulator; numbers are passed with a leading '+'."""
        result = self._emulator.deliver_sms("+" + phone.lstrip("+"), text, self._sender)
        if inspect.isawaitable(result):
            await result
        log.info("sms to +%s handed to the SimBox emulator", phone.lstrip("+"))


class SimBoxControlGateway:
    """Delivers SMS to a SimBox emulator running in another process, via its control socket."""

    def __init__(self, control_path: str, sender: str = TELEGRAM_SENDER) -> None:
        self._path = control_path
        self._sender = sender

    async def deliver(self, phone: str, text: str) -> None:
        """Ask the emulator (`python -m simbox emulate --control PATH`) to deliver the SMS."""
        from simbox.emulator.control import adeliver_sms

        await adeliver_sms(self._path, "+" + phone.lstrip("+"), text, sender=self._sender)
        log.info("sms to +%s handed to the SimBox emulator at %s", phone.lstrip("+"), self._path)
