"""`prokai worker` (and the cluster's other commands)."""

from __future__ import annotations

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


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)
    app.command("workers")(workers)
