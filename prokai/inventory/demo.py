"""A demo step for `make demo`: scan an emulated SimBox, store its SIMs, read a login code by SMS.

The lead's `prokai/demo.py` can add `("SimBox inventory", step_simbox)` to its STEPS; the step
needs only `demo.db` (a Database) and `demo.summary` (a dict).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

console = Console(highlight=False)


def step_simbox(demo: Any) -> None:
    """Eight emulated modems (mixed vendors, one empty slot, one hung), scanned concurrently into
    the database; then a Telegram code sent by SMS is read, stored and deleted from the SIM."""
    from prokai.inventory.service import collect_inbox, scan_and_store
    from simbox.emulator import EmulatorThread, VirtualSim
    from simbox.pool import PoolOptions

    sims: list[VirtualSim | None] = [VirtualSim(seed=100 + i) for i in range(8)]
    sims[5] = None  # an empty slot
    profiles = ["sim800", "m35", "ec25", "sim7600", "huawei", "wavecom", "sim800", "m35"]
    with EmulatorThread(ports=8, sims=sims, profiles=profiles) as emu:
        emu.call("set_silent", 6)  # a hung modem
        t0 = time.perf_counter()
        reports = scan_and_store(demo.db, emu.paths, options=PoolOptions(probe_timeout=1.0))
        took = time.perf_counter() - t0
        table = Table(show_header=True, header_style="bold", box=box.SIMPLE, pad_edge=False)
        for col in ("port", "status", "modem", "ICCID", "number", "operator", "signal"):
            table.add_column(col, no_wrap=col in ("ICCID", "number"))
        for rep in reports:
            sim = rep.sim
            table.add_row(
                rep.path.removeprefix("/dev/"),
                rep.status,
                rep.identity.profile if rep.identity and rep.identity.imei else "-",
                sim.iccid or "-" if sim else "-",
                sim.msisdn or "-" if sim else "-",
                sim.operator or "-" if sim else "-",
                f"{sim.signal_dbm} dBm" if sim and sim.signal_dbm is not None else "-",
            )
        console.print(table)
        found = [r for r in reports if r.sim and r.sim.iccid]
        console.print(f"  scanned {len(reports)} ports in {took:.2f} s: {len(found)} SIMs stored in the database")
        target = next(r for r in reports if r.status == "ok" and r.sim and r.sim.msisdn)
        assert target.sim is not None and target.sim.msisdn is not None
        emu.deliver_sms(target.sim.msisdn, "Код подтверждения Telegram: 51423. Никому не сообщайте этот код.")
        opts = PoolOptions(probe_timeout=0.5, watchdog_interval=None, sweep_interval=None)
        _reports, got = asyncio.run(collect_inbox(demo.db, [target.path], options=opts))
        codes = [m.login_code for m, _ in got if m.login_code]
        console.print(f"  SMS to {target.sim.msisdn} from Telegram: code {codes[0] if codes else '?'}; "
                      "stored, then deleted from the SIM")
    demo.summary["SimBox SIMs found"] = len(found)
    demo.summary["SMS login code read"] = codes[0] if codes else "none"
