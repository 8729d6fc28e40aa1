"""Prometheus metrics of one gateway process, served at `GET /metrics`.

Each Gateway has a registry of its own (tests start many in one process). Counters and
histograms are updated where the work happens; gauges of live state (dialogues, calls,
binds, queues) are read from the services when Prometheus scrapes.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

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
        self.pdus = Counter("gateway_smpp_pdus_sent", "SMPP PDUs sent, by command and status (each response "
                            "answers one PDU received)", ["command", "status"], registry=r)
        self._pdu_children: dict[tuple[str, int], Counter] = {}
        self.sms_to_handsets = Counter("gateway_sms_to_handsets", "SMS stored in a handset's inbox", registry=r)
        self.dialogues = Counter("gateway_ussd_dialogues", "USSD dialogues ended, by outcome", ["outcome"],
                                 registry=r)
        self.calls = Counter("gateway_voice_calls", "Voice-menu calls ended, by transport and reason",
                             ["transport", "reason"], registry=r)
        self.errors = Counter("gateway_errors", "Unexpected errors (bugs) answered as such, by where",
                              ["where"], registry=r)

    def pdu_sent(self, command: str, status: int) -> None:
        """Count one PDU sent; the labelled child is looked up once per (command, status)."""
        child = self._pdu_children.get((command, status))
        if child is None:  # a handful of pairs: the SMSC's hot path skips labels() after the first
            child = self._pdu_children[command, status] = self.pdus.labels(command, f"0x{status:08x}")
        child.inc()

    def gauge(self, name: str, documentation: str, read: Callable[[], float]) -> None:
        """A value read from live state at each scrape."""
        Gauge(name, documentation, registry=self.registry).set_function(read)

    def exposition(self) -> bytes:
        """The text format Prometheus scrapes."""
        return generate_latest(self.registry)
