"""`prokai worker`, `prokai site` (and the cluster's other commands)."""

from __future__ import annotations

from pathlib import Path

import typer

from prokai.cliutil import EXIT_FAILURE, EXIT_USAGE, database, fail, settings
from prokai.cluster.workers_cli import workers

MODEL_HELP = "Classifier: transformer (the shipped model) or keywords (the baseline, no torch)."


def worker(
    ctx: typer.Context,
    concurrency: int | None = typer.Option(None, "--concurrency", min=1,
                                           help="Conversations at once (default: cluster.worker_concurrency)."),
    model: str = typer.Option("transformer", "--model", help=MODEL_HELP),
    stop_grace: float = typer.Option(10.0, "--stop-grace", min=0,
                                     help="After SIGTERM/Ctrl-C: seconds the conversations in progress may go on."),
) -> None:
    """Run conversation jobs from the queue (cluster.broker_url, cluster.queue) until stopped.

    Each job is acknowledged only after its target is done or deferred; a worker killed mid-job
    has its jobs redelivered to another. SIGTERM takes no new job, gives those in progress
    --stop-grace seconds, publishes the unfinished ones again and exits 0.
    """
    from prokai.cluster.queue import QueueUnavailable
    from prokai.cluster.worker import Worker, run_worker
    from prokai.crawl.factory import build_runner
    from prokai.keys import VaultError

    st = settings(ctx)
    conc = concurrency or st.cluster.worker_concurrency
    db = database(ctx)
    try:
        runner = build_runner(db, st, model=model, concurrency=conc, actor="worker")
    except VaultError as exc:  # sessions are sealed in the vault: no key, no worker
        fail(str(exc), EXIT_USAGE)
    node = Worker(db, st, runner, concurrency=conc)
    node.stop_grace_s = stop_grace
    try:
        run_worker(node)
    except QueueUnavailable as exc:
        fail(str(exc), EXIT_FAILURE)
    handled = ", ".join(f"{k} {v}" for k, v in sorted(node.handled.items())) or "none"
    typer.echo(f"worker stopped ({node.stopped_by}); jobs: {handled}")


def site(
    ctx: typer.Context,
    port: list[str] = typer.Option(None, "--port", "-p", help="A modem tty (repeatable; default: simbox.ports)."),
    by_path: Path | None = typer.Option(None, "--by-path", help="Discover ports in this by-path folder."),
) -> None:
    """Serve this node's SimBox to the cluster until stopped: its inventory and the login codes
    that arrive on its SIMs, so that `prokai accounts login` on any node logs in SIMs held here.

    The site is this node (cluster.node, default the host name); its SMS are stored as they
    arrive. SIGTERM or Ctrl-C stops it (a login waiting for a code here then fails in one line).
    """
    import asyncio
    import signal

    from prokai.cluster.sites import SiteUnavailable, serve_site
    from prokai.inventory.commands import port_specs

    st = settings(ctx)
    specs = port_specs(ctx, port, by_path)
    db = database(ctx)

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        server = await serve_site(db, st, specs, stop)
        typer.echo(f"site {server.site} stopped; calls answered: "
                   + ", ".join(f"{k} {v}" for k, v in server.served.items()))

    try:
        asyncio.run(main())
    except SiteUnavailable as exc:
        fail(str(exc), EXIT_FAILURE)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("workers")(workers)
    app.command("site")(site)
