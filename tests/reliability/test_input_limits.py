"""Hostile input on the command line: a billion-laughs or absurdly nested config, overlong
lines, a device named as a file, deeply nested JSON, a 5,000-digit id, a lone surrogate and
invalid UTF-8 in `classify` input, binary junk in a target list. Each gives a one-line error
(per bad line, the good lines go on) and no traceback, quickly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)

LAUGHS = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdefgh", "bcdefghi", strict=True))


def _prokai(tmp_path: Path, *args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PROKAI_DATA_DIR": str(tmp_path)}
    env.pop("PROKAI_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "prokai", *args], env=env, cwd=tmp_path, input=stdin,
                          capture_output=True, timeout=90, check=False)


@pytest.mark.parametrize(("content", "says"), [
    (LAUGHS, "aliases (*name) are not allowed"),
    ("x:\n" + "".join("  " * i + "- \n" for i in range(1, 200)), "nested deeper than"),
    ("x: '" + "a" * 20_000 + "'\n", "longer than 10000 characters"),
    ("database: {url: 'sqlite:///x.db'}\n" * 40_000, "larger than"),
])
def test_hostile_config_is_one_line_error(tmp_path: Path, content: str, says: str) -> None:
    cfg = tmp_path / "config.yaml"
    cfg.write_text(content, encoding="utf-8")
    done = _prokai(tmp_path, "-c", str(cfg), "db", "status")
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert len(err.strip().splitlines()) == 1 and says in err, err


def test_config_that_is_a_device_is_refused(tmp_path: Path) -> None:
    done = _prokai(tmp_path, "-c", "/dev/zero", "db", "status")
    assert done.returncode == 2
    assert done.stderr.decode().strip() == "error: /dev/zero: not a regular file"


def test_classify_reports_each_bad_line_and_goes_on(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "a", "text": "Меф 1г 15к, клад в Самале"}).encode(),
        b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b', "text": "x"}',
        b'{"id": ' + b"9" * 5000 + b', "text": "x"}',
        b'{"id": 3, "text": "\\ud800 lone"}',
        b"\xff\xfe not utf-8",
        json.dumps({"id": "b", "text": "Доставка пиццы за 40 минут"}).encode(),
    ]
    done = _prokai(tmp_path, "classify", "-", "--no-intent", stdin=b"\n".join(lines) + b"\n")
    err = done.stderr.decode()
    assert "Traceback" not in err
    assert done.returncode == 1, err
    assert [json.loads(x)["id"] for x in done.stdout.decode().splitlines()] == ["a", "b"]
    errors = [x for x in err.splitlines() if x.startswith("error: line")]
    assert [x.split(":")[1].strip() for x in errors] == ["line 2", "line 3", "line 4", "line 5"]
    assert "nested too deeply" in errors[0] and "4300 digits" in errors[1]
    assert "lone surrogate" in errors[2] and "not UTF-8" in errors[3]


def test_target_list_with_binary_junk(tmp_path: Path) -> None:
    targets = tmp_path / "targets.txt"
    targets.write_bytes(b"@good_shop_bot\n\xff\xfe\x00junk\n" + b"x" * 10_000 + b"\n")
    done = _prokai(tmp_path, "campaign", "create", "--case", "C-1", "--name", "junk", "--targets", str(targets))
    err = done.stderr.decode()
    assert done.returncode == 1 and "Traceback" not in err, err
    assert done.stdout.decode().strip() == "campaign 1 created with 1 targets"
    assert [x.split(":")[1].strip() for x in err.splitlines() if "line" in x] == ["line 2", "line 3"]
    device = _prokai(tmp_path, "campaign", "create", "--case", "C-1", "--name", "dev", "--targets", "/dev/zero")
    assert device.returncode == 2 and device.stderr.decode().strip() == "error: /dev/zero: not a regular file"


def test_extract_reports_each_bad_line_and_goes_on(tmp_path: Path) -> None:
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("1", (8000, 8000)).save(bomb)  # 64 M pixels in a small file
    lines = [
        b'{"id": ' + b"[" * 100_000 + b"]" * 100_000 + b', "text": "x"}',
        b'{"id": ' + b"9" * 5000 + b', "text": "x"}',
        b'{"image": "/dev/zero"}',
        json.dumps({"image": str(bomb)}).encode(),
        json.dumps({"id": "ok", "text": "Kaspi Gold 4400 4301 2345 6789"}).encode(),
    ]
    done = _prokai(tmp_path, "extract", "-", stdin=b"\n".join(lines) + b"\n")
    err = done.stderr.decode()
    assert "Traceback" not in err and done.returncode == 1, err
    assert [json.loads(x)["id"] for x in done.stdout.decode().splitlines()] == ["ok"]
    errors = [x for x in err.splitlines() if x.startswith("error: line")]
    assert [x.split(":")[1].strip() for x in errors] == ["line 1", "line 2", "line 3", "line 4"], err
    assert "not a regular file" in errors[2] and "pixels" in errors[3]
