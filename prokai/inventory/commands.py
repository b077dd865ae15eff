"""`prokai simbox scan` and `prokai simbox inbox`: the SimBox library, with results stored."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from prokai.cliutil import EXIT_USAGE, database, fail, settings

if TYPE_CHECKING:
    from simbox.discovery import PortSpec
    from simbox.pool import PoolOptions
    from simbox.sms import IncomingSms

simbox_app = typer.Typer(
    name="simbox",
    help="SimBox modem pools: inventory SIMs and read their SMS into the database.",
    no_args_is_help=True,
)


def port_specs(ctx: typer.Context, ports: list[str] | None, by_path: Path | None, *,
               required: bool = True) -> list[PortSpec]:
    """The ports to open: --port, else --by-path, else simbox.ports, else those discovered; none
    is a usage error unless not `required` (then an empty list)."""
    from simbox.discovery import PortSpec, discover

    if ports:
        return [PortSpec(p) for p in ports]
    if by_path is not None:
        if not by_path.is_dir():
            fail(f"{by_path} is not a directory", EXIT_USAGE)
        return discover(str(by_path))
    cfg = settings(ctx).simbox
    if cfg.ports:
        return [PortSpec(p.path, usb_path=p.usb_path, imei=p.imei, profile=p.profile) for p in cfg.ports]
    if cfg.discover:
        found = discover()
        if found:
            return found
    if not required:
        return []
    fail("no ports: give --port PATH (repeatable), --by-path DIR, or simbox.ports in the config", EXIT_USAGE)


def _options(ctx: typer.Context, probe_timeout: float) -> PoolOptions:
    from simbox.pool import PoolOptions

    cfg = settings(ctx).simbox
    return PoolOptions(
        command_timeout=cfg.command_timeout_s,
        probe_timeout=probe_timeout,
        watchdog_interval=None,
        sweep_interval=None,
    )


@simbox_app.command("scan")
def scan_cmd(
    ctx: typer.Context,
    port: list[str] = typer.Option(None, "--port", "-p", help="A modem tty (repeatable)."),
    by_path: Path | None = typer.Option(None, "--by-path", help="Discover ports in this by-path folder."),
    probe_timeout: float = typer.Option(2.0, "--probe-timeout", help="Seconds to wait for a silent port."),
    as_json: bool = typer.Option(False, "--json", help="One JSON line per port."),
    site: str | None = typer.Option(None, "--site", help="Ask the SimBox of this node (`prokai site` there) "
                                    "instead of opening ports here."),
) -> None:
    """Scan every port concurrently; store the SIM box, ports and SIMs in the database."""
    from prokai.inventory.service import scan_and_store

    if site is not None:
        _scan_site(ctx, site, as_json)
        return
    specs = port_specs(ctx, port, by_path)
    reports = scan_and_store(
        database(ctx), specs, simbox_name=settings(ctx).simbox.name, options=_options(ctx, probe_timeout)
    )
    for rep in reports:
        if as_json:
            typer.echo(json.dumps(rep.to_json(), ensure_ascii=False))
            continue
        sim = rep.sim
        if sim and sim.iccid:
            typer.echo(
                f"{rep.path}\t{rep.status}\t{sim.iccid}\t{sim.msisdn or '-'}\t{sim.operator or '-'}\t"
                f"{sim.signal_dbm if sim.signal_dbm is not None else '-'} dBm"
            )
        else:
            typer.echo(f"{rep.path}\t{rep.status}\t{rep.error or '-'}")
    ok = sum(1 for r in reports if r.status == "ok")
    typer.echo(f"{ok}/{len(reports)} ports with a ready SIM; stored", err=True)
    if not any(r.status in ("ok", "no_sim", "locked") for r in reports):
        fail(f"no modem answered on any of the {len(reports)} ports ({reports[0].error if reports else 'none'})")


def _scan_site(ctx: typer.Context, site: str, as_json: bool) -> None:
    """The inventory of another node's SimBox, through that site's queue (stored there)."""
    import asyncio

    from prokai.cluster.sites import RemoteModems, SiteUnavailable

    async def ask() -> list[dict[str, object]]:
        remote = RemoteModems(settings(ctx).cluster, [site])
        try:
            await remote.start()
            return remote.inventories[site]
        finally:
            await remote.stop()

    try:
        rows = asyncio.run(ask())
    except SiteUnavailable as exc:
        fail(str(exc))
    for row in rows:
        typer.echo(json.dumps(row, ensure_ascii=False) if as_json else
                   f"{row['path']}\t{row['status']}\t{row['iccid']}\t{row.get('msisdn') or '-'}\t{row.get('operator') or '-'}")
    typer.echo(f"site {site}: {len(rows)} SIM(s); stored", err=True)


@simbox_app.command("inbox")
def inbox_cmd(
    ctx: typer.Context,
    port: list[str] = typer.Option(None, "--port", "-p", help="A modem tty (repeatable)."),
    by_path: Path | None = typer.Option(None, "--by-path", help="Discover ports in this by-path folder."),
    wait: float = typer.Option(0.0, "--wait", "-w", min=0, help="Keep listening this many seconds."),
    keep: bool = typer.Option(False, "--keep", help="Do not delete messages from the SIMs after storing."),
    probe_timeout: float = typer.Option(2.0, "--probe-timeout"),
) -> None:
    """Read every SMS on every SIM (and new ones for --wait seconds); store, then delete from the SIM."""
    import asyncio

    from prokai.inventory.service import collect_inbox

    def show(msg: IncomingSms, created: bool) -> None:
        row = msg.to_json()
        row["stored"] = "new" if created else "known"
        typer.echo(json.dumps(row, ensure_ascii=False))

    specs = port_specs(ctx, port, by_path)
    reports, got = asyncio.run(
        collect_inbox(
            database(ctx),
            specs,
            wait=wait,
            keep=keep,
            simbox_name=settings(ctx).simbox.name,
            options=_options(ctx, probe_timeout),
            on_message=show,
        )
    )
    typer.echo(f"{len(got)} messages from {sum(r.status == 'ok' for r in reports)} SIMs", err=True)


def register(app: typer.Typer) -> None:
    """Add `prokai simbox …`."""
    app.add_typer(simbox_app, name="simbox")
