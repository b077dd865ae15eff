"""Prometheus metrics of `prokai run`: sessions, conversations, requisites, jobs, errors.

Gauges are read from the database when Prometheus scrapes (a custom collector), so they are
right even when another process (a crawler node) did the work; counters count what this process
did. Served by prometheus-client's HTTP server on `review.metrics_host:metrics_port`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from prokai.store.db import Database
from prokai.store.models import Account, Conversation, Requisite

log = logging.getLogger("prokai.metrics")


class StoreCollector(Collector):
    """Counts from the evidence store, computed at scrape time."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def collect(self) -> Iterator[GaugeMetricFamily]:
        sessions = GaugeMetricFamily("prokai_sessions", "Telegram sessions (accounts) by state", labels=["state"])
        conversations = GaugeMetricFamily("prokai_conversations", "Stored conversations by outcome", labels=["outcome"])
        requisites = GaugeMetricFamily("prokai_requisites", "Requisites by kind and status", labels=["kind", "status"])
        try:
            with self.db.session() as s:
                for state, n in s.execute(select(Account.state, func.count()).group_by(Account.state)):
                    sessions.add_metric([state], n)
                for outcome, n in s.execute(select(Conversation.outcome, func.count()).group_by(Conversation.outcome)):
                    conversations.add_metric([outcome or "open"], n)
                for kind, status, n in s.execute(
                    select(Requisite.kind, Requisite.status, func.count()).group_by(Requisite.kind, Requisite.status)
                ):
                    requisites.add_metric([kind, status], n)
        except Exception:  # a scrape must never crash the process
            log.exception("metrics: database unreadable")
        yield sessions
        yield conversations
        yield requisites


class Metrics:
    """The registry of one `prokai run` process."""

    def __init__(self, db: Database | None = None) -> None:
        self.registry = CollectorRegistry()
        self.errors = Counter("prokai_errors", "Errors by component", ["component"], registry=self.registry)
        self.jobs = Counter("prokai_jobs", "Job runs by job and result", ["job", "result"], registry=self.registry)
        self.notifications = Counter("prokai_notifications", "Requisite notifications sent", registry=self.registry)
        self.decisions = Counter("prokai_review_decisions", "Review button presses by outcome", ["outcome"], registry=self.registry)
        self.refusals = Counter("prokai_refusals", "Updates from people not on the allow-list", registry=self.registry)
        if db is not None:
            self.registry.register(StoreCollector(db))
        self._server: Any = None

    def serve(self, host: str, port: int) -> int:
        """Start the HTTP endpoint (`/metrics`); returns the port (0 picks a free one)."""
        from prometheus_client import start_http_server

        server, _thread = start_http_server(port, addr=host, registry=self.registry)
        self._server = server
        return int(server.server_port)

    def close(self) -> None:
        """Stop the HTTP endpoint."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
