"""Scan SimBox ports and keep what they hold in the database: SIM boxes, modem ports, SIMs, SMS.

    from prokai.inventory.service import scan_and_store
    reports = scan_and_store(db, ["/dev/ttyUSB0", "/dev/ttyUSB1"])   # sync; see the async twin

Upserts are keyed by what does not change: a port by (SimBox, IMEI), a SIM by ICCID, an SMS by
(SIM, SHA-256 of its PDUs). Storing is idempotent; a message is stored before it is acknowledged
(and so deleted from the SIM).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from prokai.config import SimboxSettings
from prokai.store.db import Database
from prokai.store.models import ModemPort, Sim, SimBox, SmsMessage
from simbox.discovery import PortSpec
from simbox.pool import Pool, PoolOptions, PortReport, scan
from simbox.sms import IncomingSms

log = logging.getLogger("prokai.inventory")


def _now() -> datetime:
    return datetime.now(UTC)


def _simbox(s: Session, name: str) -> SimBox:
    box = s.scalar(select(SimBox).where(SimBox.name == name))
    if box is None:
        box = SimBox(name=name)
        s.add(box)
        s.flush()
    return box


def _port_row(s: Session, box: SimBox, rep: PortReport) -> ModemPort:
    imei = rep.identity.imei if rep.identity else None
    row = None
    if imei:
        row = s.scalar(select(ModemPort).where(ModemPort.simbox_id == box.id, ModemPort.imei == imei))
    if row is None:
        key_cond = ModemPort.usb_path == rep.usb_path if rep.usb_path else ModemPort.tty == rep.path
        row = s.scalar(select(ModemPort).where(ModemPort.simbox_id == box.id, ModemPort.imei.is_(None), key_cond))
    if row is None:
        row = ModemPort(simbox_id=box.id, imei=imei)
        s.add(row)
    row.imei = imei or row.imei
    row.tty = rep.path
    row.usb_path = rep.usb_path or row.usb_path
    if rep.identity:
        row.vendor = rep.identity.manufacturer
        row.model = rep.identity.model
    row.status = rep.status
    if rep.status not in ("silent", "lost", "error"):
        row.last_seen = _now()
    s.flush()
    return row


def store_reports(db: Database, reports: Sequence[PortReport], simbox_name: str = "simbox-1") -> list[int]:
    """Upsert the ports and SIMs of `reports`; returns the Sim ids stored (in report order)."""
    sim_ids: list[int] = []
    with db.session() as s:
        box = _simbox(s, simbox_name)
        for rep in reports:
            port = _port_row(s, box, rep)
            info = rep.sim
            if info is None or not info.iccid:
                continue
            sim = s.scalar(select(Sim).where(Sim.iccid == info.iccid))
            if sim is None:
                sim = Sim(iccid=info.iccid)
                s.add(sim)
            sim.imsi = info.imsi or sim.imsi
            sim.msisdn = info.msisdn or sim.msisdn
            sim.operator = info.operator or sim.operator
            sim.pin_state = info.pin_state
            sim.signal = info.signal_dbm
            sim.registration = info.registration
            sim.port_id = port.id
            sim.last_seen = _now()
            meta: dict[str, Any] = dict(sim.meta or {})
            meta.update(
                mcc_mnc=info.mcc_mnc,
                msisdn_source=info.msisdn_source,
                csq=info.csq,
                imei=port.imei,
                errors=info.errors,
            )
            sim.meta = meta
            s.flush()
            sim_ids.append(sim.id)
    return sim_ids


async def scan_and_store_async(
    db: Database,
    paths: Sequence[str | PortSpec],
    *,
    simbox_name: str = "simbox-1",
    options: PoolOptions | None = None,
) -> list[PortReport]:
    """Scan `paths` concurrently (see `simbox.pool.scan`) and upsert SimBox/ModemPort/Sim rows.
    Returns one report per port, failures included (status silent/error/no_sim/locked)."""
    reports = await scan(paths, options or PoolOptions(probe_timeout=2.0, use_ussd_for_number=True))
    await asyncio.to_thread(store_reports, db, reports, simbox_name)
    return reports


def scan_and_store(
    db: Database,
    paths: Sequence[str | PortSpec],
    *,
    simbox_name: str = "simbox-1",
    options: PoolOptions | None = None,
) -> list[PortReport]:
    """Synchronous `scan_and_store_async` (for scripts and the demo; not from a running loop).

    `paths` are tty paths (or `PortSpec`s with USB path / expected IMEI). Each report has
    `.status` ("ok", "no_sim", "locked", "silent", "error"), `.identity` (IMEI, model) and
    `.sim` (ICCID, IMSI, msisdn, operator, signal_dbm); `.to_json()` for printing."""
    return asyncio.run(scan_and_store_async(db, paths, simbox_name=simbox_name, options=options))


def store_sms(db: Database, msg: IncomingSms) -> tuple[int, bool]:
    """Persist one received SMS; returns (SmsMessage id, created). Idempotent by PDU hash, also
    when two writers store the same message at once (the archiver and a login-code reader)."""
    from sqlalchemy.exc import IntegrityError

    try:
        return _store_sms_once(db, msg)
    except IntegrityError:  # the other writer's row (or SIM row) came first: it is there now
        return _store_sms_once(db, msg)


def _store_sms_once(db: Database, msg: IncomingSms) -> tuple[int, bool]:
    with db.session() as s:
        sim = s.scalar(select(Sim).where(Sim.iccid == msg.sim))
        if sim is None and msg.msisdn:
            sim = s.scalar(select(Sim).where(Sim.msisdn == msg.msisdn))
        if sim is None:
            sim = Sim(iccid=msg.sim, msisdn=msg.msisdn)
            s.add(sim)
            s.flush()
        key = msg.dedup_key
        row = s.scalar(select(SmsMessage).where(SmsMessage.sim_id == sim.id, SmsMessage.dedup_key == key))
        if row is not None:
            return row.id, False
        row = SmsMessage(
            sim_id=sim.id,
            sender=msg.sender,
            text=msg.text,
            sent_at=msg.timestamp,
            pdus=list(msg.pdus),
            dedup_key=key,
            login_code=msg.login_code,
        )
        s.add(row)
        s.flush()
        return row.id, True


async def collect_inbox(
    db: Database,
    paths: Sequence[str | PortSpec],
    *,
    wait: float = 0.0,
    keep: bool = False,
    simbox_name: str = "simbox-1",
    options: PoolOptions | None = None,
    on_message: Callable[[IncomingSms, bool], None] | None = None,
) -> tuple[list[PortReport], list[tuple[IncomingSms, bool]]]:
    """Bring the pool up (which sweeps every storage), store every SMS found and those arriving
    within `wait` seconds, and delete each from its SIM after it is committed (unless `keep`).
    `on_message(msg, created)` is called as each is stored. Returns the port reports and
    (message, newly stored) pairs."""
    opts = options or PoolOptions(probe_timeout=2.0, watchdog_interval=None, sweep_interval=None)
    pool = Pool(paths, opts)
    got: list[tuple[IncomingSms, bool]] = []
    queue: asyncio.Queue[IncomingSms] = asyncio.Queue()
    pool.subscribe(queue.put_nowait)
    reports = await pool.start(listen=True)
    try:
        await asyncio.to_thread(store_reports, db, reports, simbox_name)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while True:
            timeout = max(0.0, deadline - loop.time())
            try:
                msg = queue.get_nowait() if queue.qsize() else await asyncio.wait_for(queue.get(), timeout or 0.05)
            except TimeoutError:
                if loop.time() >= deadline:
                    break
                continue
            _id, created = await asyncio.to_thread(store_sms, db, msg)
            got.append((msg, created))
            if on_message is not None:
                on_message(msg, created)
            if not keep:
                await msg.ack()
        for msg in pool.pending():  # incomplete multipart sets released at the end
            if all(m is not msg for m, _ in got):
                _id, created = await asyncio.to_thread(store_sms, db, msg)
                got.append((msg, created))
                if on_message is not None:
                    on_message(msg, created)
    finally:
        await pool.stop()
    return reports, got


def specs_from_settings(cfg: SimboxSettings, by_path: str = "/dev/serial/by-path") -> list[PortSpec]:
    """The ports named in `simbox.ports`, else (with `simbox.discover`) those found by USB path."""
    from simbox.discovery import discover

    if cfg.ports:
        return [PortSpec(p.path, usb_path=p.usb_path, imei=p.imei, profile=p.profile) for p in cfg.ports]
    return discover(by_path) if cfg.discover else []


def options_from_settings(cfg: SimboxSettings, **overrides: Any) -> PoolOptions:
    """PoolOptions from the `simbox` config section (command timeout, sweep interval)."""
    opts = PoolOptions(command_timeout=cfg.command_timeout_s, sweep_interval=cfg.sms_sweep_interval_s)
    for key, value in overrides.items():
        setattr(opts, key, value)
    return opts


def attach_archiver(pool: Pool, db: Database, *, delete: bool = True) -> None:
    """Store every SMS the pool receives in the database, then (with `delete`) acknowledge it so
    it is deleted from the SIM. Login flows still get the message from `pool.wait_code(...)`:
    the archiver does not claim it."""
    tasks: set[asyncio.Task[None]] = set()

    async def archive(msg: IncomingSms) -> None:
        try:
            await asyncio.to_thread(store_sms, db, msg)
        except Exception:
            log.exception("SMS from %s on SIM %s not stored; it stays on the SIM", msg.sender, msg.sim)
            return
        if delete:
            await msg.ack()

    def on_sms(msg: IncomingSms) -> None:
        task = asyncio.get_running_loop().create_task(archive(msg))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    pool.subscribe(on_sms)


async def start_pool(
    db: Database,
    cfg: SimboxSettings,
    paths: Sequence[str | PortSpec] | None = None,
    **overrides: Any,
) -> Pool:
    """A started pool (ports from `paths`, else from the config) whose SIMs are stored and whose
    SMS are archived to the database before deletion. For the login flow:

        pool = await start_pool(db, settings.simbox)
        t0 = time.time(); ...request the code...
        sms = await pool.wait_code(phone, timeout=settings.accounts.sms_code_timeout_s, since=t0)
        code = sms.login_code
        ...
        await pool.stop()
    """
    pool = Pool(list(paths) if paths is not None else specs_from_settings(cfg), options_from_settings(cfg, **overrides))
    attach_archiver(pool, db)
    reports = await pool.start(listen=True)
    await asyncio.to_thread(store_reports, db, reports, cfg.name)
    return pool
