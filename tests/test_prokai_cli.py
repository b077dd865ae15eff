"""The CLI's global surface: help lists the groups, version, JSON logs, and the db commands."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from prokai import __version__
from prokai.cli import app


def test_help_lists_command_groups() -> None:
    result = CliRunner().invoke(app, ["--help"])
    assert result.exit_code == 0
    for group in ("db", "evidence"):
        assert group in result.output


def test_version() -> None:
    result = CliRunner().invoke(app, ["--version"])
    assert result.exit_code == 0 and result.output.strip() == f"prokai {__version__}"


def test_db_upgrade_and_status(tmp_path: Path) -> None:
    env = {"PROKAI_DATA_DIR": str(tmp_path)}
    runner = CliRunner()
    before = runner.invoke(app, ["db", "status"], env=env)
    assert before.exit_code == 1 and "pending" in before.output
    up = runner.invoke(app, ["db", "upgrade"], env=env)
    assert up.exit_code == 0 and "revision" in up.output
    after = runner.invoke(app, ["db", "status"], env=env)
    assert after.exit_code == 0 and "up to date" in after.output
    assert (tmp_path / "prokai.db").exists()


def test_log_json_lines(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "prokai", "--log-json", "-v", "db", "upgrade"],
        env={"PROKAI_DATA_DIR": str(tmp_path), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stderr.splitlines() if line]
    assert records, "expected at least one log line"
    for record in records:
        assert {"ts", "level", "logger", "msg"} <= set(record)
    assert any(r["msg"] == "database schema upgraded" and r["revision"] == "head" for r in records)
