"""The one ProkAi module that speaks to the task queue: Taskiq over RabbitMQ (taskiq-aio-pika).

    queue = JobQueue(settings.cluster)
    await queue.start()                       # a publisher; `start(worker=True)` also consumes
    await queue.publish([job, ...])           # ConversationJob each, confirmed by the broker
    await queue.consume(handler, concurrency=4, stop=event)   # a worker, until `stop` is set
    await queue.close()

Every delivery carries one `ConversationJob` as JSON to the one task `prokai.conversation`. It is
acknowledged when the handler returns (`when_executed`), never on receipt: a worker that dies
mid-job leaves its deliveries unacknowledged and RabbitMQ hands them to another worker. Taskiq
acks a handler that raised (or was cancelled) too, so handlers settle every job themselves: done,
deferred back to pending with a reason, or published again. Nothing outside `prokai.cluster`
imports Taskiq, and this module is imported only in distributed mode.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterable

from taskiq import AsyncBroker
from taskiq.acks import AcknowledgeType
from taskiq.receiver import Receiver
from taskiq_aio_pika import AioPikaBroker, Exchange, Queue, QueueType

from prokai.cluster.queue_metrics import queue_names
from prokai.config import ClusterSettings
from prokai.crawl.runner import ConversationJob

log = logging.getLogger(__name__)

TASK = "prokai.conversation"
Handler = Callable[[ConversationJob], Awaitable[str]]


class QueueUnavailable(Exception):
    """The broker cannot be reached (the message names it, without its password)."""


def _without_password(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.password is None:
        return url
    return parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@", 1)).geturl()


class JobQueue:
    """Conversation jobs on the broker the settings name (one queue, one exchange of that name)."""

    def __init__(self, cluster: ClusterSettings, *, concurrency: int | None = None) -> None:
        """`concurrency`: deliveries a consumer may hold (its conversations at once + prefetch)."""
        self.cluster = cluster
        self.concurrency = concurrency or cluster.worker_concurrency
        kind = QueueType(cluster.queue_type)
        names = queue_names(cluster.queue)
        self.broker: AsyncBroker = AioPikaBroker(
            cluster.broker_url, qos=self.concurrency + cluster.prefetch,
            exchange=Exchange(name=cluster.queue),
            task_queues=[Queue(name=names[0], type=kind)],
            dead_letter_queue=Queue(name=names[1], type=kind),
            delay_queue=Queue(name=names[2], type=kind),
        )
        self._handler: Handler | None = None

        async def conversation(job: str) -> str:
            assert self._handler is not None, "a publisher received a job"
            return await self._handler(ConversationJob.from_json(job))

        self.task = self.broker.register_task(conversation, task_name=TASK)

    async def start(self, *, worker: bool = False) -> None:
        """Connect (and declare the queues); `worker`: also open the consuming connection.
        Raises `QueueUnavailable` when the broker cannot be reached."""
        self.broker.is_worker_process = worker
        try:
            await self.broker.startup()
        except (ConnectionError, OSError) as exc:
            with contextlib.suppress(Exception):
                await self.broker.shutdown()
            raise QueueUnavailable(f"task queue {self.cluster.queue!r} unreachable at "
                                   f"{_without_password(self.cluster.broker_url)}: {exc}") from exc

    async def publish(self, jobs: Iterable[ConversationJob], *, delay_s: float | None = None) -> int:
        """Publish each job (persistent, confirmed by the broker); how many."""
        count = 0
        for job in jobs:
            kicker = self.task.kicker()
            if delay_s:
                kicker = kicker.with_labels(delay=delay_s)
            await kicker.kiq(job.to_json())
            count += 1
        return count

    async def consume(self, handler: Handler, stop: asyncio.Event) -> None:
        """Run `handler` on every delivery, `concurrency` at once, until `stop` is set; then take
        no new delivery and wait for the handlers in progress (they settle their jobs)."""
        self._handler = handler
        while not stop.is_set():
            receiver = Receiver(self.broker, max_async_tasks=self.concurrency, max_prefetch=self.cluster.prefetch,
                                run_startup=False, ack_type=AcknowledgeType.WHEN_EXECUTED)
            listening = asyncio.ensure_future(receiver.listen(stop))
            try:
                await listening
            except asyncio.CancelledError:
                listening.cancel()
                raise
            except Exception:  # the robust connection reconnects; listen again
                log.exception("listening to %s failed; listening again", self.cluster.queue)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    async def close(self) -> None:
        """Disconnect (unacknowledged deliveries go back to the queue)."""
        await self.broker.shutdown()


async def delete_queue(cluster: ClusterSettings) -> None:
    """Delete the queues and the exchange of `cluster.queue` (tests, decommissioning)."""
    import aio_pika

    conn = await aio_pika.connect(cluster.broker_url)
    try:
        channel = await conn.channel()
        for name in queue_names(cluster.queue):
            with contextlib.suppress(Exception):
                await channel.queue_delete(name)
        with contextlib.suppress(Exception):
            await channel.exchange_delete(cluster.queue)
    finally:
        await conn.close()


__all__ = ["TASK", "JobQueue", "QueueUnavailable", "delete_queue"]
