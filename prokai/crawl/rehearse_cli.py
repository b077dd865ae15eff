"""`prokai rehearse`: an operator's dry run of a campaign over a folder of scenario files."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import typer

from prokai.cliutil import EXIT_FAILURE, EXIT_USAGE, fail

MODEL_HELP = "Classifier: transformer (the shipped model) or keywords (the baseline, no torch)."


def rehearse(
    scenarios: list[Path] = typer.Option(
        [], "--scenarios", help="Folder of scenario files (repeat for several; default: the shipped scenarios)."),
    accounts: int = typer.Option(4, "--accounts", min=1, help="Crawler accounts signed in to the sandbox."),
    model: str = typer.Option("transformer", "--model", help=MODEL_HELP),
    max_depth: int = typer.Option(2, "--max-depth", min=0, help="How deep links to operators, backups and channels are followed."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document instead of the table."),
    card: Path | None = typer.Option(None, "--card", help="Also write the crawler card (Markdown) to this file."),
) -> None:
    """Rehearse a campaign in the sandbox over scenario files: per scenario the outcome, payment
    pools offered and harvested, requisites shown and stored, whether it was judged a shop; then
    totals. Nothing leaves the machine; the database is thrown away. Exit 1 on a guardrail breach
    or a look-alike judged a shop."""
    from prokai.crawl.rehearsal import SCENARIOS
    from prokai.crawl.rehearsal import rehearse as run_rehearsal
    from prokai.sandbox.shops.loader import ScenarioError

    folders = scenarios or [SCENARIOS]
    for folder in folders:
        if not folder.is_dir():
            fail(f"{folder}: not a folder", EXIT_USAGE)
    if model not in ("transformer", "keywords"):
        fail(f"--model {model!r}: expected transformer or keywords", EXIT_USAGE)
    reports = {}
    for folder in folders:  # one sandbox per folder: each folder's totals stand alone
        try:
            reports[folder] = asyncio.run(run_rehearsal([folder], accounts=accounts, model_kind=model,
                                                        max_depth=max_depth))
        except ScenarioError as exc:
            fail(str(exc), EXIT_USAGE)
    if as_json:
        docs = {str(f): r.to_json() for f, r in reports.items()}
        typer.echo(json.dumps(docs[str(folders[0])] if len(docs) == 1 else docs, ensure_ascii=False, indent=1))
    else:
        for folder, report in reports.items():
            if len(reports) > 1:
                typer.echo(f"== {folder}")
            for line in report.lines():
                typer.echo(line)
    if card is not None:
        from prokai.crawl.card import measure_image_captchas, update_metrics, write_card

        for folder, report in reports.items():
            data = report.to_json()
            data["command"] = (f"prokai rehearse --scenarios {folder} --accounts {accounts} --model {model} "
                               f"--max-depth {max_depth}")
            data["per_scenario"] = True
            update_metrics(f"rehearsal:{folder.name}", data)
        update_metrics("image_captchas", measure_image_captchas())
        write_card(card)
        typer.echo(f"crawler card written to {card}")
    if any(r.totals()["guardrail_breaches"] or r.totals()["lookalikes_judged_shop"] for r in reports.values()):
        raise typer.Exit(EXIT_FAILURE)
