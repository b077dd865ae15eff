"""Queue depth for `/metrics` and the follower: how many jobs wait in the broker.

Read with a passive queue declaration (AMQP itself, no management plugin needed), which tells
the jobs ready for delivery and the consumers, not the deliveries held unacknowledged by workers
(`prokai workers` says what each worker is doing). Only aio-pika, so `prokai run` can report a
cluster's queue without importing the task queue engine.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from prokai.config import ClusterSettings

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 3.0  # a scrape never hangs on a broker that does not answer


def queue_names(queue: str) -> list[str]:
    """The broker queues one ProkAi queue name declares: jobs, their dead letters, delayed jobs."""
    return [queue, f"{queue}.dead_letter", f"{queue}.delay"]


@dataclass(frozen=True)
class Depth:
    """One broker queue: jobs ready for delivery, and its consumers."""

    queue: str
    ready: int
    consumers: int


async def read_depths(cluster: ClusterSettings) -> list[Depth]:
    """Ready jobs and consumers of the job queue, its dead letters and its delayed jobs (queues
    not declared yet count as empty)."""
    import aio_pika
    from aio_pika.exceptions import ChannelClosed

    conn = await aio_pika.connect(cluster.broker_url, timeout=READ_TIMEOUT_S)
    try:
        depths = []
        for name in queue_names(cluster.queue):
            channel = await conn.channel()
            try:
                declared = await channel.declare_queue(name, passive=True)
                result = declared.declaration_result
                depths.append(Depth(name, int(result.message_count or 0), int(result.consumer_count or 0)))
            except ChannelClosed:  # not declared yet: no worker or publisher has come up
                depths.append(Depth(name, 0, 0))
        return depths
    finally:
        await conn.close()


def waiting_jobs(depths: list[Depth]) -> int:
    """Jobs in the broker that some worker will still get: ready and delayed (not dead letters)."""
    return sum(d.ready for d in depths if not d.queue.endswith(".dead_letter"))


class QueueCollector(Collector):
    """`prokai_queue_jobs{queue}` (ready for delivery), `prokai_queue_consumers{queue}` and
    `prokai_queue_up` (0 when the broker cannot be read), read from the broker when scraped."""

    def __init__(self, cluster: ClusterSettings) -> None:
        self.cluster = cluster

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily("prokai_queue_up", "Whether the task queue's broker answered this scrape")
        jobs = GaugeMetricFamily("prokai_queue_jobs", "Jobs ready for delivery in the broker", labels=["queue"])
        consumers = GaugeMetricFamily("prokai_queue_consumers", "Consumers of the queue", labels=["queue"])
        try:  # the scrape runs in the metrics server's thread, outside any event loop
            depths = asyncio.run(asyncio.wait_for(read_depths(self.cluster), READ_TIMEOUT_S))
        except Exception as exc:  # a scrape must never crash the process
            log.warning("metrics: task queue %s unreadable: %s", self.cluster.queue, exc)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        for depth in depths:
            jobs.add_metric([depth.queue], depth.ready)
            consumers.add_metric([depth.queue], depth.consumers)
        yield from (up, jobs, consumers)


__all__ = ["Depth", "QueueCollector", "queue_names", "read_depths", "waiting_jobs"]
