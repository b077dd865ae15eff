"""`prokai network …`, the bank export sorted by freeze priority and the case report's families,
on the scenario world (networld.py) in SQLite."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import networld as nw
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from prokai.cli import app
from prokai.export.report import campaign_report, collect_report
from prokai.export.requisites import export_rows
from prokai.network.families import family_id_for
from prokai.store.db import Database
from prokai.store.migrate import upgrade
from prokai.store.models import AuditRecord


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[nw.World]:
    """Days 0 and 3 of the world, shared by this module's tests (they only read it)."""
    folder = tmp_path_factory.mktemp("network-cli")
    url = f"sqlite:///{folder}/prokai.db"
    upgrade(url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("PROKAI_DATABASE__URL", url)
        mp.setenv("PROKAI_DATA_DIR", str(folder))
        mp.chdir(folder)
        w = nw.day0(Database(url))
        nw.day3(w)
        yield w


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.output


def test_family_and_requisite_commands(world: nw.World) -> None:
    code, out = run("network", "family", "@luna_bot")  # a past name finds the renamed shop's family
    assert code == 0, out
    assert out.startswith(f"family {family_id_for(world.shops['luna_bot'])} (founded by @luna_new_bot): 3 shop(s)")
    assert "@luna_new_bot #5 bot, renamed, formerly @luna_bot" in out
    assert f"card {nw.D1} handed out by @luna_new_bot, @zvezda_bot, 2026-11-30 … 2026-11-30" in out
    assert "operator @cosmos_op shared by @luna_new_bot, @kometa_bot" in out

    code, out = run("network", "family", "@kristall_bot", "--json")
    assert code == 0
    (fam,) = json.loads(out)
    assert fam["id"] == family_id_for(world.shops["kristall_bot"])
    assert {m["label"] for m in fam["members"]} == {"@kristall_bot", "@kristall_reserve_bot", "@kristall_op",
                                                    "@kristall_vitrina", "@almaz_bot"}

    code, out = run("network", "requisite", "4003 0397 8809 3208")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0] == f"card {nw.C4} (Kaspi Bank, pending): handed out by 2 shop(s)"
    assert lines[1] == "holder as written: Ерлан Д."
    assert any(line.startswith("  @almaz_bot [F000001]: 1 time(s), up to 25 000 KZT on 2026-12-03") for line in lines)

    code, out = run("network", "requisite", "4400 0000 0000 0000")
    assert code == 1 and out.strip() == "error: no requisite matches '4400 0000 0000 0000'"
    code, out = run("network", "family", "@nobody_here")
    assert code == 1 and out.count("\n") == 1
    code, out = run("network", "priorities", "--only", "wallets")
    header, first = out.splitlines()[:2]
    assert code == 0 and header.startswith("rank\tscore\tkind\tvalue")
    assert first.split("\t")[2:4] == ["trx", nw.WALLET] and first.split("\t")[6] == "2"
    with world.db.session() as s:
        queries = [a.details["query"] for a in s.scalars(select(AuditRecord).where(AuditRecord.action == "network.family"))]
    assert queries[-2:] == ["@kristall_bot", "@nobody_here"]


def test_graph_export_reads_back(world: nw.World, tmp_path: Path) -> None:
    for fmt in ("graphml", "gexf", "csv"):
        out = tmp_path / f"network.{fmt}"
        code, text = run("network", "export", "--format", fmt, "-o", str(out))
        assert code == 0, text
        check_export(world, tmp_path, out, fmt)


def check_export(world: nw.World, tmp_path: Path, out: Path, fmt: str) -> None:
    """What Gephi or a link-analysis tool reads back from the file."""
    luna = f"shop:{world.shops['luna_bot']}"
    zvezda = f"shop:{world.shops['zvezda_bot']}"
    d1 = f"req:card:{nw.D1}"
    if fmt == "csv":
        edges = list(csv.DictReader(out.open(encoding="utf-8")))
        nodes = {r["id"]: r for r in csv.DictReader((tmp_path / "network.nodes.csv").open(encoding="utf-8"))}
        handed = [e for e in edges if e["source"] == d1 and e["relation"] == "handed_out_by"]
        assert {e["target_label"] for e in handed} == {"@luna_new_bot", "@zvezda_bot"}
        assert handed[0]["dates"] == "2026-11-30"
        assert nodes[luna]["family"] == nodes[zvezda]["family"] == family_id_for(world.shops["luna_bot"])
        assert any(e["relation"] == "renamed_to" and e["source"] == "name:@luna_bot" and e["target"] == luna
                   for e in edges)
        return
    g = nx.read_graphml(out) if fmt == "graphml" else nx.read_gexf(out)
    relations = {(a, b, d["relation"]) for a, b, d in g.edges(data=True)}
    assert (d1, luna, "handed_out_by") in relations and (d1, zvezda, "handed_out_by") in relations
    backup = (f"shop:{world.shops['kristall_reserve_bot']}", f"shop:{world.shops['kristall_bot']}", "backup_of")
    assert backup in relations
    holder = next(b for a, b, d in g.edges(data=True) if a == d1 and d["relation"] == "same_holder")
    assert g.nodes[holder]["label"] == "Бекзат О."
    assert g.nodes[f"shop:{world.shops['news_kz']}"]["family"] == ""  # not a shop: in no family


def test_bad_export_arguments_are_one_line(world: nw.World, tmp_path: Path) -> None:
    code, out = run("network", "export", "--format", "pdf", "-o", str(tmp_path / "x.pdf"))
    assert code == 2 and out == "error: --format: expected one of graphml, gexf, csv, got 'pdf'\n"
    code, out = run("network", "export", "-o", str(tmp_path))
    assert code == 2 and out.count("\n") == 1


def test_wallets_for_tracing_in_the_wallet_export_format(world: nw.World, tmp_path: Path) -> None:
    out = tmp_path / "wallets.json"
    code, text = run("network", "wallets", "--format", "json", "--status", "all", "--family", "@kometa_bot", "-o", str(out))
    assert code == 0 and text.strip() == f"1 wallet(s) written to {out}"
    doc = json.loads(out.read_text(encoding="utf-8"))
    (row,) = doc["groups"]["TRX/TRC20"]
    assert (row["value"], row["shops"]) == (nw.WALLET, "@kometa_bot, @zvezda_bot")
    assert row["first_seen"].startswith("2026-12-01") and row["last_seen"].startswith("2026-12-01")
    code, text = run("network", "wallets", "--status", "all", "--family", "@kristall_bot", "-o", str(tmp_path / "k.csv"))
    assert code == 0 and text.startswith("0 wallet(s)")


def test_bank_export_sorted_by_priority_and_report_families(world: nw.World, tmp_path: Path) -> None:
    db = world.db
    with db.session() as s:
        by_value = export_rows(s, status="all", wallets=False)
        by_priority = export_rows(s, status="all", wallets=False, sort="priority")
    assert sorted(r.value for r in by_value) == sorted(r.value for r in by_priority)
    assert by_priority[0].value == nw.C4 and by_priority[0].shops == "@almaz_bot, @kristall_reserve_bot"
    assert [(r.kind, r.value) for r in by_value] == sorted((r.kind, r.value) for r in by_value)
    code, out = run("export", "requisites", "--status", "all", "--only", "banks", "--sort", "priority", "--format",
                    "csv", "-o", str(tmp_path / "freeze.csv"))
    assert code == 0, out
    rows = list(csv.DictReader((tmp_path / "freeze.csv").read_text(encoding="utf-8-sig").splitlines()))
    assert [r["value"] for r in rows] == [r.value for r in by_priority]
    code, out = run("export", "requisites", "--sort", "size")
    assert code == 2 and out == "error: --sort: expected one of bank, priority, got 'size'\n"

    pdf = campaign_report(db, world.campaign_id, tmp_path / "report.pdf", "ru")
    assert pdf.read_bytes().startswith(b"%PDF")
    with db.session() as s:
        report = collect_report(s, world.campaign_id)
    assert [(f.id, len(f.members)) for f in report.families] == [
        (family_id_for(world.shops["kristall_bot"]), 5), (family_id_for(world.shops["luna_bot"]), 3),
        (family_id_for(world.shops["solo_bot"]), 1)]
