"""kill -9 and SIGTERM halfway through `prokai accounts login --all` (a real subprocess on the
SimBox emulator's pseudo-terminals, SMS login codes from the sandbox through the emulator), then
an immediate rerun: every SIM ends as an uninterrupted run leaves it, each number is logged in
once (one account row, one bound authorization), and no lease is left behind."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from reliability_harness import REPO, VAULT_KEY

sys.path.insert(0, str(Path(__file__).parents[1] / "accounts"))
from accounts_harness import sandbox_thread  # noqa: E402
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from prokai.sandbox.server import SandboxServer
from prokai.sandbox.sms import SimBoxGateway
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import Account
from simbox.emulator import EmulatorThread, VirtualSim

pytestmark = pytest.mark.timeout(240)

REGISTERED = [f"+7705777{n:04d}" for n in range(1, 9)]
UNREGISTERED = ["+77057779999"]
# What an uninterrupted run leaves (tests/accounts/test_accounts_cli.py shows the same outcomes).
EXPECTED = {**{n: "active" for n in REGISTERED}, **{n: "needs_app_registration" for n in UNREGISTERED}}


class DelayedSms:
    """The SimBox gateway with a carrier's delay (real login SMS take seconds to arrive), so that a
    signal lands while some SIMs are logged in and others wait for their code."""

    def __init__(self, inner: SimBoxGateway, delay_s: float) -> None:
        self.inner = inner
        self.delay_s = delay_s

    async def deliver(self, phone: str, text: str) -> None:
        await asyncio.sleep(self.delay_s)
        await self.inner.deliver(phone, text)


def _login(tmp: Path, server: SandboxServer, ports: list[str]) -> subprocess.Popen[str]:
    env = {**os.environ, "PROKAI_DATA_DIR": str(tmp), "PROKAI_SIMBOX__DISCOVER": "false",
           "PROKAI_ACCOUNTS__SMS_CODE_TIMEOUT_S": "20", "PROKAI_ACCOUNTS__LOGIN_CONCURRENCY": "2",
           "PROKAI_VAULT_KEY": VAULT_KEY}
    args = [sys.executable, "-m", "prokai", "accounts", "login", "--all", "--json",
            "--sandbox", f"{server.host}:{server.port}"]
    for path in ports:
        args += ["--port", path]
    return subprocess.Popen(args, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _accounts(tmp: Path) -> dict[str, Any]:
    path = tmp / "prokai.db"
    if not path.exists():
        return {"rows": [], "states": {}, "leased": []}
    db = Database(f"sqlite:///{path}")
    try:
        with db.session() as s:
            rows = list(s.scalars(select(Account)))
            return {"rows": [a.phone for a in rows], "states": {a.phone: a.state for a in rows},
                    "leased": [a.phone for a in rows if a.lease_owner],
                    "sessions": sum(1 for a in rows if a.session_enc)}
    except OperationalError:  # the schema is still being made by the first run
        return {"rows": [], "states": {}, "leased": []}
    finally:
        db.dispose()


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM], ids=["kill-9", "sigterm"])
def test_login_run_interrupted_then_rerun(tmp_path: Path, sig: signal.Signals) -> None:
    numbers = REGISTERED + UNREGISTERED
    with EmulatorThread(ports=len(numbers), sims=[VirtualSim(msisdn=n) for n in numbers]) as emu:
        world = World(sms=DelayedSms(SimBoxGateway(emu), 1.0))
        for n, phone in enumerate(REGISTERED):
            world.add_account(phone, f"Seized {n}")
        with sandbox_thread(world) as server:
            proc = _login(tmp_path, server, emu.paths)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                assert proc.poll() is None, f"the login run ended before it could be interrupted: {proc.communicate()}"
                if list(_accounts(tmp_path)["states"].values()).count("active") >= 2:
                    break
                time.sleep(0.05)
            else:
                raise AssertionError("the login run never got halfway")
            proc.send_signal(sig)
            _, err = proc.communicate(timeout=60)
            interrupted = _accounts(tmp_path)
            assert list(interrupted["states"].values()).count("active") < len(REGISTERED), \
                "the run finished before the signal: nothing was interrupted"
            if sig == signal.SIGTERM:
                assert "Traceback" not in err, err[-2000:]

            rerun = _login(tmp_path, server, emu.paths)
            out, err = rerun.communicate(timeout=150)
            assert rerun.returncode == 0, err[-2000:]
            outcomes = {r["phone"]: r["outcome"] for r in map(json.loads, [ln for ln in out.splitlines()
                                                                            if ln.startswith("{")])}
            # each SIM the first run had logged in is not logged in again
            assert not [p for p, state in interrupted["states"].items() if state == "active"
                        and outcomes.get(p) == "logged_in"]
            bound = [k for k in world.auth_keys.values() if k.user_id is not None]
    final = _accounts(tmp_path)
    assert final["states"] == EXPECTED
    assert sorted(final["rows"]) == sorted(set(final["rows"]))  # one row per number
    assert final["leased"] == []
    assert final["sessions"] == len(REGISTERED)
    # one authorization per number in the whole run, kill or not (a half-done sign-in binds none)
    assert len({k.user_id for k in bound}) == len(REGISTERED)
