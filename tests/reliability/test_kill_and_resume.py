"""kill -9 and SIGTERM at points of `prokai campaign run` and `prokai sweep` (real subprocesses,
the production account pool with sessions in the vault, the sandbox's MTProto server), then an
immediate rerun: the same final result as an uninterrupted run, no duplicate, no target in
`error`, no lease left behind. And a target no account can take stays pending, said on stderr."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from reliability_harness import SHOPS, Node, SandboxThread, assert_clean, final_of, finish

pytestmark = pytest.mark.timeout(180)

TARGETS = [f"@{name}" for name in SHOPS]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxThread]:
    box = SandboxThread()
    yield box
    box.stop()


@pytest.fixture(scope="module")
def reference(sandbox: SandboxThread, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted campaign run and sweep: what every interrupted one must end with."""
    node = Node(tmp_path_factory.mktemp("ref"), sandbox, ["+77061000001", "+77061000002"], TARGETS)
    code, out, err = finish(node.campaign())
    assert code == 0, err[-3000:]
    after_campaign = node.summary()
    code, out, err = finish(node.start("sweep", "--key", "2026-12-01", "--model", "keywords", "--no-progress"))
    assert code == 0, err[-3000:]
    return {"campaign": after_campaign, "sweep": node.summary(), "sweep_out": out}




def test_reference_run_is_complete(reference: dict[str, Any]) -> None:
    ref = reference["campaign"]
    assert_clean(ref)
    assert {status for status, _ in ref["targets"].values()} == {"done"}
    assert {outcome for _, outcome in ref["targets"].values()} == {"requisites"}
    assert len(ref["requisites"]) == 3  # one card per shop
    assert "statuses {'alive': 3}" in reference["sweep_out"]


def test_kill_minus_nine_then_rerun(sandbox: SandboxThread, reference: dict[str, Any], tmp_path: Path) -> None:
    node = Node(tmp_path, sandbox, ["+77062000001", "+77062000002"], TARGETS)
    proc = node.campaign()
    node.wait_for_messages(proc, 6)  # two conversations under way, one shop done
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert node.summary()["leased"], "the killed run held leases (else this probes nothing)"
    code, out, err = finish(node.campaign())  # at once: no waiting out the lease time
    assert code == 0, err[-3000:]
    after = node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference["campaign"])

    # a sweep killed part-way, then the same key again
    sweep = node.start("sweep", "--key", "2026-12-01", "--model", "keywords", "--no-progress")
    node.wait_for_messages(sweep, after["messages"] + 2)
    os.kill(sweep.pid, signal.SIGKILL)
    sweep.wait()
    code, out, err = finish(node.start("sweep", "--key", "2026-12-01", "--model", "keywords", "--no-progress"))
    assert code == 0, err[-3000:]
    swept = node.summary()
    assert_clean(swept)
    assert final_of(swept) == final_of(reference["sweep"])


def test_sigterm_stops_cleanly_and_resumes(sandbox: SandboxThread, reference: dict[str, Any], tmp_path: Path) -> None:
    node = Node(tmp_path, sandbox, ["+77063000001", "+77063000002"], TARGETS)
    proc = node.campaign("--stop-grace", "0")
    node.wait_for_messages(proc, 4)
    proc.send_signal(signal.SIGTERM)
    code, out, err = finish(proc)
    stopped = node.summary()
    assert code == 128 + signal.SIGTERM, (code, err[-3000:])
    assert "stopped by SIGTERM" in err and "left pending" in err and "Traceback" not in err
    assert stopped["leased"] == []  # released on the way out, not left to expire
    assert {status for status, _ in stopped["targets"].values()} & {"pending"}
    assert "running" not in {status for status, _ in stopped["targets"].values()}
    assert stopped["campaigns"][node.campaign_id] == "stopped"
    code, out, err = finish(node.campaign())
    assert code == 0, err[-3000:]
    after = node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference["campaign"])


def test_no_free_account_leaves_targets_pending(sandbox: SandboxThread, tmp_path: Path) -> None:
    """One account with a daily cap of 1 message: the first shop is done, the others wait for
    another day (pending, said on stderr, exit 1) instead of ending in `error`."""
    node = Node(tmp_path, sandbox, ["+77064000001"], TARGETS, daily_cap=1)
    code, out, err = finish(node.campaign())
    summary = node.summary()
    assert code == 1, err[-3000:]
    assert "left pending" in err and "daily cap" in err
    statuses = sorted(status for status, _ in summary["targets"].values())
    assert statuses == ["done", "pending", "pending"]
    assert_clean(summary)
    assert summary["campaigns"][node.campaign_id] == "stopped"
