"""A virtual SIM bank: a control port that moves SIMs between a grid of holders and the modems.

Grid: column cc (1-based) feeds modem port cc-1; row rrrr (1-based) is a SIM position in that
column. Commands: `AT+SWITcc-rrrr` (switch), `AT+SWIT00-0000` (disconnect all), `AT+CWSIM`
(readiness: `+CWSIM: READY` or `+CWSIM: BUSY`), `AT+NEXT` / `AT+NEXTcc` (every / one column to
its next row). The modem does not see the new SIM until it restarts, like the real thing. Set
`fail_next` to make switches fail silently (answer OK, move nothing).
"""

from __future__ import annotations

import re
import time
from typing import TYPE_CHECKING

from simbox.emulator.port import PtyEndpoint
from simbox.emulator.sim import VirtualSim

if TYPE_CHECKING:
    from simbox.emulator.core import Emulator

_SWIT = re.compile(r"^AT\+SWIT(\d{2})-(\d{4})$")
_NEXT = re.compile(r"^AT\+NEXT(\d{2})?$")


class VirtualBank(PtyEndpoint):
    def __init__(self, emu: Emulator, rows: int, settle: float = 0.05) -> None:
        super().__init__("simbank")
        self.emu = emu
        self.rows = rows
        self.settle = settle
        self.fail_next = 0
        self.busy_until = 0.0
        self.switches = 0
        # grid[col][row]: row 0 is the SIM already in the modem
        self.grid: list[list[VirtualSim | None]] = []
        for i, port in enumerate(emu.ports):
            column: list[VirtualSim | None] = [port.modem.sim]
            for r in range(1, rows):
                column.append(VirtualSim(seed=emu.seed * 7_000_003 + i * 1000 + r))
            self.grid.append(column)
        self.position = [0] * len(emu.ports)
        self._buf = bytearray()

    def all_sims(self) -> list[VirtualSim]:
        return [s for col in self.grid for s in col if s is not None]

    def received(self, data: bytes) -> None:
        self._buf += data
        while True:
            end = next((i for i, b in enumerate(self._buf) if b in (0x0D, 0x0A)), -1)
            if end < 0:
                return
            line = bytes(self._buf[:end]).decode("ascii", "replace").strip().upper()
            del self._buf[: end + 1]
            if line:
                self.write(f"\r\n{self.handle(line)}\r\n".encode())

    def handle(self, line: str) -> str:
        if line == "AT":
            return "OK"
        if line == "AT+CWSIM":
            return "+CWSIM: BUSY\r\n\r\nOK" if time.monotonic() < self.busy_until else "+CWSIM: READY\r\n\r\nOK"
        m = _SWIT.match(line)
        if m:
            col, row = int(m.group(1)), int(m.group(2))
            if col == 0 and row == 0:
                for c in range(len(self.grid)):
                    self._move(c, None)
                return "OK"
            if not (1 <= col <= len(self.grid) and 1 <= row <= self.rows):
                return "ERROR"
            self._move(col - 1, row - 1)
            return "OK"
        m = _NEXT.match(line)
        if m:
            cols = [int(m.group(1)) - 1] if m.group(1) else list(range(len(self.grid)))
            for c in cols:
                if not 0 <= c < len(self.grid):
                    return "ERROR"
                self._move(c, (self.position[c] + 1) % self.rows)
            return "OK"
        return "ERROR"

    def _move(self, col: int, row: int | None) -> None:
        self.switches += 1
        self.busy_until = time.monotonic() + self.settle
        if self.fail_next > 0:
            self.fail_next -= 1
            return
        port = self.emu.ports[col]
        if row is None:
            port.modem.sim = None
            return
        self.position[col] = row
        port.modem.pending_sim = self.grid[col][row]
        port.modem.has_pending_sim = True
