"""The status page: what one gateway process is doing now.

`GET /api/v1/status` (JSON) and `GET /status` (the same as a server-rendered HTML page that
reloads itself) list the SMPP binds, the open USSD dialogues, the voice calls in progress,
the queue depths, the uptime and the version; with several nodes, this node's id and the
receiving binds the other nodes announced (binds, dialogues and calls are the node's own).
Only what an operator needs to see who is connected and what waits: never a USSD input, an
SMS text or an unmasked key path.
"""

from __future__ import annotations

import html
import re
from importlib import metadata

from twisted.internet.defer import inlineCallbacks

from gateway.http.ussdapi import RawBody
from gateway.ussd.records import iso_time

HTML = b"text/html; charset=utf-8"
REFRESH_SECONDS = 5


def version() -> str:
    try:
        return metadata.version("channel-gateway")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown"


def _held_and_receipts(uow) -> tuple[int, int]:
    return uow.submits.count_held(), uow.receipts.count()


class Status:
    """Reads the live state of the services; `snapshot` also counts what the store holds."""

    def __init__(self, sms, ussd, voice, runner, reactor, clock) -> None:
        self._sms = sms
        self._ussd = ussd
        self._voice = voice
        self._runner = runner
        self._reactor = reactor  # wall time: binds and uptime
        self._clock = clock  # the services' time (a test clock in scenarios): dialogues and calls
        self.started_at = reactor.seconds()
        self.cluster = None  # gateway/cluster/node.ClusterNode when several nodes share the store

    def routes(self, prefix: str) -> list[tuple[bytes, re.Pattern, object]]:
        return [(b"GET", re.compile(prefix + r"/status"), self.json),
                (b"GET", re.compile(r"/status"), self.page)]

    @inlineCallbacks
    def snapshot(self):
        """The whole status as a JSON-ready dict."""
        wall, now = self._reactor.seconds(), self._clock.seconds()
        held, receipts = yield self._runner.run(_held_and_receipts)
        status = {
            "version": version(),
            "started_at": iso_time(self.started_at),
            "uptime_seconds": round(wall - self.started_at, 1),
            "queues": {"store": self._runner.queued, "pending_receipts": receipts, "held_sms": held},
            "binds": [_bind(b, wall) for b in self._sms.open_binds()],
            "dialogues": [_dialogue(d, now) for d in sorted(self._ussd.dialogues, key=lambda d: d.started_at)],
            "calls": [_call(c, now) for c in sorted(self._voice.calls.values(), key=lambda c: c.started_at)],
        }
        if self.cluster is not None:
            status["cluster"] = self.cluster.view()
        return status

    @inlineCallbacks
    def json(self, request):
        status = yield self.snapshot()
        return 200, status

    @inlineCallbacks
    def page(self, request):
        status = yield self.snapshot()
        return 200, RawBody(HTML, render(status).encode("utf-8"))


def _bind(bind, now: float) -> dict:
    outstanding, window, queued = bind.window
    return {"system_id": bind.account.system_id, "role": bind.account.role.value, "kind": bind.kind.name.lower(),
            "peer": bind.peer, "since": iso_time(bind.since), "age_seconds": round(now - bind.since, 1),
            "outstanding": outstanding, "window": window, "queued": queued}


def _dialogue(dialogue, now: float) -> dict:
    # The screen, the history and the steps carry what the subscriber typed: never shown.
    return {"msisdn": dialogue.msisdn, "service_code": dialogue.service_code, "since": iso_time(dialogue.started_at),
            "age_seconds": round(now - dialogue.started_at, 1), "state": dialogue.phase.value,
            "server": dialogue.server.value, "transport": dialogue.transport}


def _call(call, now: float) -> dict:
    return {"call_id": call.call_id, "caller": call.msisdn, "number": call.number, "since": iso_time(call.started_at),
            "age_seconds": round(now - call.started_at, 1), "path": "".join(call.path), "transport": call.transport}


def _table(title: str, columns: list[tuple[str, str]], rows: list[dict]) -> str:
    head = "".join(f"<th>{html.escape(label)}</th>" for _, label in columns)
    if rows:
        body = "".join("<tr>" + "".join(f"<td>{html.escape(str(row[key]))}</td>" for key, _ in columns) + "</tr>"
                       for row in rows)
    else:
        body = f'<tr><td colspan="{len(columns)}" class="none">none</td></tr>'
    return (f"<h2>{html.escape(title)} ({len(rows)})</h2>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def _cluster(cluster: dict | None) -> str:
    if cluster is None:
        return ""
    rows = [{"node": f"{cluster['node']} (this one)", "binds": " ".join(cluster["binds_here"]) or "-",
             "lease": "-"}]
    rows += [{"node": p["node"], "binds": " ".join(p["binds"]) or "-", "lease": p["lease_seconds"]}
             for p in cluster["peers"]]
    redis = "up" if cluster["redis_up"] else "DOWN: the other nodes' binds may be out of date"
    return (_table(f"Nodes, Redis {redis}", [("node", "node"), ("binds", "receiving binds announced"),
                                              ("lease", "announcement valid for, s")], rows))


def render(status: dict) -> str:
    """The status as one HTML page (no script; it reloads itself every few seconds)."""
    queues = status["queues"]
    summary = [("version", status["version"]), ("started", status["started_at"]),
               ("uptime, s", status["uptime_seconds"]), ("store queue", queues["store"]),
               ("pending receipts", queues["pending_receipts"]), ("held SMS", queues["held_sms"])]
    facts = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(str(v))}</td></tr>" for k, v in summary)
    return "".join([
        "<!doctype html><html><head><meta charset=\"utf-8\">",
        f"<meta http-equiv=\"refresh\" content=\"{REFRESH_SECONDS}\"><title>Gateway status</title>",
        "<style>body{font:14px sans-serif;margin:1.5em}table{border-collapse:collapse;margin-bottom:1em}"
        "th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}.none{color:#888}</style>",
        "</head><body><h1>Gateway status</h1>",
        f"<table class=\"summary\">{facts}</table>",
        _table("SMPP binds", [("system_id", "system_id"), ("role", "role"), ("kind", "bind"), ("peer", "peer"),
                              ("since", "since"), ("outstanding", "outstanding"), ("window", "window"),
                              ("queued", "queued")], status["binds"]),
        _table("USSD dialogues", [("msisdn", "msisdn"), ("service_code", "service code"), ("since", "since"),
                                  ("state", "waiting for"), ("server", "served by"), ("transport", "transport")],
               status["dialogues"]),
        _cluster(status.get("cluster")),
        _table("Voice calls", [("caller", "caller"), ("number", "number"), ("since", "since"),
                               ("path", "keys (secrets masked)"), ("transport", "transport")], status["calls"]),
        '<p><a href="/api/v1/status">JSON</a> · <a href="/metrics">metrics</a></p></body></html>',
    ])
