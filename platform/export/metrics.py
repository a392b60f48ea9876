"""Prometheus metrics at `/metrics`: ingest, dead letters, alerts, HTTP latency, database pool.

Everything lives in a registry of its own, not the library's global one, so two apps in one
process (as in tests) never share or double-register metrics. Ingest keeps its own running
totals; they are reported as counters exactly as read (a scrape after a restart sees them reset,
which Prometheus' `rate()` handles), rather than being counted a second time here.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping

from prometheus_client import CollectorRegistry, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector

from tilsyn.platform.export.metrics_http import RequestLatencyMiddleware

__all__ = ["PlatformMetrics", "RequestLatencyMiddleware", "render"]

INGEST_OUTCOMES = ("stored", "duplicate", "quarantined", "dead_letter")
# Seconds: from a cached map tile (milliseconds) up to a large FHIR search or export page.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class _IngestTotals(Collector):
    """Counters whose values come from ingest's own totals at scrape time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._outcomes = dict.fromkeys(INGEST_OUTCOMES, 0)

    def set(self, outcomes: Mapping[str, int]) -> None:
        unknown = set(outcomes) - set(INGEST_OUTCOMES)
        if unknown:
            raise ValueError(f"unknown ingest outcomes {sorted(unknown)}; {INGEST_OUTCOMES}")
        with self._lock:
            self._outcomes.update(outcomes)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            outcomes = dict(self._outcomes)
        messages = CounterMetricFamily(
            "tilsyn_ingest_messages",
            "Messages ingest finished with, by outcome",
            labels=["outcome"],
        )
        for outcome, count in outcomes.items():
            messages.add_metric([outcome], count)
        yield messages
        yield CounterMetricFamily(
            "tilsyn_dead_letters",
            "Messages set aside as unreadable (also outcome=dead_letter above), for alert rules",
            value=outcomes["dead_letter"],
        )


class PlatformMetrics:
    """The platform's metrics, updated from plain values by whoever holds them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._ingest = _IngestTotals()
        self.registry.register(self._ingest)
        self.queue_depth = Gauge(
            "tilsyn_ingest_queue_depth",
            "Messages received, not yet written",
            registry=self.registry,
        )
        self.alerts_open = Gauge(
            "tilsyn_alerts_open", "Open alerts by severity", ["severity"], registry=self.registry
        )
        self.request_duration = Histogram(
            "tilsyn_http_request_duration_seconds",
            "HTTP request duration by route template, method and status",
            ["route", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.db_pool = Gauge(
            "tilsyn_db_pool_connections",
            "Database pool: idle and in-use connections, and requests waiting for one",
            ["state"],
            registry=self.registry,
        )

    def set_ingest_totals(
        self, *, stored: int, duplicate: int, quarantined: int, dead_letter: int
    ) -> None:
        """Ingest's running totals since it started (IngestStats)."""
        self._ingest.set(
            {
                "stored": stored,
                "duplicate": duplicate,
                "quarantined": quarantined,
                "dead_letter": dead_letter,
            }
        )

    def set_queue_depth(self, depth: int) -> None:
        self.queue_depth.set(depth)

    def set_alerts_open(self, by_severity: Mapping[str, int]) -> None:
        """Open alerts per severity; a severity no longer given drops to zero, not stale."""
        for (severity,), _ in _label_values(self.alerts_open):
            if severity not in by_severity:
                self.alerts_open.labels(severity=severity).set(0)
        for severity, count in by_severity.items():
            self.alerts_open.labels(severity=severity).set(count)

    def set_pool(self, *, size: int, available: int, waiting: int) -> None:
        """From psycopg_pool's `get_stats()`: pool_size, pool_available, requests_waiting."""
        self.db_pool.labels(state="idle").set(available)
        self.db_pool.labels(state="in_use").set(max(0, size - available))
        self.db_pool.labels(state="waiting").set(waiting)

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.request_duration.labels(route=route, method=method, status=str(status)).observe(
            seconds
        )


def _label_values(gauge: Gauge) -> list[tuple[tuple[str, ...], float]]:
    samples = next(iter(gauge.collect())).samples
    return [(tuple(sample.labels.values()), sample.value) for sample in samples]


def render(registry: CollectorRegistry) -> bytes:
    """The text exposition format; serve it with prometheus_client.CONTENT_TYPE_LATEST."""
    return generate_latest(registry)
