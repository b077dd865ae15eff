"""`prokai db …` and `prokai evidence …`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from prokai.cliutil import EXIT_FAILURE, EXIT_USAGE, database, fail, settings

if TYPE_CHECKING:
    from prokai.store.db import Database

db_app = typer.Typer(help="Database schema: upgrade, downgrade, status.", no_args_is_help=True)
evidence_app = typer.Typer(
    help="The tamper-evident evidence chain: verify, anchor the head, verify case bundles.", no_args_is_help=True
)


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    from prokai.store.migrate import status, upgrade

    url = settings(ctx).database_url
    upgrade(url, revision)
    st = status(url)
    typer.echo(f"database at revision {st.current} (head {st.head})")


@db_app.command("downgrade")
def db_downgrade(ctx: typer.Context, revision: str = typer.Argument("-1", help="Target revision.")) -> None:
    """Step the schema down (default: one migration)."""
    from prokai.store.migrate import downgrade, status

    url = settings(ctx).database_url
    downgrade(url, revision)
    typer.echo(f"database at revision {status(url).current or 'base'}")


@db_app.command("status")
def db_status(ctx: typer.Context) -> None:
    """Show the current revision and what is pending. Exits 1 when not up to date.

    Reads only: works on a read-only copy of the database."""
    from sqlalchemy.engine import make_url

    url = settings(ctx).database_url
    current, head, pending = _readonly_status(url)
    typer.echo(f"database: {make_url(url).render_as_string(hide_password=True)}")
    typer.echo(f"current:  {current or 'empty'}")
    typer.echo(f"head:     {head}")
    if pending:
        typer.echo(f"pending:  {', '.join(pending)}")
        raise typer.Exit(EXIT_FAILURE)
    typer.echo("up to date")


def _db_error(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).splitlines()[0]


def _readonly_status(url: str, missing_ok: bool = True) -> tuple[str | None, str, list[str]]:
    """(current revision, head, pending revisions), read without writing anything; a SQLite file
    that does not exist yet is an empty database when `missing_ok`."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import SQLAlchemyError

    from prokai.store.migrate import alembic_config
    from prokai.store.readonly import ReadOnlyError, readonly_engine

    script = ScriptDirectory.from_config(alembic_config(url))
    head = script.get_current_head() or ""
    current: str | None = None
    try:
        if missing_ok and _sqlite_missing(url):
            return _pending(script, head, None)
        engine = readonly_engine(url)
        try:
            with engine.connect() as conn:
                current = MigrationContext.configure(conn).get_current_revision()
        finally:
            engine.dispose()
    except ReadOnlyError as exc:
        fail(str(exc), EXIT_USAGE)
    except SQLAlchemyError as exc:
        fail(f"cannot read the database: {_db_error(exc)}", EXIT_USAGE)
    return _pending(script, head, current)


def _pending(script: Any, head: str, current: str | None) -> tuple[str | None, str, list[str]]:
    pending = [r.revision for r in script.iterate_revisions(head, current or "base") if r.revision != current]
    return current, head, list(reversed(pending))


def _sqlite_missing(url: str) -> bool:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    name = parsed.database or ""
    return parsed.get_backend_name() == "sqlite" and name not in ("", ":memory:") and not Path(name).exists()


def _anchor_file(ctx: typer.Context, given: Path | None) -> Path:
    st = settings(ctx)
    return given or st.evidence.anchor_file or st.data_dir / "evidence" / "anchors.jsonl"


def _tsa_ca(ctx: typer.Context) -> bytes | None:
    ca = settings(ctx).evidence.tsa_ca_file
    if ca is None:
        return None
    try:
        return Path(ca).read_bytes()
    except OSError as exc:
        fail(f"evidence.tsa_ca_file: cannot read {ca}: {exc.strerror}", EXIT_USAGE)


def _installation_fingerprints(ctx: typer.Context) -> set[str] | None:
    """Fingerprints of this installation's evidence keys (from the vault key and the old vault keys
    of a rekey), when the vault key is at hand."""
    import os

    from prokai.accounts.vault import OLD_KEYS_ENV, VaultError, parse_key
    from prokai.evidence.signing import SigningError, fingerprint, installation_key, key_from_vault_key

    try:
        current = fingerprint(installation_key(settings(ctx)))
    except SigningError:
        return None
    try:
        olds = {fingerprint(key_from_vault_key(parse_key(t, OLD_KEYS_ENV)))
                for t in os.environ.get(OLD_KEYS_ENV, "").split(",") if t.strip()}
    except VaultError as exc:
        fail(str(exc), EXIT_USAGE)
    return {current, *olds}


@evidence_app.command("verify")
def evidence_verify(
    ctx: typer.Context,
    anchors: Path | None = typer.Option(
        None, "--anchors", help="Anchor file to check the chain against (default: evidence.anchor_file)."
    ),
) -> None:
    """Check the database storage (SQLite integrity check), recompute every link of the chain,
    check that each requisite's status is what its chained reviews decided, and check the chain
    against every signed anchor. Reports the first problem and exits 1.

    Reads only: works on a read-only copy of the database."""
    from sqlalchemy import select
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from prokai.evidence.anchor import check_anchor, read_anchors
    from prokai.store.chain import verify_chain
    from prokai.store.models import ChainEntry
    from prokai.store.readonly import ReadOnlyError, integrity_check, readonly_engine

    url = settings(ctx).database_url
    current, head, _ = _readonly_status(url, missing_ok=False)
    if current != head:
        fail(f"database schema is at {current or 'empty'}, expected {head}: run `prokai db upgrade`", EXIT_USAGE)
    path = _anchor_file(ctx, anchors)
    try:
        found = read_anchors(path)
    except (ValueError, OSError) as exc:
        fail(str(exc), EXIT_USAGE)
    expected = _installation_fingerprints(ctx)
    ca = _tsa_ca(ctx)
    try:
        engine = readonly_engine(url)
    except ReadOnlyError as exc:
        fail(str(exc), EXIT_USAGE)
    try:
        problem = integrity_check(engine)
        if problem is not None:
            fail(f"database storage is damaged: {problem}", EXIT_FAILURE)
        with Session(engine) as session:
            result = verify_chain(session)
            if not result.ok:
                fail(result.describe(), EXIT_FAILURE)

            def link_hash(seq: int) -> str | None:
                return session.scalar(select(ChainEntry.entry_hash).where(ChainEntry.seq == seq))

            for n, anchor in enumerate(found, 1):
                bad = check_anchor(anchor, link_hash, expected, ca)
                if bad is not None:
                    fail(f"anchor {n} of {path} (link {anchor.get('seq')}): {bad}", EXIT_FAILURE)
    except SQLAlchemyError as exc:
        fail(f"cannot read the database: {_db_error(exc)}", EXIT_FAILURE)
    finally:
        engine.dispose()
    typer.echo(result.describe())
    if found:
        typer.echo(f"{len(found)} anchor(s) in {path} match, the latest at link {found[-1].get('seq')}")
    else:
        typer.echo(f"no anchors in {path}: make one with `prokai evidence anchor`")


def anchor_head(db: Database, key: Any, tsa_url: str | None, tsa_timeout: float = 30.0) -> dict[str, Any]:
    """A signed (and, with `tsa_url`, time-stamped) anchor of the chain head of `db` as it is now."""
    from prokai.evidence.anchor import make_anchor
    from prokai.store.models import ChainHead

    with db.session() as s:
        head = s.get(ChainHead, 1)
        assert head is not None
        seq, head_hash = int(head.seq), head.head_hash
    return make_anchor(key, seq, head_hash, tsa_url, tsa_timeout)


@evidence_app.command("anchor")
def evidence_anchor(
    ctx: typer.Context,
    output: Path | None = typer.Option(None, "--anchors", help="Anchor file to append to (default: evidence.anchor_file)."),
) -> None:
    """Sign the chain head with the installation's key (derived from the vault key), time-stamp it
    where evidence.tsa_url is set, and append it to the anchor file. Keep a copy of that file
    outside this machine."""
    from prokai.evidence.anchor import append_anchor
    from prokai.evidence.signing import SigningError, installation_key
    from prokai.evidence.tsa import TimestampError

    st = settings(ctx)
    try:
        key = installation_key(st)
    except SigningError as exc:
        fail(str(exc), EXIT_USAGE)
    path = _anchor_file(ctx, output)
    try:
        anchor = anchor_head(database(ctx), key, st.evidence.tsa_url, st.evidence.tsa_timeout_s)
        append_anchor(path, anchor)
    except TimestampError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"--anchors: cannot write {path}: {exc.strerror}")
    stamp = f"time-stamped by {st.evidence.tsa_url}" if anchor["timestamp"] else "no trusted timestamp (no evidence.tsa_url)"
    typer.echo(f"anchored link {anchor['seq']} ({anchor['head_hash'][:16]}…) in {path}; {stamp}")


@evidence_app.command("verify-bundle")
def evidence_verify_bundle(
    path: Path = typer.Argument(..., help="Bundle folder or its ZIP."),
    key: str | None = typer.Option(None, "--key", help="SHA-256 fingerprint of the key that must have signed it."),
    tsa_ca: Path | None = typer.Option(
        None, "--tsa-ca", help="CA certificate (PEM) the TSA must chain to (default: the one in the bundle)."
    ),
) -> None:
    """Check a case bundle offline: signature, timestamp, every file's SHA-256, every record's hash,
    chain link and Merkle inclusion proof. Names the first file or record that does not match
    (exit 1). Needs no database and no configuration."""
    from prokai.evidence.verify import BundleError, verify_bundle

    ca = None
    if tsa_ca is not None:
        try:
            ca = tsa_ca.read_bytes()
        except OSError as exc:
            fail(f"--tsa-ca: cannot read {tsa_ca}: {exc.strerror}", EXIT_USAGE)
    try:
        report = verify_bundle(path, expected_key=key, tsa_ca=ca)
    except BundleError as exc:
        fail(str(exc), EXIT_FAILURE)
    for line in report.lines():
        typer.echo(line)


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(evidence_app, name="evidence")
