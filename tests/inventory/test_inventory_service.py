"""`prokai.inventory`: scanned SIMs and received SMS land in the database (SQLite and PostgreSQL),
idempotently, and a message leaves the SIM only after it is stored."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from prokai.cli import app
from prokai.inventory.service import collect_inbox, scan_and_store, store_reports
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import ModemPort, Sim, SimBox, SmsMessage
from simbox.emulator import EmulatorThread, VirtualSim
from simbox.pool import PoolOptions

SIMS = [VirtualSim(msisdn="+77051112233", mcc_mnc="40101"), None, VirtualSim(msisdn="+77019998877")]


def _db(url: str) -> Database:
    upgrade(url)
    return Database(url)


def test_scan_and_store_upserts(db_url: str) -> None:
    db = _db(db_url)
    with EmulatorThread(ports=3, sims=SIMS, profiles=["sim800", "ec25", "huawei"]) as emu:
        emu.call("set_silent", 1)
        reports = scan_and_store(db, emu.paths, options=PoolOptions(probe_timeout=1.5))
        assert [r.status for r in reports] == ["ok", "silent", "ok"]
        scan_and_store(db, emu.paths, options=PoolOptions(probe_timeout=1.5))  # again: no duplicates
        manifest = emu.manifest()
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SimBox)) == 1
        sims = {x.msisdn: x for x in s.scalars(select(Sim))}
        assert set(sims) == {"+77051112233", "+77019998877"}
        sim = sims["+77051112233"]
        assert sim.iccid == manifest["ports"][0]["sim"]["iccid"]
        assert sim.operator == "Beeline KZ" and sim.pin_state == "READY" and sim.registration == "home"
        assert sim.meta["mcc_mnc"] == "40101" and sim.signal is not None
        ports = list(s.scalars(select(ModemPort).order_by(ModemPort.id)))
        assert len(ports) == 3
        assert {p.status for p in ports} == {"ok", "silent"}
        port = s.get(ModemPort, sim.port_id)
        assert port is not None and port.imei == manifest["ports"][0]["imei"] and port.vendor == "SIMCOM_Ltd"
    db.dispose()


def test_inbox_stores_then_deletes_and_is_idempotent(db_url: str) -> None:
    import asyncio

    db = _db(db_url)
    with EmulatorThread(ports=3, sims=SIMS) as emu:
        emu.deliver_sms("+77019998877", "Код подтверждения Telegram: 70707. " * 4)  # multipart UCS2
        emu.deliver_sms("+77051112233", "Balans 100 tg", sender="Beeline")
        opts = PoolOptions(probe_timeout=1.5, watchdog_interval=None, sweep_interval=None)
        _, got = asyncio.run(collect_inbox(db, emu.paths, keep=True, options=opts))
        assert sorted(created for _, created in got) == [True, True]
        _, again = asyncio.run(collect_inbox(db, emu.paths, keep=False, options=opts))
        assert [created for _, created in again] == [False, False]  # known, then deleted from the SIMs
        _, empty = asyncio.run(collect_inbox(db, emu.paths, options=opts))
        assert empty == []
        assert [p["sim"]["stored"] if p["sim"] else 0 for p in emu.manifest()["ports"]] == [0, 0, 0]
    with db.session() as s:
        rows = list(s.scalars(select(SmsMessage).order_by(SmsMessage.id)))
        assert len(rows) == 2
        code = next(r for r in rows if r.login_code)
        assert code.login_code == "70707" and len(code.pdus) == 3 and code.sender == "Telegram"
    db.dispose()


def test_store_reports_without_sims(db_url: str) -> None:
    from simbox.pool import PortReport

    db = _db(db_url)
    assert store_reports(db, [PortReport("/dev/ttyUSB9", status="silent", error="timeout")]) == []
    with db.session() as s:
        assert s.scalar(select(ModemPort.tty)) == "/dev/ttyUSB9"
    db.dispose()


def test_prokai_simbox_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/cli.db"
    upgrade(url)
    monkeypatch.chdir(tmp_path)  # defaults, not whatever ./config.yaml says
    monkeypatch.setenv("PROKAI_DATABASE__URL", url)
    runner = CliRunner()
    with EmulatorThread(ports=2, sims=SIMS[:1] + [VirtualSim(msisdn="+77470001122")]) as emu:
        emu.deliver_sms("+77470001122", "Telegram code: 31415")
        args = [a for p in emu.paths for a in ("--port", p)]
        res = runner.invoke(app, ["simbox", "scan", *args, "--json"])
        assert res.exit_code == 0, res.output
        rows = [json.loads(line) for line in res.stdout.splitlines()]
        assert [r["sim"]["msisdn"] for r in rows] == ["+77051112233", "+77470001122"]
        res = runner.invoke(app, ["simbox", "inbox", *args])
        assert res.exit_code == 0, res.output
        (msg,) = [json.loads(line) for line in res.stdout.splitlines() if line.startswith("{")]
        assert msg["login_code"] == "31415" and msg["stored"] == "new"
    res = runner.invoke(app, ["simbox", "scan", "--by-path", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "not a directory" in res.output
    res = runner.invoke(app, ["simbox", "scan", "--port", str(tmp_path / "ttyUSB99")])
    assert res.exit_code == 1 and "no modem answered" in res.output
    with Database(url).session() as s:
        assert s.scalar(select(func.count()).select_from(SmsMessage)) == 1
    assert runner.invoke(app, ["simbox", "--help"]).exit_code == 0


def test_login_flow_pool_archives_before_deleting(db_url: str) -> None:
    import asyncio
    import time

    from prokai.config import SimboxSettings
    from prokai.inventory.service import start_pool
    from simbox.emulator import Emulator

    db = _db(db_url)

    async def body() -> None:
        async with Emulator(ports=2, sims=[SIMS[0], SIMS[2]]) as emu:
            pool = await start_pool(db, SimboxSettings(name="box-a"), emu.paths, probe_timeout=1.5, watchdog_interval=None)
            try:
                t0 = time.time()
                emu.deliver_sms("+77019998877", "Telegram code: 27182")
                sms = await pool.wait_code("+77019998877", timeout=5, since=t0)
                assert sms.login_code == "27182"
                for _ in range(200):  # the archiver stores it, then deletes it from the SIM
                    if emu.ports[1].modem.sim is not None and emu.ports[1].modem.sim.used == 0:
                        break
                    await asyncio.sleep(0.01)
                assert emu.ports[1].modem.sim is not None and emu.ports[1].modem.sim.used == 0
            finally:
                await pool.stop()

    asyncio.run(asyncio.wait_for(body(), 30))
    with db.session() as s:
        row = s.scalar(select(SmsMessage))
        assert row is not None and row.login_code == "27182"
        box = s.scalar(select(SimBox))
        assert box is not None and box.name == "box-a"
    db.dispose()


def test_a_network_duplicate_is_stored_once_and_both_copies_deleted(tmp_path: Path) -> None:
    import asyncio

    from simbox.pdu.codec import encode_deliver_parts

    url = f"sqlite:///{tmp_path}/dup.db"
    db = _db(url)
    with EmulatorThread(ports=1, sims=SIMS[:1]) as emu:
        pdu = encode_deliver_parts("Telegram", "Telegram code: 90909")[0]
        emu.call("deliver_pdus", "+77051112233", [pdu, pdu])  # the network delivered it twice
        opts = PoolOptions(probe_timeout=1.5, watchdog_interval=None, sweep_interval=None)
        _, got = asyncio.run(collect_inbox(db, emu.paths, options=opts))
        assert sorted(created for _, created in got) == [False, True]
        assert sum(m.duplicate_of is not None for m, _ in got) == 1
        assert emu.manifest()["ports"][0]["sim"]["stored"] == 0
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SmsMessage)) == 1
    db.dispose()
