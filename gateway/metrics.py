"""Prometheus metrics of one gateway process, served at `GET /metrics`.

Each Gateway has a registry of its own (tests start many in one process). Counters and
histograms are updated where the work happens; gauges of live state (dialogues, calls,
binds, queues) are read from the services when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST.encode()
# From a cached screen (well under a millisecond) to a slow PostgreSQL transaction.
LATENCY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.http_requests = Counter("gateway_http_requests", "HTTP requests answered, by route and status",
                                     ["route", "status"], registry=r)
        self.http_seconds = Histogram("gateway_http_request_seconds", "Time to answer an HTTP request",
                                      ["route"], buckets=LATENCY_BUCKETS, registry=r)
        self.store_seconds = Histogram("gateway_store_transaction_seconds",
                                       "Time of a store transaction, queueing for the store thread included",
                                       ["outcome"], buckets=LATENCY_BUCKETS, registry=r)
        self.actions = Counter("gateway_menu_actions", "Menu actions run, by channel and outcome",
                               ["action", "channel", "outcome"], registry=r)
        # Counted in a plain dict and read at each scrape: a prometheus Counter takes a lock per
        # inc(), 3 % of the SMSC's CPU at thousands of submit_sm/s. Only the reactor thread counts.
        self._pdus_sent: dict[tuple[str, int], int] = {}
        r.register(_Counts("gateway_smpp_pdus_sent", "SMPP PDUs sent, by command and status (each response "
                           "answers one PDU received)", self._pdus_sent))
        self.sms_to_handsets = Counter("gateway_sms_to_handsets", "SMS stored in a handset's inbox", registry=r)
        self.dialogues = Counter("gateway_ussd_dialogues", "USSD dialogues ended, by outcome", ["outcome"],
                                 registry=r)
        self.calls = Counter("gateway_voice_calls", "Voice-menu calls ended, by transport and reason",
                             ["transport", "reason"], registry=r)
        self.errors = Counter("gateway_errors", "Unexpected errors (bugs) answered as such, by where",
                              ["where"], registry=r)

    def pdu_sent(self, command: str, status: int) -> None:
        """Count one PDU sent (on the reactor thread)."""
        key = (command, status)
        self._pdus_sent[key] = self._pdus_sent.get(key, 0) + 1

    def gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A value read from live state at each scrape."""
        Gauge(name, documentation, registry=self.registry).set_function(read)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)


class _Counts(Collector):
    """A counter by (command, status) kept in a dict the caller updates, exposed at scrape."""

    def __init__(self, name: str, documentation: str, counts: dict[tuple[str, int], int]) -> None:
        self._name, self._documentation, self._counts = name, documentation, counts

    def collect(self) -> Iterator[CounterMetricFamily]:
        family = CounterMetricFamily(self._name, self._documentation, labels=["command", "status"])
        for (command, status), count in list(self._counts.items()):
            family.add_metric([command, f"0x{status:08x}"], count)
        yield family
