"""The cluster under faults, on the real RabbitMQ and PostgreSQL with real `prokai worker`
processes: the workers' broker connections dropped mid-campaign and restored; every database
connection of the cluster terminated by the server mid-campaign; jobs lost from the queue after
their targets were marked queued. Each time the campaign ends as one process leaves it, nothing
stored twice."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
import sqlalchemy as sa
from cluster_harness import BROKER, BrokerLink, Cluster, cluster_db
from reliability_harness import assert_clean, final_of, finish

from prokai.config import ClusterSettings

pytestmark = pytest.mark.timeout(150)


def _wait_messages(cluster: Cluster, dispatch: Any, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while cluster.node.summary()["messages"] < count:
        assert dispatch.poll() is None, finish(dispatch)
        assert time.monotonic() < deadline, "the campaign never got that far"
        time.sleep(0.05)


def test_broker_connection_dropped_and_restored(cluster: Cluster, reference: dict[str, Any]) -> None:
    """Mid-campaign every worker loses its broker connection for 3 s: their unacknowledged jobs go
    back to the queue while they still run them (a second delivery finds the target claimed and is
    acked without work), the workers reconnect and consume again."""
    link = BrokerLink()
    try:
        cluster.start_workers(3, broker_url=link.url)
        cluster.wait_ready(3)
        dispatch = cluster.dispatch()
        _wait_messages(cluster, dispatch, 6)
        link.cut()
        time.sleep(3)
        link.restore()
        code, out, err = finish(dispatch, timeout=120)
        assert code == 0, err[-3000:]
        stopped = cluster.stop_workers()
    finally:
        link.close()
    assert [c for c, _, _ in stopped] == [0, 0, 0], [e[-2000:] for _, _, e in stopped]
    assert link.cuts == 2  # the cut mid-campaign (and the close)
    after = cluster.node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference)


def test_database_connections_dropped(cluster: Cluster, reference: dict[str, Any]) -> None:
    """Mid-campaign the server terminates every connection of the cluster (workers, their target
    claims, the follower): a failed step is retried, nothing is lost or stored twice."""
    cluster.start_workers(3)
    cluster.wait_ready(3)
    dispatch = cluster.dispatch()
    _wait_messages(cluster, dispatch, 6)
    engine = sa.create_engine(cluster.node.url)
    try:
        with engine.connect() as conn:
            killed = conn.execute(sa.text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :node"), {"node": cluster.node.env()["PGAPPNAME"]}).scalar()
    finally:
        engine.dispose()
    assert killed and killed >= 3
    code, out, err = finish(dispatch, timeout=120)
    assert code == 0, err[-3000:]
    stopped = cluster.stop_workers()
    assert [c for c, _, _ in stopped] == [0, 0, 0], [e[-2000:] for _, _, e in stopped]
    after = cluster.node.summary()
    assert_clean(after), (after, [e[-3000:] for _, _, e in stopped])
    assert final_of(after) == final_of(reference)


@pytest.mark.cluster_settings(republish_after_s=1.0)
def test_jobs_lost_from_the_queue_are_published_again(cluster: Cluster, reference: dict[str, Any]) -> None:
    """The jobs are purged from the broker before any worker took one (a lost publish looks the
    same: targets marked queued, nothing in the queue): the follower sees jobs out for longer than
    `cluster.republish_after_s` with none waiting and no worker on them, and publishes them again."""
    from prokai.cluster.queue_metrics import read_depths

    settings = ClusterSettings(broker_url=BROKER, queue=cluster.queue)
    dispatch = cluster.dispatch()
    deadline = time.monotonic() + 30
    while not [d for d in _depths(settings, read_depths) if d.queue == cluster.queue and d.ready]:
        assert time.monotonic() < deadline and dispatch.poll() is None, "the jobs were never published"
        time.sleep(0.1)
    purged = asyncio.run(_purge(cluster.queue))
    assert purged > 0
    cluster.start_workers(2)
    code, out, err = finish(dispatch, timeout=120)
    assert code == 0, err[-3000:]
    assert "published again" in err
    stopped = cluster.stop_workers()
    assert [c for c, _, _ in stopped] == [0, 0]
    after = cluster.node.summary()
    assert_clean(after)
    assert final_of(after) == final_of(reference)
    with cluster_db(cluster) as s:
        from prokai.store.models import Conversation

        assert len(s.scalars(sa.select(Conversation)).all()) == len(after["targets"])


def _depths(settings: ClusterSettings, read: Any) -> list[Any]:
    try:
        return list(asyncio.run(read(settings)))
    except Exception:  # the queue is not declared yet
        return []


async def _purge(queue: str) -> int:
    import aio_pika

    conn = await aio_pika.connect(BROKER)
    try:
        channel = await conn.channel()
        declared = await channel.declare_queue(queue, passive=True)
        result = await declared.purge()
        return int(result.message_count)
    finally:
        await conn.close()
