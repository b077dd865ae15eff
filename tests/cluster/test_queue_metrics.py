"""`/metrics` of a cluster's `prokai run` reports the task queue, read from the real RabbitMQ."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from cluster_harness import BROKER
from prometheus_client import CollectorRegistry, generate_latest

from prokai.cluster.queue import JobQueue, delete_queue
from prokai.cluster.queue_metrics import QueueCollector
from prokai.config import ClusterSettings
from prokai.crawl.runner import ConversationJob

pytestmark = pytest.mark.timeout(60)


def _scrape(cluster: ClusterSettings) -> dict[str, float]:
    registry = CollectorRegistry()
    registry.register(QueueCollector(cluster))
    samples = {}
    for line in generate_latest(registry).decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            samples[name] = float(value)
    return samples


def test_queue_depth_and_consumers() -> None:
    cluster = ClusterSettings(broker_url=BROKER, queue=f"prokai.test.metrics.{uuid.uuid4().hex[:8]}")

    async def publish(n: int, delay_s: float | None = None) -> None:
        queue = JobQueue(cluster)
        await queue.start()
        try:
            await queue.publish([ConversationJob(1, k) for k in range(n)], delay_s=delay_s)
        finally:
            await queue.close()

    try:
        assert _scrape(cluster)[f'prokai_queue_jobs{{queue="{cluster.queue}"}}'] == 0  # not declared yet
        asyncio.run(publish(3))
        asyncio.run(publish(2, delay_s=600))
        samples = _scrape(cluster)
        assert samples["prokai_queue_up"] == 1
        assert samples[f'prokai_queue_jobs{{queue="{cluster.queue}"}}'] == 3
        assert samples[f'prokai_queue_jobs{{queue="{cluster.queue}.delay"}}'] == 2
        assert samples[f'prokai_queue_consumers{{queue="{cluster.queue}"}}'] == 0
    finally:
        asyncio.run(delete_queue(cluster))


def test_an_unreachable_broker_is_reported_not_raised() -> None:
    samples = _scrape(ClusterSettings(broker_url="amqp://guest:guest@127.0.0.1:1/", queue="prokai.none"))
    assert samples == {"prokai_queue_up": 0.0}
