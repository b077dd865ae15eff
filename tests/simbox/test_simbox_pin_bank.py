"""PIN state machine (never a wrong PIN twice) and SIM-bank switching, against the emulator."""

from __future__ import annotations

import os

import pytest
from simbox_testutil import arun

from simbox.at.port import AtPort
from simbox.bank import SimBank, switch_sim
from simbox.emulator import Emulator, VirtualSim
from simbox.errors import PinError, SimboxError
from simbox.modem import Modem
from simbox.pin import PinGuard, next_action
from simbox.pool import Pool, PoolOptions

FAST = dict(probe_timeout=1.5, command_timeout=3.0, sweep_interval=None, watchdog_interval=None)


@pytest.mark.parametrize(
    ("state", "pin", "failed", "attempts", "action"),
    [
        ("READY", None, False, None, "ready"),
        ("SIM PIN", None, False, 3, "no_pin"),
        ("SIM PIN", "1234", False, 3, "enter"),
        ("SIM PIN", "1234", True, 3, "pin_failed_before"),
        ("SIM PIN", "1234", False, 1, "last_attempt"),
        ("SIM PIN", "1234", False, None, "enter"),  # no counter on this firmware
        ("SIM PUK", "1234", False, 0, "puk_required"),
        ("NOT INSERTED", None, False, None, "no_sim"),
        ("PH-SIM PIN", "1234", False, 3, "unsupported:PH-SIM PIN"),
    ],
)
def test_next_action(state: str, pin: str | None, failed: bool, attempts: int | None, action: str) -> None:
    guard = PinGuard()
    if failed:
        guard.mark_failed("8997", "1234")
    assert next_action(state, pin, "8997", guard, attempts) == action


def test_pin_guard_persists(tmp_path: os.PathLike[str]) -> None:
    path = os.path.join(str(tmp_path), "pins.json")
    PinGuard(path).mark_failed("8997", "0000")
    assert PinGuard(path).failed("8997", "0000")


def test_wrong_pin_is_never_entered_twice() -> None:
    async def body() -> None:
        sims = [VirtualSim(seed=1, pin="1234"), VirtualSim(seed=2, pin="4321")]
        async with Emulator(ports=2, sims=sims, profiles=["ec25", "sim800"]) as emu:
            opts = PoolOptions(**FAST, pins={sims[0].iccid: "0000", sims[1].iccid: "4321"})  # type: ignore[arg-type]
            pool = Pool(emu.paths, opts)
            reports = await pool.start()
            try:
                assert [r.status for r in reports] == ["locked", "ok"]
                assert "wrong PIN" in (reports[0].error or "")
                assert sims[0].pin_attempts == 2
                await pool.channels[0].bring_up(listen=False)  # a rescan
                assert pool.channels[0].status == "locked"
                assert "pin_failed_before" in (pool.channels[0].error or "")
                assert sims[0].pin_attempts == 2  # not entered again
                modem = pool.channels[0].modem
                assert modem is not None
                assert await modem.pin_attempts() == (2, 10)
                with pytest.raises(PinError, match="last_attempt"):
                    sims[0].pin_attempts = 1
                    await modem.unlock("1234")
                sims[0].pin_attempts = 3
                assert await modem.unlock("1234") == "READY"
            finally:
                await pool.stop()

    arun(body())


def test_sim_bank_switch_confirms_iccid_and_retries_silent_failures() -> None:
    async def body() -> None:
        async with Emulator(ports=2, bank_rows=3, profiles="m35") as emu:
            assert emu.bank is not None and emu.bank.path is not None
            async with AtPort(emu.bank.path, timeout=2) as bank_port, AtPort(emu.paths[0], timeout=2) as port:
                bank = SimBank(bank_port, interval=0.02)
                modem = Modem(port)
                await modem.init()
                first = await modem.read_iccid()
                new = await switch_sim(bank, modem, 1, 2, reg_timeout=5)
                assert new == emu.bank.grid[0][1].iccid != first  # type: ignore[union-attr]
                emu.bank.fail_next = 1  # the next switch does nothing, silently
                before = emu.bank.switches
                new = await switch_sim(bank, modem, 1, 3, reg_timeout=5)
                assert new == emu.bank.grid[0][2].iccid  # type: ignore[union-attr]
                assert emu.bank.switches - before == 2  # retried once
                emu.bank.fail_next = 5
                with pytest.raises(SimboxError, match="failed 2 times"):
                    await switch_sim(bank, modem, 1, 1, retries=2, reg_timeout=1)
                assert await bank.ready()

    arun(body())
