"""Several `prokai worker` processes on the real RabbitMQ and the real PostgreSQL, over the sandbox
(the reliability probes' world: real `prokai` subprocesses, sessions in the vault, the production
account pool): a distributed campaign ends as the single-process runner leaves it, also when one
worker is killed with `kill -9` mid-conversation (its job is redelivered, resumed by another
worker with the same account, nothing stored twice), and SIGTERM stops a worker cleanly.

Each test has a queue of its own (deleted afterwards) and a PostgreSQL schema of its own."""

from __future__ import annotations

import asyncio
import os
import signal
from typing import Any

import pytest
from cluster_harness import SLOW, TARGETS, Cluster, cluster_db, holders_of
from reliability_harness import assert_clean, final_of, finish
from sqlalchemy import select

pytestmark = pytest.mark.timeout(120)


def test_three_workers_finish_like_one_process(cluster: Cluster, reference: dict[str, Any]) -> None:
    from prokai.store.models import Conversation, Target

    cluster.start_workers(3)
    code, out, err = finish(cluster.dispatch())
    assert code == 0, err[-3000:]
    assert f"{len(TARGETS) + 1} conversations" in out  # the discovered target too
    stopped = cluster.stop_workers()
    assert [code for code, _, _ in stopped] == [0, 0, 0], [e[-2000:] for _, _, e in stopped]
    assert not [e for _, _, e in stopped if "Traceback" in e]
    after = cluster.node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference)
    with cluster_db(cluster) as s:
        # the work was shared: more than one account talked
        assert len(set(s.scalars(select(Conversation.account_id)))) > 1
        # one conversation per target (none handed over to another account)
        per_target = s.execute(select(Target.raw, Conversation.outcome)
                               .join(Conversation, Conversation.target_id == Target.id)).all()
        assert sorted(raw for raw, _ in per_target) == sorted(after["targets"])


@pytest.mark.cluster_settings(job_time_limit_s=1.0, continue_delay_s=0.2, max_slices=2, shops=SLOW)
def test_a_delivery_never_outlives_its_time_limit(cluster: Cluster) -> None:
    """The slow shops answer each press after 0.8 s, so their requisite comes 2.4 s into the
    conversation at the earliest, after the 2 slices of 1 s a delivery may have: each conversation
    is cut, continued by a delayed job in the same conversation with the same account, cut again,
    and its target deferred with the reason (exit 1, said on stderr); nothing lost, stored twice or
    leased."""
    from prokai.store.models import Conversation, Target

    cluster.start_workers(1, concurrency=2)
    code, out, err = finish(cluster.dispatch())
    assert code == 1, err[-3000:]
    assert "2 target(s) left pending (conversation longer than 2 × 1 s)" in err
    [(code, out, err)] = cluster.stop_workers()
    assert code == 0 and "continued 2" in out and "deferred 2" in out, out
    summary = cluster.node.summary()
    assert summary["duplicates"] == [] and summary["leased"] == [] and summary["intact"]
    with cluster_db(cluster) as s:
        for target in s.scalars(select(Target)):
            assert (target.status, target.meta["slices"]) == ("pending", 2)
            convs = s.scalars(select(Conversation).where(Conversation.target_id == target.id)).all()
            assert len(convs) == 1 and convs[0].ended_at is None  # open: a later run resumes it


def test_workers_killed_and_stopped_mid_conversation(cluster: Cluster, reference: dict[str, Any]) -> None:
    """Two workers mid-way through the slow shops' conversations: one killed with `kill -9` (its
    job redelivered, its lease taken over at once), one stopped by SIGTERM with no grace (its job
    cut and published again, exit 0). The other two finish the campaign as one process would: both
    chats go on with the same account in the same conversation, nothing stored twice."""
    from prokai.store.models import Account, AuditRecord, Conversation, Target

    cluster.start_workers(4, stop_grace=0)
    cluster.wait_ready(4)  # else the first worker up could run both slow shops in turn
    dispatch = cluster.dispatch()
    (killed, kconv, kaccount), (stopped, sconv, saccount) = holders_of(cluster, dispatch, SLOW)
    assert killed is not stopped
    os.kill(killed.pid, signal.SIGKILL)
    stopped.send_signal(signal.SIGTERM)
    with cluster_db(cluster) as s:
        assert s.scalar(select(Conversation.ended_at).where(Conversation.id == kconv)) is None, \
            "killed after the conversation ended: probes nothing"
    killed.wait()
    code, out, err = finish(stopped, timeout=30)
    assert code == 0 and "Traceback" not in err, err[-3000:]
    assert "requeued 1" in out, out
    code, out, err = finish(dispatch)
    assert code == 0, err[-3000:]
    assert [code for code, _, _ in cluster.stop_workers()] == [0, 0]
    after = cluster.node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference)
    with cluster_db(cluster) as s:
        for name, conv_id, account_id in ((SLOW[0], kconv, kaccount), (SLOW[1], sconv, saccount)):
            convs = s.execute(select(Conversation.id, Conversation.account_id, Conversation.outcome)
                              .join(Target, Target.id == Conversation.target_id)
                              .where(Target.raw.like(f"%{name}"))).all()
            assert [tuple(c) for c in convs] == [(conv_id, account_id, "requisites")], name
        # the dead worker's lease was taken over at once (not waited out), audited
        taken = s.scalars(select(AuditRecord.object_id).where(
            AuditRecord.action.in_(("lease.taken_over", "lease.reaped")))).all()
        assert taken == [str(kaccount)]
        assert s.scalar(select(Account.lease_owner).where(Account.id == kaccount)) is None


@pytest.mark.cluster_settings(targets=3)
def test_sweeps_on_the_workers(cluster: Cluster) -> None:
    """`prokai sweep --distributed` and the scheduler's nightly sweep with
    `cluster.enabled` publish one job per live shop for the workers and follow them: every
    shop re-asked by a worker, statuses recorded, nothing stored twice."""
    from prokai.config import load_settings
    from prokai.daemon.sweeps import nightly_sweep
    from prokai.ops.jobs import JobContext
    from prokai.store.db import Database
    from prokai.store.models import Campaign, Conversation, SweepCampaign

    cluster.start_workers(2)
    code, _, err = finish(cluster.dispatch())
    assert code == 0, err[-3000:]
    code, out, err = finish(cluster.node.start("sweep", "--distributed", "--key", "2026-12-01", "--no-progress"))
    assert code == 0, err[-3000:]
    # the three targets and the backup bot one of them named
    assert "sweep 2026-12-01: 4 shops; statuses {'alive': 4}" in out, out

    settings = load_settings(cluster.node.config, environ={"PROKAI_CLUSTER__ENABLED": "true"})
    db = Database(cluster.node.url)
    try:
        ctx = JobContext("sweep", "run-test", settings, db, asyncio.Event(), checkpoint_state={"key": "2026-12-02"})
        result = asyncio.run(nightly_sweep(ctx))
        assert (result["complete"], result["key"], result["shops"], result["statuses"]) == \
            (True, "2026-12-02", 4, {"alive": 4})
        with db.session() as s:
            sweeps = list(s.scalars(select(SweepCampaign.campaign_id)))
            assert [s.get(Campaign, cid).status for cid in sweeps] == ["done", "done"]
            # the conversations were the workers' (this process ran none: it has no vault key)
            assert len(s.scalars(select(Conversation).where(Conversation.campaign_id.in_(sweeps))).all()) == 8
    finally:
        db.dispose()
    stopped = cluster.stop_workers()
    assert [c for c, _, _ in stopped] == [0, 0]
    assert sum(int(o.split("done ")[1].split(",")[0]) for _, o, _ in stopped if "done " in o) == 4 + 8
    summary = cluster.node.summary()
    assert summary["duplicates"] == [] and summary["leased"] == [] and summary["intact"]
