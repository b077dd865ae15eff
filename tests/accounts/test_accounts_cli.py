"""`prokai accounts …` and `prokai vault …` from the command line, end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from accounts_harness import KEY_A, KEY_B, sandbox_thread
from typer.testing import CliRunner

from prokai.accounts.state import open_session
from prokai.accounts.vault import Vault
from prokai.cli import app
from prokai.config import load_settings
from prokai.sandbox.sms import SimBoxGateway
from prokai.sandbox.world import World
from prokai.store.db import Database
from prokai.store.models import Account
from simbox.emulator import EmulatorThread, VirtualSim

pytestmark = pytest.mark.timeout(120)

NUMBERS = ["+77056660001", "+77056660002", "+77056660003"]


def env_for(tmp_path: Path) -> dict[str, str]:
    return {"PROKAI_DATA_DIR": str(tmp_path), "PROKAI_SIMBOX__DISCOVER": "false",
            "PROKAI_ACCOUNTS__SMS_CODE_TIMEOUT_S": "20"}


def test_usage_errors_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    env = env_for(tmp_path)
    res = runner.invoke(app, ["accounts", "login"], env=env)
    assert res.exit_code == 2 and "give --sim ICCID (repeatable) or --all" in res.output
    res = runner.invoke(app, ["accounts", "login", "--all"], env={**env, "PROKAI_VAULT_KEY": "short"})
    assert res.exit_code == 2 and "expected 32 bytes" in res.output
    res = runner.invoke(app, ["accounts", "reset", "+77050000000"], env=env)
    assert res.exit_code == 2 and "add --yes" in res.output
    res = runner.invoke(app, ["accounts", "reset", "+77050000000", "--yes"], env=env)
    assert res.exit_code == 2 and "no account +77050000000" in res.output
    monkeypatch.delenv("PROKAI_VAULT_KEY")
    res = runner.invoke(app, ["vault", "status"], env=env)
    assert res.exit_code == 2 and "no vault key" in res.output
    for cmd in (["accounts", "--help"], ["vault", "--help"], ["accounts", "login", "--help"],
                ["accounts", "archive", "--help"], ["vault", "rekey", "--help"]):
        assert runner.invoke(app, cmd).exit_code == 0


def test_login_list_check_rekey_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    env = env_for(tmp_path)
    with EmulatorThread(ports=len(NUMBERS), sims=[VirtualSim(msisdn=n) for n in NUMBERS]) as emu:
        world = World(sms=SimBoxGateway(emu))
        world.add_account(NUMBERS[0], "One")
        world.add_account(NUMBERS[1], "Two", password="pw-two")
        with sandbox_thread(world) as server:
            pw = tmp_path / "passwords.txt"
            pw.write_text(f"{NUMBERS[1]}: pw-two\n", encoding="utf-8")
            args = ["-v", "accounts", "login", "--all", "--json", "--passwords", str(pw),
                    "--sandbox", f"{server.host}:{server.port}"]
            for path in emu.paths:
                args += ["--port", path]
            res = runner.invoke(app, args, env=env)
            assert res.exit_code == 0, res.output
            rows = {r["phone"]: r for r in map(json.loads, [ln for ln in res.stdout.splitlines() if ln.startswith("{")])}
            assert rows[NUMBERS[0]]["outcome"] == "logged_in"
            assert rows[NUMBERS[1]]["outcome"] == "logged_in"
            assert rows[NUMBERS[2]]["outcome"] == "needs_app_registration"
            assert "pw-two" not in res.output  # debug logs on: no password ...
            cfg = load_settings(environ=env)
            db = Database(cfg.database_url)
            with db.session() as s:
                sessions = [open_session(a, Vault.from_settings(cfg)) for a in s.query(Account)]
            db.dispose()
            assert len([t for t in sessions if t]) == 2
            assert all(text and text not in res.output and text[:24] not in res.output
                       for text in sessions if text)  # ... and no session string

            bad = ["accounts", "login", "--sim", "8999", "--sandbox", f"{server.host}:{server.port}", "--port", emu.paths[0]]
            res = runner.invoke(app, bad, env=env)
            assert res.exit_code == 2 and "no SIM with ICCID 8999 in the SimBox" in res.output

            res = runner.invoke(app, ["accounts", "archive", "--json", "--no-media"], env=env)
            assert res.exit_code == 0, res.output
            archived = [json.loads(ln) for ln in res.stdout.splitlines()]
            assert len(archived) == 2 and all(a["ok"] and a["dialogs"] == 0 for a in archived)  # nothing there yet

            res = runner.invoke(app, ["accounts", "list", "--json"], env=env)
            assert res.exit_code == 0
            listed = {r["phone"]: r for r in map(json.loads, res.stdout.splitlines())}
            assert listed[NUMBERS[0]]["state"] == "active" and listed[NUMBERS[0]]["session"] is True
            assert listed[NUMBERS[2]]["state"] == "needs_app_registration"

            res = runner.invoke(app, ["accounts", "check", "--json"], env=env)
            assert res.exit_code == 0, res.output
            checked = {r["phone"]: r for r in map(json.loads, res.stdout.splitlines())}
            assert checked[NUMBERS[0]]["alive"] and checked[NUMBERS[1]]["alive"]
            assert not checked[NUMBERS[2]]["alive"]

            # rotate the vault key from the CLI, then the sessions still work
            key_file = tmp_path / "old.key"
            key_file.write_text(KEY_A)
            monkeypatch.setenv("PROKAI_VAULT_KEY", KEY_B)
            res = runner.invoke(app, ["vault", "rekey", "--old-key-file", str(key_file)], env=env)
            assert res.exit_code == 0 and "rekeyed 2 session(s)" in res.output, res.output
            res = runner.invoke(app, ["vault", "status"], env=env)
            assert "2 session(s) (current)" in res.output
            res = runner.invoke(app, ["accounts", "check", "--json", "--account", NUMBERS[0]], env=env)
            assert res.exit_code == 0 and json.loads(res.stdout)["alive"] is True

            # export one session to a file and import it on another node
            out = tmp_path / "one.session.json"
            node2 = {**env, "PROKAI_DATA_DIR": str(tmp_path / "node2"), "PROKAI_TRANSFER_PASSPHRASE": "moving day 2026"}
            res = runner.invoke(app, ["vault", "export", NUMBERS[0], "--out", str(out)], env=node2 | {"PROKAI_DATA_DIR": str(tmp_path)})
            assert res.exit_code == 0, res.output
            assert json.loads(out.read_text())["format"] == "prokai-session-export/1"
            res = runner.invoke(app, ["vault", "import", str(out)], env=node2)
            assert res.exit_code == 0 and "state active" in res.output, res.output
            res = runner.invoke(app, ["accounts", "check", "--json"], env=node2)
            assert json.loads(res.stdout)["alive"] is True
