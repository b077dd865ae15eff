"""SimBox sites: the node holding a SIM answers for it (login codes, inventory) over the broker.

A SIM sits in one physical modem pool on one node. That node runs `prokai site`: it opens
its pool, records the inventory in the database (its `SimBox` row carries `site` = the node's
name, with the ports and SIMs under it), keeps a row in the workers table (role `site`), and
answers requests on queues of its own, `<cluster.queue>.site.<node>.<method>`:

- `inventory`: the pool's ports and SIMs as it sees them now, stored, returned;
- `wait_code(iccid, age_s, timeout_s)`: the next SMS with a login code for that SIM received at
  most `age_s` ago (an age, not a timestamp: two nodes' clocks may disagree), stored in the
  database by the site and deleted from the SIM before it is returned, so a caller that dies
  after asking loses nothing.

Any node then logs in SIMs at any site: `RemoteModems` stands for the site's modem pool in
`prokai.accounts.login.LoginRunner` (the same `channels` and `wait_code`), and `site_of` says
where a SIM is from the inventory tables.

Request/reply with a deadline is not a job: a login code is wanted within minutes by one waiting
caller, and a code read after the caller gave up is worthless. So these calls use aio-pika's JSON
RPC pattern (the library Taskiq's broker is built on): a reply queue per caller, the call queues
auto-deleted when their site stops, so a call to a site that is down fails at once ("returned")
instead of waiting in a queue for a node that may never come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from prokai.config import ClusterSettings
from prokai.store.db import Database
from prokai.store.models import ModemPort, Sim, SimBox
from simbox.discovery import PortSpec
from simbox.modem import SimInfo
from simbox.sms import IncomingSms

log = logging.getLogger(__name__)

METHODS = ("inventory", "wait_code")
CALL_MARGIN_S = 10.0  # a call waits this much longer than the site's own timeout (transit, a busy site)
# `wait_code` also takes an SMS received this long before the age it is given: the age is counted
# when the call leaves, the code may reach the site while the call is in transit. An older code
# is never wanted (a new code request voids it), so the margin stays short.
TRANSIT_MARGIN_S = 2.0


class SiteUnavailable(Exception):
    """The site cannot be asked (not serving, broker down); the message says which and why."""


def site_queue(cluster: ClusterSettings, site: str, method: str) -> str:
    """The broker queue on which `site` answers `method`."""
    return f"{cluster.queue}.site.{site}.{method}"


def simbox_name(site: str, name: str) -> str:
    """The `SimBox` row of a site's pool: one per site, named after both (two sites may keep the
    default `simbox.name`)."""
    return f"{site}/{name}"


def site_of(db: Database, iccids: Iterable[str]) -> dict[str, str]:
    """ICCID → the site its SIM was last inventoried at (SIMs never seen at a site are absent)."""
    wanted = list(iccids)
    with db.session() as s:
        rows = s.execute(select(Sim.iccid, SimBox.site).join(ModemPort, ModemPort.id == Sim.port_id)
                         .join(SimBox, SimBox.id == ModemPort.simbox_id)
                         .where(Sim.iccid.in_(wanted), SimBox.site.is_not(None)))
        return {iccid: site for iccid, site in rows if site}


def sim_rows(reports: Sequence[Any]) -> list[dict[str, Any]]:
    """The SIMs of inventory reports (`simbox.pool.PortReport`) as the `inventory` call returns them."""
    rows = []
    for rep in reports:
        sim = rep.sim
        if sim is None or not sim.iccid:
            continue
        rows.append({"iccid": sim.iccid, "msisdn": sim.msisdn, "operator": sim.operator, "status": rep.status,
                     "imei": rep.identity.imei if rep.identity else None, "path": rep.path})
    return rows


def sms_payload(msg: IncomingSms) -> dict[str, Any]:
    """An SMS as a `wait_code` reply carries it (everything `store_sms` keeps)."""
    return {"sim": msg.sim, "msisdn": msg.msisdn, "sender": msg.sender, "text": msg.text,
            "timestamp": msg.timestamp.isoformat() if msg.timestamp else None, "pdus": list(msg.pdus),
            "port": msg.port}


def sms_from_payload(row: dict[str, Any]) -> IncomingSms:
    """The `IncomingSms` of a `wait_code` reply, already stored and deleted from the SIM by its site."""
    stamp = row.get("timestamp")
    msg = IncomingSms(sim=row["sim"], msisdn=row.get("msisdn"), sender=row.get("sender"), text=row["text"],
                      timestamp=datetime.fromisoformat(stamp) if stamp else None, pdus=list(row.get("pdus") or []),
                      port=row.get("port"))
    msg.acked = True
    return msg


class SiteServer:
    """`prokai site`: one node's modem pool, answering the cluster's calls for its SIMs."""

    def __init__(self, db: Database, cluster: ClusterSettings, pool: Any, *, site: str, box: str) -> None:
        """`pool`: a started `simbox.pool.Pool`; `box`: its `SimBox` name."""
        self.db = db
        self.cluster = cluster
        self.pool = pool
        self.site = site
        self.box = box
        self.served: dict[str, int] = dict.fromkeys(METHODS, 0)
        self._conn: Any = None

    def store_inventory(self, reports: Sequence[Any]) -> list[dict[str, Any]]:
        """Record the pool's ports and SIMs under this site's `SimBox`; the SIMs."""
        from prokai.inventory.service import store_reports

        store_reports(self.db, reports, self.box)
        with self.db.session() as s:
            row = s.scalar(select(SimBox).where(SimBox.name == self.box))
            if row is not None:
                row.site = self.site
        return sim_rows(reports)

    async def inventory(self) -> list[dict[str, Any]]:
        """The `inventory` call: the pool as it sees its ports now (re-bound modems, swapped SIMs;
        a fresh scan would fight the open pool for its ports), stored."""
        self.served["inventory"] += 1
        return await asyncio.to_thread(self.store_inventory, self.pool.reports())

    async def wait_code(self, iccid: str, age_s: float, timeout_s: float) -> dict[str, Any]:
        """The `wait_code` call: the SMS is in the database and off the SIM before it is returned."""
        from prokai.inventory.service import store_sms

        self.served["wait_code"] += 1
        since = time.time() - max(0.0, float(age_s)) - TRANSIT_MARGIN_S
        msg = await self.pool.wait_code(iccid, timeout=float(timeout_s), since=since)
        await asyncio.to_thread(store_sms, self.db, msg)
        with contextlib.suppress(Exception):  # stored: a failed delete only leaves a copy on the SIM
            await msg.ack()
        return sms_payload(msg)

    async def start(self) -> None:
        """Connect (robustly: the broker may restart) and answer on this site's queues."""
        import aio_pika
        from aio_pika.patterns import JsonRPC

        try:
            self._conn = await aio_pika.connect_robust(self.cluster.broker_url)
        except (ConnectionError, OSError) as exc:
            raise SiteUnavailable(f"site {self.site}: broker unreachable: {exc}") from exc
        channel = await self._conn.channel()
        rpc = await JsonRPC.create(channel)
        await rpc.register(site_queue(self.cluster, self.site, "inventory"), self.inventory, auto_delete=True)
        await rpc.register(site_queue(self.cluster, self.site, "wait_code"), self.wait_code, auto_delete=True)
        log.info("site %s answering on %s", self.site, site_queue(self.cluster, self.site, "*"))

    async def close(self) -> None:
        """Stop answering (the call queues go with the connection)."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


@dataclass
class RemoteChannel:
    """One SIM slot at a site, shaped as `LoginRunner` reads a modem pool's channels."""

    site: str
    sim: SimInfo
    imei: str | None
    spec: PortSpec
    identity: None = None


@dataclass
class RemoteModems:
    """The modem pools of other nodes as one pool: `channels` from their inventories,
    `wait_code` asked of the SIM's own site."""

    cluster: ClusterSettings
    sites: list[str]
    channels: list[RemoteChannel] = field(default_factory=list)
    inventories: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # site → its `inventory` rows
    _conn: Any = None
    _rpc: Any = None

    async def start(self) -> None:
        """Connect and take each site's inventory (a site that does not answer is an error)."""
        import aio_pika
        from aio_pika.patterns import JsonRPC

        try:
            self._conn = await aio_pika.connect_robust(self.cluster.broker_url)
        except (ConnectionError, OSError) as exc:
            raise SiteUnavailable(f"broker unreachable: {exc}") from exc
        self._rpc = await JsonRPC.create(await self._conn.channel())
        self.channels = []
        for site in self.sites:
            self.inventories[site] = await self._call(site, "inventory", {}, CALL_MARGIN_S * 3)
            for row in self.inventories[site]:
                self.channels.append(RemoteChannel(site, SimInfo(iccid=row["iccid"], msisdn=row.get("msisdn"),
                                                                 operator=row.get("operator")),
                                                   row.get("imei"), PortSpec(f"{site}:{row.get('path')}")))

    async def _call(self, site: str, method: str, kwargs: dict[str, Any], timeout_s: float) -> Any:
        from aio_pika.exceptions import MessageProcessError
        from aio_pika.patterns.rpc import JsonRPCError

        try:
            return await asyncio.wait_for(self._rpc.call(site_queue(self.cluster, site, method), kwargs=kwargs),
                                          timeout_s)
        except MessageProcessError as exc:
            raise SiteUnavailable(f"site {site} is not serving (no `prokai site` on that node)") from exc
        except JsonRPCError as exc:
            error = (exc.args[1] if len(exc.args) > 1 else {}).get("error", {})
            if error.get("type") == "TimeoutError":
                raise TimeoutError(f"site {site}: no login code in time") from exc
            raise SiteUnavailable(f"site {site}: {method} failed: {error.get('message', exc)}") from exc
        except TimeoutError as exc:
            raise SiteUnavailable(f"site {site} did not answer {method} within {timeout_s:.0f} s") from exc

    async def wait_code(self, who: str, *, timeout: float = 120.0, since: float | None = None) -> IncomingSms:
        """The next login-code SMS for the SIM `who` (ICCID), read at its site. Raises TimeoutError."""
        channel = next((ch for ch in self.channels if ch.sim.iccid == who), None)
        if channel is None:
            raise KeyError(f"no SIM {who} at sites {', '.join(self.sites)}")
        age = time.time() - since if since is not None else 0.0
        row = await self._call(channel.site, "wait_code", {"iccid": who, "age_s": age, "timeout_s": timeout},
                               timeout + CALL_MARGIN_S)
        return sms_from_payload(row)

    async def stop(self) -> None:
        """Disconnect."""
        if self._conn is not None:
            await self._conn.close()
            self._conn = None


def live_sites(db: Database, heartbeat_s: float) -> list[str]:
    """The nodes serving their SimBox now (live `site` rows of the workers table)."""
    from prokai.cluster.presence import live_workers

    return sorted({w.node for w in live_workers(db, heartbeat_s) if w.role == "site"})


async def serve_site(db: Database, settings: Any, specs: Sequence[PortSpec], stop: asyncio.Event, *,
                     site: str | None = None) -> SiteServer:
    """Open this node's pool on `specs` (its SMS archived as they arrive), store its inventory under
    the site, answer the cluster's calls and keep the site's row in the workers table until `stop`
    is set; returns the server (its `served` counts)."""
    from prokai.cluster.presence import Presence
    from prokai.inventory.service import attach_archiver, options_from_settings
    from simbox.pool import Pool

    presence = Presence(db, "site", node=site or settings.cluster.node)
    name = simbox_name(presence.node, settings.simbox.name)
    pool = Pool(list(specs), options_from_settings(settings.simbox))
    attach_archiver(pool, db)
    reports = await pool.start(listen=True)
    server = SiteServer(db, settings.cluster, pool, site=presence.node, box=name)
    try:
        sims = await asyncio.to_thread(server.store_inventory, reports)
        await server.start()
        presence.describe = lambda: (f"SimBox {settings.simbox.name}: {len(pool.channels)} port(s), "
                                     f"{sum(1 for ch in pool.channels if ch.sim and ch.sim.iccid)} SIM(s); "
                                     f"codes served {server.served['wait_code']}")
        presence.doing = presence.describe()
        log.info("site %s: %d SIM(s) inventoried", presence.node, len(sims))
        async with presence.running(settings.cluster.heartbeat_s):
            await stop.wait()
    finally:
        await server.close()
        await pool.stop()
    return server


__all__ = ["METHODS", "RemoteChannel", "RemoteModems", "SiteServer", "SiteUnavailable", "simbox_name",
           "live_sites", "serve_site", "site_of", "site_queue"]
