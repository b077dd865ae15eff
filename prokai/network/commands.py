"""`prokai network …`: shop families, a requisite's handouts, freeze priorities, wallets, graph export."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from prokai.cliutil import EXIT_USAGE, database, fail

network_app = typer.Typer(
    help="The dropper network: shop families, who handed out a requisite, freeze priorities, graph export.",
    no_args_is_help=True,
)

ONLY = ("all", "banks", "wallets")
STATUSES = ("confirmed", "pending", "rejected", "all")


def _audit(ctx: typer.Context, action: str, **details: object) -> None:
    from prokai.store.audit import audit

    with database(ctx).session() as s:
        audit(s, "cli", action, "network", None, **details)


def _check(output: Path) -> None:
    """Refuse, before any work, an --output that exists and is not a regular file."""
    from prokai.output import OutputError, check_output, is_stdout

    if not is_stdout(output):
        try:
            check_output(output)
        except OutputError as exc:
            fail(f"--output: {exc}", EXIT_USAGE)


def _updated(ctx: typer.Context) -> None:
    from prokai.network.update import update

    update(database(ctx))


@network_app.command("update")
def update_cmd(ctx: typer.Context, force: bool = typer.Option(False, "--force", help="Recompute families even if nothing changed.")) -> None:
    """Read what is new in the store (run after each sweep; every query below does it first)."""
    from prokai.network.update import update

    report = update(database(ctx), force=force)
    fams = report.families
    typer.echo(
        f"{report.sightings} sighting(s), {report.messages} message(s) read; {report.holders} holder name(s), "
        f"{report.links} new link(s); "
        + (f"{fams.families} famil{'y' if fams.families == 1 else 'ies'}, {len(fams.created)} new, "
           f"{len(fams.merged)} merged" if fams else "families unchanged")
    )


@network_app.command("family")
def family_cmd(
    ctx: typer.Context,
    query: str = typer.Argument(..., help="@shop (also a past name), a family id (F000012) or a requisite."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of text."),
    top: int = typer.Option(15, "--top", help="How many requisites to list, by freeze priority."),
) -> None:
    """The shop's family: members, the evidence for each tie, requisites by freeze priority."""
    from prokai.network.views import families_for, family_text

    _updated(ctx)
    with database(ctx).session() as s:
        fams = families_for(s, query, top=top)
    _audit(ctx, "network.family", query=query, families=[f.id for f in fams])
    if not fams:
        fail(f"no shop or requisite matches {query!r}")
    if as_json:
        typer.echo(json.dumps([f.to_dict() for f in fams], ensure_ascii=False, indent=2))
    else:
        typer.echo("\n\n".join(family_text(f) for f in fams))


@network_app.command("requisite")
def requisite_cmd(
    ctx: typer.Context,
    value: str = typer.Argument(..., help="A card, IBAN, phone or wallet (as written; last digits also match)."),
    as_json: bool = typer.Option(False, "--json", help="JSON instead of text."),
) -> None:
    """Every shop and date the requisite was handed out, its holders' names and families."""
    from prokai.network.views import requisite_text, requisites_matching

    _updated(ctx)
    with database(ctx).session() as s:
        views = requisites_matching(s, value)
    _audit(ctx, "network.requisite", query=value, requisites=[v.id for v in views])
    if not views:
        fail(f"no requisite matches {value!r}")
    if as_json:
        typer.echo(json.dumps([v.to_dict() for v in views], ensure_ascii=False, indent=2))
    else:
        typer.echo("\n\n".join(requisite_text(v) for v in views))


@network_app.command("priorities")
def priorities_cmd(
    ctx: typer.Context,
    limit: int = typer.Option(20, "--limit", "-n", help="How many (0: all)."),
    only: str = typer.Option("all", "--only", help="all, banks (cards, IBANs, phones) or wallets."),
    status: str = typer.Option("active", "--status", help="active (not rejected), confirmed, pending, rejected or all."),
) -> None:
    """Requisites ranked for freeze requests: shops that use them, how recently, amounts asked."""
    from prokai.network.priority import priorities

    if only not in ONLY:
        fail(f"--only: expected one of {', '.join(ONLY)}, got {only!r}", EXIT_USAGE)
    if status not in ("active", *STATUSES):
        fail(f"--status: expected one of active, {', '.join(STATUSES)}, got {status!r}", EXIT_USAGE)
    wallets = {"all": None, "banks": False, "wallets": True}[only]
    with database(ctx).session() as s:
        rows = priorities(s, status=None if status in ("all", "active") else status, wallets=wallets)
    if status == "active":
        rows = [p for p in rows if p.status != "rejected"]
        for i, p in enumerate(rows, start=1):
            p.rank = i
    rows = rows[:limit] if limit else rows
    _audit(ctx, "network.priorities", only=only, status=status, count=len(rows))
    typer.echo("rank\tscore\tkind\tvalue\tbank\tstatus\tshops\tsightings\tlast_seen\tmax_amount")
    for p in rows:
        amount = f"\t{p.max_amount}" if p.max_amount else "\t"
        typer.echo(f"{p.rank}\t{p.score:.2f}\t{p.kind}\t{p.value}\t{p.bank}\t{p.status}\t{p.shops}\t"
                   f"{p.sightings}\t{p.last_seen.date()}{amount}")


@network_app.command("wallets")
def wallets_cmd(
    ctx: typer.Context,
    fmt: str = typer.Option("csv", "--format", "-f", help="csv or json (the wallet export's format)."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write (- for stdout)."),
    family: str | None = typer.Option(None, "--family", help="Only the wallets of this family (@shop or F000012)."),
    status: str = typer.Option("confirmed", "--status", help="confirmed, pending, rejected or all."),
) -> None:
    """Wallets by chain for tracing tools: first and last seen, the shops behind each."""
    from prokai.export.requisites import export_rows, to_csv, to_json
    from prokai.network.views import families_for

    if fmt not in ("csv", "json"):
        fail(f"--format: expected csv or json, got {fmt!r}", EXIT_USAGE)
    if status not in STATUSES:
        fail(f"--status: expected one of {', '.join(STATUSES)}, got {status!r}", EXIT_USAGE)
    _check(output)
    _updated(ctx)
    with database(ctx).session() as s:
        rows = export_rows(s, status=status, wallets=True)  # type: ignore[arg-type]
        if family:
            fams = families_for(s, family)
            if not fams:
                fail(f"--family: no shop or family matches {family!r}", EXIT_USAGE)
            from prokai.network.graph import handouts

            ids = {rid for rid, _ in handouts(s, [sid for f in fams for sid in f.shop_ids])}
            rows = [r for r in rows if r.requisite_id in ids]
    from prokai.output import OutputError, is_stdout, write_output

    try:
        where = write_output(output, to_csv(rows) if fmt == "csv" else to_json(rows))
    except OutputError as exc:
        fail(f"--output: {exc}")
    _audit(ctx, "network.wallets", format=fmt, family=family, status=status, path=str(where), count=len(rows))
    typer.echo(f"{len(rows)} wallet(s) written to {'stdout' if is_stdout(output) else where}", err=is_stdout(output))


@network_app.command("export")
def export_cmd(
    ctx: typer.Context,
    fmt: str = typer.Option("graphml", "--format", "-f", help="graphml, gexf (Gephi) or csv (edges; nodes in PATH.nodes.csv)."),
    output: Path = typer.Option(..., "--output", "-o", help="File to write (- for stdout: GraphML and GEXF)."),
    family: str | None = typer.Option(None, "--family", help="Only this family (@shop, F000012 or a requisite)."),
) -> None:
    """The graph of the evidence for Gephi and link-analysis tools."""
    from prokai.network.graph import GRAPH_FORMATS, build_graph, write_graph
    from prokai.network.views import families_for

    if fmt not in GRAPH_FORMATS:
        fail(f"--format: expected one of {', '.join(GRAPH_FORMATS)}, got {fmt!r}", EXIT_USAGE)
    if fmt == "csv" and str(output) == "-":
        fail("--output: csv is two files (edges and nodes): give a file name, not -", EXIT_USAGE)
    _check(output)
    _updated(ctx)
    with database(ctx).session() as s:
        shop_ids = None
        if family:
            fams = families_for(s, family)
            if not fams:
                fail(f"--family: no shop or family matches {family!r}", EXIT_USAGE)
            shop_ids = [sid for f in fams for sid in f.shop_ids]
        graph = build_graph(s, shop_ids)
    from prokai.output import OutputError, is_stdout

    try:
        paths = write_graph(graph, fmt, output)
    except OutputError as exc:
        fail(f"--output: {exc}", EXIT_USAGE if is_stdout(output) else 1)
    _audit(ctx, "network.export", format=fmt, family=family, paths=[str(p) for p in paths],
           nodes=graph.number_of_nodes(), edges=graph.number_of_edges())
    typer.echo(f"{graph.number_of_nodes()} node(s), {graph.number_of_edges()} edge(s) written to "
               f"{', '.join('stdout' if is_stdout(p) else str(p) for p in paths)}", err=is_stdout(output))


def register(app: typer.Typer) -> None:
    """Add `network` to the root CLI."""
    app.add_typer(network_app, name="network")
