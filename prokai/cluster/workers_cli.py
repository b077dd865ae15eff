"""`prokai workers`: the live processes of the cluster and what each is doing."""

from __future__ import annotations

import json
from typing import Any

import typer

from prokai.cliutil import database, settings


def workers(
    ctx: typer.Context,
    as_json: bool = typer.Option(False, "--json", help="One JSON line per process instead of a table."),
) -> None:
    """List the live ProkAi processes (`prokai run` leader and standbys, `prokai worker`): node,
    pid, role, what each does, its last heartbeat (live: within 3 × cluster.heartbeat_s)."""
    from prokai.cluster.presence import live_workers
    from prokai.store.types import utcnow

    st = settings(ctx)
    now = utcnow()
    rows: list[dict[str, Any]] = [
        {"node": w.node, "pid": w.pid, "role": w.role, "doing": w.doing, "host": w.host, "version": w.version,
         "started_at": w.started_at.isoformat(timespec="seconds"),
         "heartbeat_at": w.heartbeat_at.isoformat(timespec="milliseconds"),
         "heartbeat_age_s": round((now - w.heartbeat_at).total_seconds(), 1)}
        for w in live_workers(database(ctx), st.cluster.heartbeat_s, now=now)
    ]
    if as_json:
        for row in rows:
            typer.echo(json.dumps(row, ensure_ascii=False))
        return
    if not rows:
        typer.echo("no live workers")
        return
    from rich.console import Console
    from rich.table import Table

    columns = ["node", "pid", "role", "doing", "heartbeat_age_s", "started_at", "host", "version"]
    table = Table(title=f"live workers: {len(rows)}")
    for col in columns:
        table.add_column("beat (s ago)" if col == "heartbeat_age_s" else col, no_wrap=col != "doing", overflow="fold")
    for row in rows:
        table.add_row(*(str(row[c]) for c in columns))
    Console(width=max(Console().width, 120)).print(table)
