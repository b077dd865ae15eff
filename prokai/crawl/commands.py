"""`prokai campaign …` and `prokai sweep`."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from prokai.cliutil import (
    EXIT_FAILURE,
    EXIT_USAGE,
    NO_PROGRESS_HELP,
    database,
    fail,
    progress_display,
    settings,
)

if TYPE_CHECKING:
    from rich.progress import Progress

    from prokai.crawl.runner import ProgressEvent

campaign_app = typer.Typer(help="Crawl campaigns: create, run, status, stop.", no_args_is_help=True)

STOP_GRACE_HELP = "After SIGTERM/Ctrl-C: seconds the conversations in progress may go on before they are cut."
MODEL_HELP = "Classifier: transformer (the shipped model) or keywords (the baseline, no torch)."

# The order outcomes are shown in on the progress bar (others follow alphabetically).
OUTCOME_ORDER = ("requisites", "read", "not_shop", "no_answer", "stuck", "dead", "duplicate",
                 "captcha_failed", "banned", "error")


def describe(label: str, outcomes: Mapping[str, int]) -> str:
    """The bar's description: `label` and the outcomes so far ("campaign 1: requisites 3 · dead 1")."""
    known = [k for k in OUTCOME_ORDER if outcomes.get(k)]
    others = sorted(k for k, v in outcomes.items() if v and k not in OUTCOME_ORDER)
    parts = [f"{k} {outcomes[k]}" for k in known + others]
    return f"{label}: {' · '.join(parts)}" if parts else label


class CrawlProgress:
    """The runner's progress hook for the CLI: one bar of conversations done / targets known.

    Summed over campaigns, so one bar also follows a sweep (one campaign per swept source).
    """

    def __init__(self, progress: Progress, label: str) -> None:
        self.progress = progress
        self.label = label
        self.task = progress.add_task(label, total=None)
        self.latest: dict[int, ProgressEvent] = {}

    def __call__(self, event: ProgressEvent) -> None:
        self.latest[event.campaign_id] = event
        outcomes: dict[str, int] = {}
        for ev in self.latest.values():
            for k, v in ev.outcomes.items():
                outcomes[k] = outcomes.get(k, 0) + v
        self.progress.update(self.task, completed=sum(e.done for e in self.latest.values()),
                             total=sum(e.total for e in self.latest.values()),
                             description=describe(self.label, outcomes))


def run_stoppable(runner: Any, work: Coroutine[Any, Any, Any]) -> Any:
    """Run `work` with SIGTERM and SIGINT asking `runner` to stop gracefully (a second one: at once)."""

    async def main() -> Any:
        loop = asyncio.get_running_loop()
        stop = getattr(runner, "request_stop", None)
        signals = (signal.SIGTERM, signal.SIGINT) if stop is not None else ()
        for sig in signals:
            loop.add_signal_handler(sig, runner.request_stop, sig.name)
        try:
            return await work
        finally:
            for sig in signals:
                loop.remove_signal_handler(sig)

    return asyncio.run(main())


def report_unfinished(what: str, report: Any) -> None:
    """Say on stderr what was left pending and exit non-zero (128+signal after a signal, else 1)."""
    if report.stopped_by is None and not report.pending:
        return
    reasons = sorted(set(report.pending.values()))
    why = f"stopped by {report.stopped_by}" if report.stopped_by else "not finished"
    typer.echo(f"{what} {why}: {max(report.left, len(report.pending))} target(s) left pending"
               + (f" ({reasons[0]}{' …' if len(reasons) > 1 else ''})" if reasons else "")
               + "; run it again to resume", err=True)
    stopped = getattr(signal.Signals, str(report.stopped_by), None) if report.stopped_by else None
    raise typer.Exit(128 + stopped.value if stopped is not None else EXIT_FAILURE)


@campaign_app.command("create")
def create(
    ctx: typer.Context,
    case: str = typer.Option(..., "--case", help="Case number: the legal basis (required)."),
    name: str = typer.Option(..., "--name", help="Campaign name (unique within the case)."),
    targets: Path = typer.Option(..., "--targets", help="File: one target per line (@name, t.me link, phone)."),
    legal_basis: str | None = typer.Option(None, "--legal-basis", help="Text of the legal basis, for a new case."),
    region: str | None = typer.Option(None, "--region", help="City the buyer persona picks (default: crawl.region)."),
    actor: str = typer.Option("operator", "--actor", help="Who creates it (audited)."),
) -> None:
    """Create a campaign with its targets. Bad target lines are reported and skipped (exit 1)."""
    from prokai.cliutil import bounded_lines
    from prokai.crawl.campaigns import CampaignError, create_campaign
    from prokai.intake.targets import parse_targets

    try:
        if not targets.is_file():
            fail(f"{targets}: not a regular file", EXIT_USAGE)
        with targets.open("rb") as fh:  # bytes, line by line: a bad line is reported, not fatal
            lines = [raw.decode("utf-8", "replace") if raw is not None else "\ufffd (line too long)"
                     for raw in bounded_lines(fh, 4096)]
    except OSError as exc:
        fail(f"{targets}: {exc.strerror}", EXIT_USAGE)
    specs, errors = parse_targets(lines)
    for err in errors:
        typer.echo(f"{targets}: {err}", err=True)
    if not specs:
        fail(f"{targets}: no valid target", EXIT_USAGE)
    try:
        campaign_id, added = create_campaign(
            database(ctx), case, name, specs, actor=actor, legal_basis=legal_basis,
            region=region or settings(ctx).crawl.region,
        )
    except CampaignError as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"campaign {campaign_id} created with {added} targets")
    if errors:
        raise typer.Exit(EXIT_FAILURE)


def make_runner(ctx: typer.Context, model: str, concurrency: int) -> Any:
    """The campaign runner over the account pool, configured from settings (`build_runner`)."""
    from prokai.crawl.factory import build_runner

    return build_runner(database(ctx), settings(ctx), model=model, concurrency=concurrency)


DISTRIBUTED_HELP = ("Publish one job per target on the queue (cluster.*) for `prokai worker` processes and "
                    "follow them, instead of running here.")


def _runner(ctx: typer.Context, distributed: bool, model: str, concurrency: int,
            stop_grace: float) -> tuple[Any, tuple[type[Exception], ...]]:
    """The runner of `campaign run` and `sweep`: in-process, or the distributed run (its
    unreachable-broker error said in one line instead of a traceback)."""
    if distributed:
        from prokai.cluster.dispatch import DistributedRun
        from prokai.cluster.queue import QueueUnavailable

        return DistributedRun(database(ctx), settings(ctx), actor="operator"), (QueueUnavailable,)
    runner = make_runner(ctx, model, concurrency)
    runner.stop_grace_s = stop_grace
    return runner, ()


@campaign_app.command("run")
def run(
    ctx: typer.Context,
    campaign_id: int = typer.Argument(..., help="Campaign id."),
    model: str = typer.Option("transformer", "--model", help=MODEL_HELP),
    concurrency: int = typer.Option(4, "--concurrency", min=1, help="Conversations at once."),
    no_progress: bool = typer.Option(False, "--no-progress", help=NO_PROGRESS_HELP),
    stop_grace: float = typer.Option(10.0, "--stop-grace", min=0, help=STOP_GRACE_HELP),
    distributed: bool = typer.Option(False, "--distributed", help=DISTRIBUTED_HELP),
) -> None:
    """Run (or resume) a campaign until every target is done or it is stopped.

    SIGTERM or Ctrl-C stops it cleanly: no new conversation starts, those in progress get
    --stop-grace seconds, then leases are released and unfinished targets stay pending (exit
    128+signal). Targets no account could take stay pending too (exit 1). Run it again to resume.
    With --distributed the workers run the conversations (--model, --concurrency and --stop-grace
    are theirs); a signal here stops the campaign as `campaign stop` does, and this waits for it.
    """
    runner, unreachable = _runner(ctx, distributed, model, concurrency, stop_grace)
    with progress_display(not no_progress) as progress:
        runner.on_progress = CrawlProgress(progress, f"campaign {campaign_id}")
        try:
            report = run_stoppable(runner, runner.run(campaign_id))
        except unreachable as exc:
            fail(str(exc), EXIT_FAILURE)
    typer.echo(f"{report.done} conversations; outcomes: {dict(sorted(report.outcomes.items()))}; "
               f"new requisites: {len(report.new_requisites)}")
    report_unfinished(f"campaign {campaign_id}", report)


@campaign_app.command("status")
def status(ctx: typer.Context, campaign_id: int = typer.Argument(..., help="Campaign id.")) -> None:
    """Targets by status and outcome, requisites by kind."""
    from prokai.crawl.campaigns import CampaignError, campaign_status

    try:
        st = campaign_status(database(ctx), campaign_id)
    except CampaignError as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"campaign {st.id} {st.name!r} (case {st.case}): {st.status}")
    typer.echo(f"targets:    {dict(sorted(st.targets.items()))}")
    typer.echo(f"outcomes:   {dict(sorted(st.outcomes.items()))}")
    typer.echo(f"requisites: {dict(sorted(st.requisites.items()))}")


@campaign_app.command("stop")
def stop(ctx: typer.Context, campaign_id: int = typer.Argument(..., help="Campaign id."),
         actor: str = typer.Option("operator", "--actor")) -> None:
    """Stop a campaign after the conversations in progress."""
    from prokai.crawl.campaigns import CampaignError, stop_campaign

    try:
        stop_campaign(database(ctx), campaign_id, actor)
    except CampaignError as exc:
        fail(str(exc), EXIT_USAGE)
    typer.echo(f"campaign {campaign_id} stopping")


def sweep(
    ctx: typer.Context,
    campaign: int | None = typer.Option(None, "--campaign", help="Only this campaign's shops."),
    key: str | None = typer.Option(None, "--key", help="Sweep key (default: today's date); same key resumes."),
    model: str = typer.Option("transformer", "--model", help=MODEL_HELP),
    concurrency: int = typer.Option(4, "--concurrency", min=1),
    no_progress: bool = typer.Option(False, "--no-progress", help=NO_PROGRESS_HELP),
    stop_grace: float = typer.Option(10.0, "--stop-grace", min=0, help=STOP_GRACE_HELP),
    distributed: bool = typer.Option(False, "--distributed", help=DISTRIBUTED_HELP),
) -> None:
    """Re-ask every live shop; record alive / renamed / dead / requisites changed.

    SIGTERM or Ctrl-C stops it like `campaign run`; the same --key resumes it. With --distributed
    the workers run the conversations, as with `campaign run --distributed`."""
    from prokai.crawl.sweep import run_sweep

    runner, unreachable = _runner(ctx, distributed, model, concurrency, stop_grace)
    with progress_display(not no_progress) as progress:
        runner.on_progress = CrawlProgress(progress, "sweep")
        try:
            report = run_stoppable(runner, run_sweep(database(ctx), runner, key=key, campaign_id=campaign,
                                                     actor="operator"))
        except unreachable as exc:
            fail(str(exc), EXIT_FAILURE)
    typer.echo(f"sweep {report.key}: {report.run.done} shops; statuses {dict(sorted(report.statuses.items()))}; "
               f"new requisites: {len(report.run.new_requisites)}")
    report_unfinished(f"sweep {report.key}", report.run)


def register(app: typer.Typer) -> None:
    from prokai.crawl.rehearse_cli import rehearse

    app.add_typer(campaign_app, name="campaign")
    app.command("sweep")(sweep)
    app.command("rehearse")(rehearse)
