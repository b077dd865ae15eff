"""Exports on SQLite and PostgreSQL: the files hold exactly the confirmed requisites, grouped by
bank (cards, IBANs, phones) and by chain (wallets); the CLI refuses bad input in one line."""

from __future__ import annotations

import csv
import io
import json
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parents[1] / "review"))
from reviewkit import seed_requisite  # noqa: E402

from prokai.cli import app  # noqa: E402
from prokai.export.report import ReportError, campaign_report, collect_report  # noqa: E402
from prokai.export.requisites import export_requisites, export_rows  # noqa: E402
from prokai.review.access import Reviewer  # noqa: E402
from prokai.review.decisions import decide  # noqa: E402
from prokai.store.db import Database  # noqa: E402

CONFIRMED = {
    ("Kaspi Bank", "4400430212345678"),
    ("Kaspi Bank", "4400430299990000"),
    ("Halyk Bank", "KZ86601A861000000001"),
    ("Halyk Bank", "+77015550101"),
}
WALLETS = {("TRX/TRC20", "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"), ("BTC", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq")}


def seed(db: Database) -> None:
    seed_requisite(db, value="4400430212345678", bank="Kaspi Bank", status="confirmed")
    seed_requisite(db, value="4400430299990000", bank="Kaspi Bank", status="confirmed", shop="other_shop_bot",
                   amount=Decimal("31500.50"))
    seed_requisite(db, kind="iban", value="KZ86601A861000000001", bank="Halyk Bank", status="confirmed")
    seed_requisite(db, kind="phone", value="+77015550101", bank="Halyk Bank", status="confirmed")
    seed_requisite(db, value="4400430255550000", bank="Kaspi Bank", status="pending")
    seed_requisite(db, value="5169490011112222", bank="Jusan Bank", status="rejected")
    seed_requisite(db, kind="trx", value="TJRabPrwbZy45sbavfcjinPJC18kjpRTv8", bank=None, network="TRC20", status="confirmed")
    seed_requisite(db, kind="btc", value="bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", bank=None, status="confirmed")
    seed_requisite(db, kind="eth", value="0x52908400098527886E0F7030069857D2E4169EE7", bank=None, status="pending")


def test_exports_match_confirmed_requisites_grouped_by_bank(db: Database, tmp_path: Path) -> None:
    seed(db)
    with db.session() as s:
        banks = export_rows(s, wallets=False)
        wallets = export_rows(s, wallets=True)
    assert {(r.group, r.value) for r in banks} == CONFIRMED
    assert [r.group for r in banks] == ["Halyk Bank", "Halyk Bank", "Kaspi Bank", "Kaspi Bank"]  # grouped
    assert {(r.group, r.value) for r in wallets} == WALLETS
    big = next(r for r in banks if r.value == "4400430299990000")
    assert (big.max_amount, big.shops, big.sightings) == ("31 500.5 KZT", "@other_shop_bot", 1)

    xlsx = export_requisites(db, "xlsx", tmp_path / "out" / "freeze.xlsx")
    wb = load_workbook(xlsx)
    assert wb.sheetnames == ["Summary", "BTC", "Halyk Bank", "Kaspi Bank", "TRX_TRC20"]
    from_sheets = {(ws.title, row[2]) for ws in wb.worksheets[1:] for row in ws.iter_rows(min_row=2, values_only=True)}
    assert from_sheets == {(g.replace("/", "_"), v) for g, v in CONFIRMED | WALLETS}
    summary = {row[0]: row[1] for row in wb["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary == {"Halyk Bank": 2, "Kaspi Bank": 2, "BTC": 1, "TRX/TRC20": 1}

    csv_path = export_requisites(db, "csv", tmp_path / "freeze.csv", wallets=False)
    rows = list(csv.DictReader(io.StringIO(csv_path.read_text(encoding="utf-8-sig"))))
    assert {(r["bank"], r["value"]) for r in rows} == CONFIRMED

    json_path = export_requisites(db, "json", tmp_path / "wallets.json", wallets=True)
    doc = json.loads(json_path.read_text(encoding="utf-8"))
    assert {g: [r["value"] for r in items] for g, items in doc["groups"].items()} == {
        "BTC": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
        "TRX/TRC20": ["TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"],
    }

    kaspi = export_requisites(db, "csv", tmp_path / "kaspi.csv", bank="kaspi bank", status="all")
    values = {r["value"] for r in csv.DictReader(io.StringIO(kaspi.read_text(encoding="utf-8-sig")))}
    assert values == {"4400430212345678", "4400430299990000", "4400430255550000"}


def test_review_decision_shows_in_export_and_report(db: Database, tmp_path: Path) -> None:
    req = seed_requisite(db, value="4400430212345678")
    seed_requisite(db, value="4400430299990000", shop="other_shop_bot")
    assert decide(db, req, Reviewer(1001, "Aigerim Sadykova", "prosecutor"), "confirmed").outcome == "decided"
    with db.session() as s:
        rows = export_rows(s)
        assert [(r.value, r.reviewed_by) for r in rows] == [("4400430212345678", "Aigerim Sadykova")]
        report = collect_report(s, 1)
    assert [s.username for s in report.shops] == ["almaty_shop_bot", "other_shop_bot"]
    assert [r.requisite.value for r in report.requisites] == ["4400430212345678", "4400430299990000"]
    assert report.chain.ok and report.chain.checked == report.head_seq
    keys = [key for _, key, _ in report.timeline]
    assert keys.count("ev_conversation") == 2 and keys.count("ev_sighting") == 2 and keys[-1] == "ev_review"
    pdf = campaign_report(db, 1, tmp_path / "report.pdf")
    assert pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 2000
    with pytest.raises(ReportError, match="campaign 99 not found"):
        campaign_report(db, 99, tmp_path / "none.pdf")


def test_cli_export_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path}/prokai.db"
    monkeypatch.setenv("PROKAI_DATABASE__URL", url)
    monkeypatch.setenv("PROKAI_DATA_DIR", str(tmp_path))
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    assert runner.invoke(app, ["export", "requisites", "--help"]).exit_code == 0
    first = runner.invoke(app, ["export", "requisites", "--format", "csv", "--output", str(tmp_path / "empty.csv")])
    assert first.exit_code == 0, first.output
    assert "0 requisite(s) written" in first.output
    db = Database(url)
    seed(db)
    out = tmp_path / "kaspi.xlsx"
    done = runner.invoke(app, ["export", "requisites", "--bank", "Kaspi Bank", "--since", "2020-01-01", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "2 requisite(s) written" in done.output and out.exists()
    bad = runner.invoke(app, ["export", "requisites", "--format", "pdf"])
    assert bad.exit_code == 2 and bad.output.strip().splitlines()[-1] == "error: --format: expected one of xlsx, csv, json, got 'pdf'"
    bad = runner.invoke(app, ["export", "requisites", "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since: expected YYYY-MM-DD" in bad.output
    bad = runner.invoke(app, ["export", "requisites", "--status", "maybe"])
    assert bad.exit_code == 2
    rep = runner.invoke(app, ["export", "report", "--campaign", "1", "-o", str(tmp_path / "r.pdf")])
    assert rep.exit_code == 0, rep.output
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")
    missing = runner.invoke(app, ["export", "report", "--campaign", "42"])
    assert missing.exit_code == 2 and "error: campaign 42 not found" in missing.output
    db.dispose()
