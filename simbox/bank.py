"""SIM-bank control: a separate control port moves SIM cards between a grid of holders and modems.

Protocol (SIM-bank units with an AT control port): `AT+SWITcc-rrrr` connects row rrrr of column
cc (column = modem channel), `AT+SWIT00-0000` disconnects all, `AT+CWSIM` reports readiness,
`AT+NEXT` / `AT+NEXTcc` advances every / one column. Switches are mechanical and fail silently,
so a switch counts as done only when the modem, restarted and registered, reports a different
ICCID (`switch_sim`). Switches go one at a time, at least `interval` seconds apart.
"""

from __future__ import annotations

import asyncio
import logging
import time

from simbox.at.port import AtPort
from simbox.errors import SimboxError
from simbox.modem import Modem

log = logging.getLogger("simbox.bank")


class SimBank:
    """The bank's control port."""

    def __init__(self, port: AtPort, interval: float = 1.0) -> None:
        self.port = port
        self.interval = interval
        self._lock = asyncio.Lock()
        self._last = 0.0

    async def _switch_cmd(self, cmd: str) -> None:
        async with self._lock:
            wait = self._last + self.interval - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            await self.port.command(cmd)
            self._last = time.monotonic()

    async def switch(self, column: int, row: int) -> None:
        """Connect SIM `row` of `column` (both 1-based) to that column's modem."""
        if not (1 <= column <= 99 and 1 <= row <= 9999):
            raise ValueError(f"column 1-99 and row 1-9999, got {column}, {row}")
        await self._switch_cmd(f"AT+SWIT{column:02d}-{row:04d}")

    async def disconnect_all(self) -> None:
        await self._switch_cmd("AT+SWIT00-0000")

    async def next(self, column: int | None = None) -> None:
        await self._switch_cmd(f"AT+NEXT{column:02d}" if column else "AT+NEXT")

    async def ready(self) -> bool:
        r = await self.port.command("AT+CWSIM")
        return any("READY" in line.upper() for line in r.lines) or not r.lines

    async def wait_ready(self, timeout: float = 10.0, poll: float = 0.1) -> None:
        deadline = time.monotonic() + timeout
        while not await self.ready():
            if time.monotonic() > deadline:
                raise SimboxError(f"SIM bank {self.port.name} still busy after {timeout:.0f}s")
            await asyncio.sleep(poll)


async def switch_sim(
    bank: SimBank,
    modem: Modem,
    column: int,
    row: int,
    *,
    expect_iccid: str | None = None,
    retries: int = 3,
    reg_timeout: float = 60.0,
    hard_restart: bool = False,
) -> str:
    """Switch, restart the modem, wait for registration, and confirm the ICCID changed (or is
    `expect_iccid`). Retries a switch that failed silently. Returns the new ICCID."""
    old = await modem.read_iccid()
    for attempt in range(1, retries + 1):
        await bank.switch(column, row)
        await bank.wait_ready()
        await modem.restart(hard=hard_restart)
        deadline = time.monotonic() + reg_timeout
        while await modem.pin_state() != "READY":
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.1)
        new = await modem.read_iccid()
        changed = new is not None and (new == expect_iccid if expect_iccid else new != old)
        if changed:
            await modem.wait_registered(max(1.0, deadline - time.monotonic()))
            log.info("%s: column %d row %d: ICCID %s → %s (attempt %d)", modem.name, column, row, old, new, attempt)
            assert new is not None
            return new
        log.warning("%s: switch to %d-%d did not change the SIM (attempt %d)", modem.name, column, row, attempt)
    raise SimboxError(f"{modem.name}: SIM bank switch to column {column} row {row} failed {retries} times")
