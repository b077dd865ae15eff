"""`prokai db …` and `prokai evidence …`."""

from __future__ import annotations

import typer

from prokai.cliutil import EXIT_FAILURE, database, fail, settings

db_app = typer.Typer(help="Database schema: upgrade, downgrade, status.", no_args_is_help=True)
evidence_app = typer.Typer(help="The tamper-evident evidence chain.", no_args_is_help=True)


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
    """Show the current revision and what is pending. Exits 1 when not up to date."""
    from sqlalchemy.engine import make_url

    from prokai.store.migrate import status

    url = settings(ctx).database_url
    st = status(url)
    typer.echo(f"database: {make_url(url).render_as_string(hide_password=True)}")
    typer.echo(f"current:  {st.current or 'empty'}")
    typer.echo(f"head:     {st.head}")
    if st.pending:
        typer.echo(f"pending:  {', '.join(st.pending)}")
        raise typer.Exit(EXIT_FAILURE)
    typer.echo("up to date")


@evidence_app.command("verify")
def evidence_verify(ctx: typer.Context) -> None:
    """Recompute every link of the chain; report the first broken one and exit 1."""
    from prokai.store.chain import verify_chain

    with database(ctx).session() as session:
        result = verify_chain(session)
    if not result.ok:
        fail(result.describe(), EXIT_FAILURE)
    typer.echo(result.describe())


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.add_typer(evidence_app, name="evidence")
