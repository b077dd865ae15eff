"""Files on the way out and the database on disk: exports go to regular files only, atomically,
and leave nothing behind when the disk is full; `-o -` writes to stdout; device files are refused
with one line; database files are created 0600; a first migration cut short by a full disk
leaves nothing half-made, and the next command just works.

A full disk is a real one as far as the process can tell: a file-size limit (RLIMIT_FSIZE) makes
the kernel fail the writes with EFBIG, as ENOSPC would."""

from __future__ import annotations

import json
import os
import resource
import signal
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from prokai.output import OutputError, write_output
from prokai.store.db import Database
from prokai.store.migrate import status, upgrade

pytestmark = pytest.mark.timeout(120)


def _disk_full_after(limit: int) -> Callable[[], None]:
    def limit_writes() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    return limit_writes


def _cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "PROKAI_DATA_DIR": str(tmp_path)}
    return subprocess.run([sys.executable, "-m", "prokai", *args], env=env, cwd=tmp_path, capture_output=True, text=True,
                          timeout=60, check=False)


def test_write_output_on_a_full_disk_leaves_the_old_file_and_no_part(tmp_path: Path) -> None:
    target = tmp_path / "freeze.csv"
    target.write_bytes(b"old")
    code = (
        "import sys; from prokai.output import write_output, OutputError\n"
        "try:\n    write_output(sys.argv[1], b'x' * 500_000)\n"
        "except OutputError as exc:\n    print(exc); sys.exit(1)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(target)], preexec_fn=_disk_full_after(100_000),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith(f"cannot write {target}: File too large")
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["freeze.csv"]


def test_write_output_refuses_devices_and_follows_links(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    for device in ("/dev/null", "/dev/zero", str(fifo)):
        with pytest.raises(OutputError, match="not a regular file"):
            write_output(device, b"data")
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    with pytest.raises(OutputError, match="is a folder"):
        write_output(tmp_path, b"data")
    real = tmp_path / "real.json"
    real.write_text("{}")
    link = tmp_path / "link.json"
    link.symlink_to(real)
    write_output(link, b"[1]")
    assert link.is_symlink() and real.read_bytes() == b"[1]"
    assert stat.S_IMODE(os.stat(real).st_mode) == 0o600


def test_export_cli_stdout_and_devices(tmp_path: Path) -> None:
    out = _cli(tmp_path, "export", "requisites", "--format", "json", "--status", "all", "-o", "-")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["groups"] == {}
    assert "written to stdout" in out.stderr
    bad = _cli(tmp_path, "export", "requisites", "--format", "csv", "-o", "/dev/null")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == ["error: --output: /dev/null is not a regular file (a device, pipe or "
                                               "socket); use -o - for stdout"]
    report = _cli(tmp_path, "export", "report", "--campaign", "1", "-o", "/dev/stdout")
    assert report.returncode == 2 and "Traceback" not in report.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)
    assert not list((tmp_path / "exports").glob("*")) if (tmp_path / "exports").exists() else True


def test_database_files_are_private(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/data/prokai.db"
    upgrade(url)
    db = Database(url)
    with db.session() as s:
        from prokai.store.audit import audit

        audit(s, "test", "probe")
    files = [p for p in (tmp_path / "data").iterdir() if p.name.startswith("prokai.db")]
    assert {p.name for p in files} >= {"prokai.db"}
    for p in files:
        assert stat.S_IMODE(p.stat().st_mode) == 0o600, p
    db.dispose()
    # the CLI's own first use too
    done = _cli(tmp_path / "cli", "db", "upgrade")
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE((tmp_path / "cli" / "prokai.db").stat().st_mode) == 0o600


def test_first_migration_cut_short_leaves_nothing_half_made(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/prokai.db"
    code = "import sys; from prokai.store.migrate import upgrade; upgrade(sys.argv[1])"
    cut = subprocess.run([sys.executable, "-c", code, url], preexec_fn=_disk_full_after(120_000),
                         capture_output=True, text=True, timeout=60, check=False)
    assert cut.returncode != 0, "the probe must hit the full disk"
    import sqlite3

    con = sqlite3.connect(tmp_path / "prokai.db")
    tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    con.close()
    assert tables == [], f"half-made schema left behind: {tables}"
    assert status(url).current is None
    upgrade(url)  # the next run just works
    assert status(url).up_to_date
