"""`prokai export requisites …` and `prokai export report --campaign ID`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from prokai.cliutil import EXIT_USAGE, database, fail, settings

export_app = typer.Typer(help="Export requisites (freeze lists by bank, wallets by chain) and case reports.", no_args_is_help=True)

STATUSES = ("confirmed", "pending", "rejected", "all")
ONLY = ("all", "banks", "wallets")


@export_app.command("requisites")
def requisites(
    ctx: typer.Context,
    fmt: str = typer.Option("xlsx", "--format", "-f", help="xlsx, csv or json."),
    bank: str | None = typer.Option(None, "--bank", help="Only this bank (or chain, e.g. TRX)."),
    since: str | None = typer.Option(None, "--since", help="Only requisites seen since YYYY-MM-DD (or an ISO time)."),
    status: str = typer.Option("confirmed", "--status", help="confirmed, pending, rejected or all."),
    only: str = typer.Option("all", "--only", help="all, banks (cards, IBANs, phones) or wallets."),
    output: Path | None = typer.Option(None, "--output", "-o", help="File to write (default: <data_dir>/exports/…)."),
) -> None:
    """Requisites grouped by bank (for freeze requests) and wallets by chain."""
    from prokai.export.requisites import FORMATS, ExportError, export_requisites, parse_since

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}", EXIT_USAGE)
    if status not in STATUSES:
        fail(f"--status: expected one of {', '.join(STATUSES)}, got {status!r}", EXIT_USAGE)
    if only not in ONLY:
        fail(f"--only: expected one of {', '.join(ONLY)}, got {only!r}", EXIT_USAGE)
    try:
        since_at = parse_since(since)
    except ExportError as exc:
        fail(str(exc), EXIT_USAGE)
    st = settings(ctx)
    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        output = st.data_dir / "exports" / f"requisites-{status}-{stamp}.{fmt}"
    if output.exists() and output.is_dir():
        fail(f"--output: {output} is a folder", EXIT_USAGE)
    db = database(ctx)
    wallets = {"all": None, "banks": False, "wallets": True}[only]
    try:
        path = export_requisites(db, fmt, output, status=status, bank=bank, since=since_at, wallets=wallets)  # type: ignore[arg-type]
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror}")
    from prokai.export.requisites import export_rows

    with db.session() as s:
        count = len(export_rows(s, status=status, bank=bank, since=since_at, wallets=wallets))  # type: ignore[arg-type]
    from prokai.store.audit import audit

    with db.session() as s:
        audit(s, "cli", "export.requisites", "export", None, format=fmt, status=status, bank=bank, since=since,
              only=only, path=str(path), count=count)
    typer.echo(f"{count} requisite(s) written to {path}")


@export_app.command("report")
def report(
    ctx: typer.Context,
    campaign: int = typer.Option(..., "--campaign", help="Campaign id."),
    output: Path | None = typer.Option(None, "--output", "-o", help="PDF to write (default: <data_dir>/exports/…)."),
    lang: str | None = typer.Option(None, "--lang", help="ru, kk or en (default: review.language)."),
) -> None:
    """The case report of one campaign (PDF): shops, requisites, timeline, evidence-chain check."""
    from prokai.export.report import ReportError, campaign_report
    from prokai.review.i18n import LANGS

    st = settings(ctx)
    language = lang or st.review.language
    if language not in LANGS:
        fail(f"--lang: expected one of {', '.join(LANGS)}, got {language!r}", EXIT_USAGE)
    output = output or st.data_dir / "exports" / f"campaign-{campaign}-report.pdf"
    db = database(ctx)
    try:
        path = campaign_report(db, campaign, output, language, st.scheduler.timezone)
    except ReportError as exc:
        fail(str(exc), EXIT_USAGE)
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror}")
    from prokai.store.audit import audit

    with db.session() as s:
        audit(s, "cli", "export.report", "campaign", campaign, path=str(path), lang=language)
    typer.echo(f"report written to {path}")


def register(app: typer.Typer) -> None:
    """Add `export` to the root CLI."""
    app.add_typer(export_app, name="export")
