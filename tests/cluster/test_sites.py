"""SimBox sites: the SIMs sit in the SimBox emulator's pseudo-terminals, opened by one node's
`prokai site` (a real subprocess, node "site-a"); `prokai accounts login` on another node
("office-b", no modem ports of its own) logs them in through the real RabbitMQ: the inventory and
each login code come from the site, over the site's own queues, and the codes are stored by the
site before they are deleted from the SIMs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from reliability_harness import REPO, VAULT_KEY

sys.path.insert(0, str(Path(__file__).parents[1] / "accounts"))
from accounts_harness import sandbox_thread  # noqa: E402
from sqlalchemy import select

from prokai.cluster.sites import live_sites, site_of
from prokai.sandbox.server import SandboxServer
from prokai.sandbox.sms import SimBoxGateway
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import Account, SimBox, SmsMessage
from simbox.emulator import EmulatorThread, VirtualSim

pytestmark = pytest.mark.timeout(180)

BROKER = os.environ.get("PROKAI_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
REGISTERED = [f"+7705888{n:04d}" for n in range(1, 5)]
UNREGISTERED = ["+77058889999"]


def _env(tmp: Path, queue: str, node: str) -> dict[str, str]:
    return {**os.environ, "PROKAI_DATA_DIR": str(tmp), "PROKAI_SIMBOX__DISCOVER": "false",
            "PROKAI_ACCOUNTS__SMS_CODE_TIMEOUT_S": "20", "PROKAI_VAULT_KEY": VAULT_KEY,
            "PROKAI_CLUSTER__BROKER_URL": BROKER, "PROKAI_CLUSTER__QUEUE": queue, "PROKAI_CLUSTER__NODE": node,
            "PROKAI_CLUSTER__HEARTBEAT_S": "0.5"}


def _prokai(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "prokai", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _login(tmp: Path, queue: str, server: SandboxServer, *args: str) -> tuple[int, list[dict[str, Any]], str]:
    proc = _prokai(_env(tmp, queue, "office-b"), "accounts", "login", "--json",
                   "--sandbox", f"{server.host}:{server.port}", *args)
    out, err = proc.communicate(timeout=120)
    return proc.returncode, [json.loads(ln) for ln in out.splitlines() if ln.startswith("{")], err


def _wait_site(db: Database, proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"prokai site ended: {proc.communicate()}"
        try:
            if live_sites(db, 0.5) == ["site-a"]:
                return
        except Exception:  # the schema is still being made by the site
            pass
        time.sleep(0.2)
    raise AssertionError("the site never announced itself")


def test_login_of_sims_held_by_another_node(tmp_path: Path) -> None:
    queue = f"prokai.test.sites.{uuid.uuid4().hex[:8]}"
    numbers = REGISTERED + UNREGISTERED
    db = Database(f"sqlite:///{tmp_path / 'prokai.db'}")
    sims = [VirtualSim(msisdn=n) for n in numbers]
    with EmulatorThread(ports=len(numbers), sims=sims) as emu:
        world = World(sms=SimBoxGateway(emu))
        for n, phone in enumerate(REGISTERED):
            world.add_account(phone, f"Seized {n}")
        site_args = ["site"]
        for path in emu.paths:
            site_args += ["--port", path]
        site = _prokai(_env(tmp_path, queue, "site-a"), *site_args)
        try:
            _wait_site(db, site)
            with sandbox_thread(world) as server:
                # one SIM by ICCID: its site comes from the inventory tables
                first_iccid = sims[0].iccid
                assert site_of(db, [first_iccid]) == {first_iccid: "site-a"}
                rc, rows, err = _login(tmp_path, queue, server, "--sim", first_iccid)
                assert rc == 0, ([(r["phone"], r["detail"]) for r in rows], err[-2000:])
                assert [(r["phone"], r["outcome"]) for r in rows] == [(REGISTERED[0], "logged_in")]
                # then every SIM of every live site
                rc, rows, err = _login(tmp_path, queue, server, "--all")
                assert rc == 0, ([(r["phone"], r["detail"]) for r in rows if r["outcome"] == "failed"], err[-2000:])
                outcomes = {r["phone"]: r["outcome"] for r in rows}
                assert outcomes == {REGISTERED[0]: "already_logged_in",
                                    **{p: "logged_in" for p in REGISTERED[1:]},
                                    UNREGISTERED[0]: "needs_app_registration"}
            # the site's inventory, asked from the other node
            scan = _prokai(_env(tmp_path, queue, "office-b"), "simbox", "scan", "--site", "site-a", "--json")
            out, err = scan.communicate(timeout=60)
            assert scan.returncode == 0, err[-2000:]
            assert sorted(json.loads(ln)["iccid"] for ln in out.splitlines()) == sorted(sim.iccid for sim in sims)
        finally:
            if site.poll() is None:
                site.terminate()
            out, err = site.communicate(timeout=30)
        assert site.returncode == 0, err[-2000:]
        assert "inventory 3, wait_code 5" in out  # 2 logins and the scan; each SIM's code read at the site (also the one with no account)
        assert "Traceback" not in err, err[-2000:]
        # each code was stored by the site, and deleted from its SIM
        assert all(stored is None for sim in sims for stored in sim.storage)
    with db.session() as s:
        states = {a.phone: a.state for a in s.scalars(select(Account))}
        codes = list(s.scalars(select(SmsMessage.login_code)))
        sites = list(s.scalars(select(SimBox.site)))
    db.dispose()
    assert states == {**{p: "active" for p in REGISTERED}, UNREGISTERED[0]: "needs_app_registration"}
    assert len(codes) == len(REGISTERED) + len(UNREGISTERED) and all(codes)  # a code goes out before sign-in says "no account"
    assert sites == ["site-a"]


def test_login_when_the_site_is_not_serving(tmp_path: Path) -> None:
    """A SIM whose site is down: one line saying so, nothing changed."""
    queue = f"prokai.test.sites.{uuid.uuid4().hex[:8]}"
    db = Database(f"sqlite:///{tmp_path / 'prokai.db'}")
    world = World()
    with sandbox_thread(world) as server:
        rc, rows, err = _login(tmp_path, queue, server, "--site", "site-z", "--all")
    assert rc != 0 and rows == []
    assert [ln for ln in err.splitlines() if "error" in ln.lower()] == \
        ["error: site site-z is not serving (no `prokai site` on that node)"], err
    with db.session() as s:
        assert list(s.scalars(select(Account))) == []
    db.dispose()
