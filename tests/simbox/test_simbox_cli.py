"""`python -m simbox …` end to end: a separate emulator process, scan, control socket, inbox."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

PY = [sys.executable, "-m", "simbox"]


def sh(*args: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*PY, *args], capture_output=True, text=True, timeout=timeout)


def test_pdu_decode_prints_json_with_concatenation() -> None:
    hexpdu = "0591721891F1400781721881F800003160526104848059050003C30101916536FB1DCABEEB2074D85E064941B19CAB060319A5C522289C96D3D3ED32286C0FA7D96131BBEC024941B19CAB0603DDD36C36A88C87A7E565D0DB0D82C55EB0DB4B068BCD5C20"
    out = sh("pdu", "decode", hexpdu)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["sender"] == "2781188" and data["timestamp"] == "2013-06-25T16:40:48+02:00"
    assert (data["concat_ref"], data["concat_part"], data["concat_total"]) == (0xC3, 1, 1)


def test_pdu_decode_without_smsc_field_is_detected() -> None:
    out = sh("pdu", "decode", "040B917228214365F700003130805120618005D4F29C2E03")
    assert out.returncode == 0 and json.loads(out.stdout)["text"] == "Test2"


@pytest.mark.parametrize("bad", ["nothex", "0791", "07917283010010F5040BC87238880900F1000099309251619580FF"])
def test_pdu_decode_bad_input_one_line_exit_1(bad: str) -> None:
    out = sh("pdu", "decode", bad)
    assert out.returncode == 1 and out.stdout == ""
    assert out.stderr.startswith("error: cannot decode PDU") and out.stderr.count("\n") == 1


def test_emulate_scan_deliver_inbox(tmp_path: os.PathLike[str]) -> None:
    work, sock = os.path.join(str(tmp_path), "pool"), os.path.join(str(tmp_path), "emu.sock")
    sims = os.path.join(str(tmp_path), "sims.json")
    with open(sims, "w") as fh:
        json.dump([{"msisdn": "+77051112233", "mcc_mnc": "40101"}, None, {"msisdn": "+77019998877"}], fh)
    proc = subprocess.Popen(
        [*PY, "emulate", "--ports", "3", "--profile", "sim800,ec25", "--sims", sims, "--control", sock, "--workdir", work],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        manifest = json.loads(proc.stdout.readline())
        assert [p["sim"]["msisdn"] if p["sim"] else None for p in manifest["ports"]] == [
            "+77051112233", None, "+77019998877"
        ]
        out = sh("scan", "--by-path", manifest["by_path"], "--no-ussd", "--probe-timeout", "1")
        assert out.returncode == 0, out.stderr
        rows = [json.loads(line) for line in out.stdout.splitlines()]
        assert [r["status"] for r in rows] == ["ok", "no_sim", "ok"]
        assert rows[1]["profile"] == "quectel-ec25"
        out = sh("emuctl", "deliver", "--control", sock, "--to", "87019998877", "--text", "Telegram code: 60606")
        assert out.returncode == 0 and json.loads(out.stdout)["parts"] == 1
        out = sh("inbox", "--by-path", manifest["by_path"], "--delete", "--probe-timeout", "1")
        assert out.returncode == 0, out.stderr
        (msg,) = [json.loads(line) for line in out.stdout.splitlines()]
        assert (msg["msisdn"], msg["login_code"]) == ("+77019998877", "60606")
        out = sh("inbox", "--by-path", manifest["by_path"], "--probe-timeout", "1")
        assert out.stdout == ""  # deleted from the SIM after the first read
        out = sh("emuctl", "deliver", "--control", sock, "--to", "+70000000000", "--text", "x")
        assert out.returncode == 1 and "no SIM with number" in out.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert proc.returncode == 0
    assert not os.path.exists(sock)


def test_usage_errors() -> None:
    out = sh("ussd", "*100#")
    assert out.returncode == 2 and out.stderr.startswith("error:")
    out = sh("scan", "--by-path", "/nonexistent")
    assert out.returncode == 2 and "no ports" in out.stderr
    out = sh("scan", "--port", "/dev/nonexistent-tty")
    assert out.returncode == 1 and out.stderr.splitlines()[-1].startswith("error: no modem answered")
    assert sh("--help").returncode == 0
    t0 = time.monotonic()
    assert sh("emulate", "--ports", "1", "--profile", "nokia").returncode == 1
    assert time.monotonic() - t0 < 20


def test_bank_switch_from_the_command_line(tmp_path: os.PathLike[str]) -> None:
    work = os.path.join(str(tmp_path), "pool")
    proc = subprocess.Popen([*PY, "emulate", "--ports", "2", "--bank-rows", "3", "--workdir", work],
                            stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        manifest = json.loads(proc.stdout.readline())
        bank = manifest["bank"]
        out = sh("bank", "status", "--bank", bank)
        assert out.returncode == 0 and json.loads(out.stdout) == {"ready": True}
        before = manifest["ports"][1]["sim"]["iccid"]
        out = sh("bank", "switch", "--bank", bank, "--modem", manifest["ports"][1]["path"], "--column", "2",
                 "--row", "3", "--interval", "0", "--reg-timeout", "5")
        assert out.returncode == 0, out.stderr
        assert json.loads(out.stdout)["iccid"] != before
        assert sh("bank", "switch", "--bank", bank).returncode == 2
    finally:
        proc.terminate()
        proc.wait(timeout=10)
