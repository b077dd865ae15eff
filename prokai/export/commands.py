"""`prokai export requisites …`, `prokai export report --campaign ID` and `prokai export bundle`."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import typer

from prokai.cliutil import EXIT_USAGE, database, fail, settings

export_app = typer.Typer(help="Export requisites (freeze lists by bank, wallets by chain), case reports and case evidence bundles.", no_args_is_help=True)

STATUSES = ("confirmed", "pending", "rejected", "all")
ONLY = ("all", "banks", "wallets")
OUTPUT_HELP = ("File to write, or - for stdout (default: <data_dir>/exports/…). Written atomically; "
               "an existing device, pipe or folder is refused.")


@export_app.command("requisites")
def requisites(
    ctx: typer.Context,
    fmt: str = typer.Option("xlsx", "--format", "-f", help="xlsx, csv or json."),
    bank: str | None = typer.Option(None, "--bank", help="Only this bank (or chain, e.g. TRX)."),
    since: str | None = typer.Option(None, "--since", help="Only requisites seen since YYYY-MM-DD (or an ISO time)."),
    status: str = typer.Option("confirmed", "--status", help="confirmed, pending, rejected or all."),
    only: str = typer.Option("all", "--only", help="all, banks (cards, IBANs, phones) or wallets."),
    output: Path | None = typer.Option(None, "--output", "-o", help=OUTPUT_HELP),
    sort: str = typer.Option("bank", "--sort", help="bank (by value) or priority (within each bank: shops using it, recency, amounts)."),
) -> None:
    """Requisites grouped by bank (for freeze requests) and wallets by chain."""
    from prokai.export.requisites import FORMATS, SORTS, ExportError, export_requisites, parse_since

    if fmt not in FORMATS:
        fail(f"--format: expected one of {', '.join(FORMATS)}, got {fmt!r}", EXIT_USAGE)
    if status not in STATUSES:
        fail(f"--status: expected one of {', '.join(STATUSES)}, got {status!r}", EXIT_USAGE)
    if only not in ONLY:
        fail(f"--only: expected one of {', '.join(ONLY)}, got {only!r}", EXIT_USAGE)
    if sort not in SORTS:
        fail(f"--sort: expected one of {', '.join(SORTS)}, got {sort!r}", EXIT_USAGE)
    try:
        since_at = parse_since(since)
    except ExportError as exc:
        fail(str(exc), EXIT_USAGE)
    st = settings(ctx)
    if output is None:
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        output = st.data_dir / "exports" / f"requisites-{status}-{stamp}.{fmt}"
    from prokai.output import OutputError, check_output, is_stdout

    if not is_stdout(output):
        try:
            check_output(output)
        except OutputError as exc:
            fail(f"--output: {exc}", EXIT_USAGE)
    db = database(ctx)
    wallets = {"all": None, "banks": False, "wallets": True}[only]
    try:
        path = export_requisites(db, fmt, output, status=status, bank=bank, since=since_at, wallets=wallets,  # type: ignore[arg-type]
                                 sort=sort)
    except OutputError as exc:
        fail(f"--output: {exc}")
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror}")
    from prokai.export.requisites import export_rows

    with db.session() as s:
        count = len(export_rows(s, status=status, bank=bank, since=since_at, wallets=wallets))  # type: ignore[arg-type]
    from prokai.store.audit import audit

    with db.session() as s:
        audit(s, "cli", "export.requisites", "export", None, format=fmt, status=status, bank=bank, since=since,
              only=only, sort=sort, path=str(path), count=count)
    typer.echo(f"{count} requisite(s) written to {'stdout' if is_stdout(output) else path}", err=is_stdout(output))


@export_app.command("report")
def report(
    ctx: typer.Context,
    campaign: int = typer.Option(..., "--campaign", help="Campaign id."),
    output: Path | None = typer.Option(None, "--output", "-o", help="PDF to write, or - for stdout (default: <data_dir>/exports/…)."),
    lang: str | None = typer.Option(None, "--lang", help="ru, kk or en (default: review.language)."),
) -> None:
    """The case report of one campaign (PDF): shops, requisites, timeline, evidence-chain check."""
    from prokai.export.report import ReportError, campaign_report
    from prokai.readmodels.i18n import LANGS

    st = settings(ctx)
    language = lang or st.review.language
    if language not in LANGS:
        fail(f"--lang: expected one of {', '.join(LANGS)}, got {language!r}", EXIT_USAGE)
    output = output or st.data_dir / "exports" / f"campaign-{campaign}-report.pdf"
    from prokai.output import OutputError, is_stdout

    db = database(ctx)
    try:
        path = campaign_report(db, campaign, output, language, st.scheduler.timezone)
    except ReportError as exc:
        fail(str(exc), EXIT_USAGE)
    except OutputError as exc:
        fail(f"--output: {exc}", EXIT_USAGE if "regular file" in str(exc) or "folder" in str(exc) else 1)
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror}")
    from prokai.store.audit import audit

    with db.session() as s:
        audit(s, "cli", "export.report", "campaign", campaign, path=str(path), lang=language)
    typer.echo(f"report written to {'stdout' if is_stdout(output) else path}", err=is_stdout(output))


@export_app.command("bundle")
def bundle(
    ctx: typer.Context,
    output: Path = typer.Option(..., "--output", "-o", help="Folder to create (a ZIP of it is written beside it, PATH.zip)."),
    campaign: int | None = typer.Option(None, "--campaign", help="Campaign id."),
    case: str | None = typer.Option(None, "--case", help="Case number: every campaign of the case."),
) -> None:
    """A case evidence bundle a court can check without ProkAi: originals, transcripts (HTML, PDF),
    requisites with sightings, reviews, audit trail, records with Merkle proofs, a signed manifest
    (Ed25519, the installation's key), an RFC 3161 timestamp (evidence.tsa_url) and VERIFY.md.
    Check it with `prokai evidence verify-bundle PATH`. The export is audited."""
    import getpass

    from prokai.evidence.signing import SigningError, installation_key
    from prokai.evidence.tsa import TimestampError
    from prokai.export.bundle import BundleExportError, export_bundle

    if (campaign is None) == (case is None):
        fail("give exactly one of --campaign N or --case NUMBER", EXIT_USAGE)
    st = settings(ctx)
    try:
        key = installation_key(st)
    except SigningError as exc:
        fail(str(exc), EXIT_USAGE)
    ca = None
    if st.evidence.tsa_ca_file is not None:
        try:
            ca = Path(st.evidence.tsa_ca_file).read_bytes()
        except OSError as exc:
            fail(f"evidence.tsa_ca_file: cannot read {st.evidence.tsa_ca_file}: {exc.strerror}", EXIT_USAGE)
    actor = f"cli:{getpass.getuser()}"
    anchors = st.evidence.anchor_file or st.data_dir / "evidence" / "anchors.jsonl"
    db = database(ctx)
    try:
        result = export_bundle(db, output, key, campaign_id=campaign, case_number=case, actor=actor,
                               tsa_url=st.evidence.tsa_url, tsa_ca_pem=ca, tsa_timeout=st.evidence.tsa_timeout_s,
                               anchor_file=anchors)
    except BundleExportError as exc:
        fail(str(exc), EXIT_USAGE)
    except TimestampError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"--output: cannot write {output}: {exc.strerror}")
    from prokai.store.audit import audit

    with db.session() as s:
        audit(s, actor, "export.bundle", "case", _case_id(db, result.case_number), case=result.case_number,
              campaigns=result.campaign_ids, manifest_sha256=result.manifest_sha256, merkle_root=result.merkle_root,
              records=result.records, path=str(result.folder), timestamped=result.timestamped)
    typer.echo(f"bundle of case {result.case_number}: {result.records} records, {result.files} files, "
               f"written to {result.folder} and {result.zip_path}")
    typer.echo(f"manifest SHA-256 {result.manifest_sha256}"
               + ("" if result.timestamped else "; no trusted timestamp (no evidence.tsa_url)"))


def _case_id(db: object, number: str) -> int | None:
    from sqlalchemy import select

    from prokai.store.db import Database
    from prokai.store.models import Case

    assert isinstance(db, Database)
    with db.session() as s:
        return s.scalar(select(Case.id).where(Case.number == number))


def register(app: typer.Typer) -> None:
    """Add `export` to the root CLI."""
    app.add_typer(export_app, name="export")
