"""Soak: a steady mixed load for a long time, memory and latency sampled every minute.

Run: .venv/bin/python bench/soak.py [--minutes 30] [--db URL] [--ussd-rate 10] [--sms-rate 20] [--api-rate 10]

A real `gateway run` starts on free ports (a temporary SQLite store, or `--db`). Three loads
run at a fixed pace from threads of this process, each operation timed:
- USSD: `--handsets` subscribers take turns dialling `*105#`, answering `3` (a submenu) and
  releasing the dialogue (POST, POST, DELETE over HTTP), `--ussd-rate` dialogues a second;
- SMS: one smpplib transceiver of an application submits MT to those subscribers,
  `--sms-rate` a second, each timed from submit_sm to its submit_sm_resp (durable: stored
  before the answer), with a delivery receipt asked for and answered;
- API: `GET /api/v1/subscribers/{msisdn}` and `GET /api/v1/status`, `--api-rate` a second.

Every minute it prints the gateway's resident memory (VmRSS) and p50/p99 latency per load.
At the end: the table, and a verdict on flatness from least-squares slopes over the minutes
after the first (warm-up): memory and p50 latency pass when their trend over the whole run
grows by less than 10 % of their mean (a falling trend passes and is named; p99 is reported,
not judged: it is noise-bound on a shared machine). `--json FILE` writes the samples for bench/run_all.py.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import smpplib.client  # noqa: E402
import smpplib.consts as c  # noqa: E402

from bench.smpp import start  # noqa: E402

CONFIG = """
log_level: WARNING
smpp:
  accounts:
    - {system_id: soak, password: soak, role: application, owns: ["7000"], window: 100}
"""
FIRST_MSISDN = 79160000000
KINDS = ("ussd_step", "sms_submit", "api_get")
FLAT_SHARE = 0.10  # a trend under this share of the mean over the run counts as flat


class Samples:
    """Latencies (seconds) per kind since the last sample, and errors, shared by the threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.latencies: dict[str, list[float]] = {k: [] for k in KINDS}
        self.errors: dict[str, int] = {k: 0 for k in KINDS}
        self.done: dict[str, int] = {k: 0 for k in KINDS}

    def add(self, kind: str, seconds: float) -> None:
        with self.lock:
            self.latencies[kind].append(seconds)
            self.done[kind] += 1

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1

    def take(self) -> tuple[dict[str, list[float]], dict[str, int], dict[str, int]]:
        with self.lock:
            taken, errors, done = self.latencies, self.errors, self.done
            self.latencies = {k: [] for k in KINDS}
            self.errors = {k: 0 for k in KINDS}
            self.done = {k: 0 for k in KINDS}
        return taken, errors, done


def paced(rate: float, stop: threading.Event):
    """Yields at `rate` a second on a fixed schedule (a slow answer does not lower the offered load
    below what one thread can carry)."""
    interval, next_at = 1.0 / rate, time.perf_counter()
    while not stop.is_set():
        yield
        next_at += interval
        delay = next_at - time.perf_counter()
        if delay > 0:
            stop.wait(delay)
        else:
            next_at = time.perf_counter()  # behind: do not burst to catch up


def http_call(conn: http.client.HTTPConnection, method: str, path: str, body: dict | None = None) -> int:
    data = json.dumps(body).encode() if body is not None else None
    conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
    response = conn.getresponse()
    response.read()
    return response.status


def ussd_load(host: str, port: int, handsets: list[str], rate: float, samples: Samples, stop: threading.Event):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    for turn, _ in enumerate(paced(rate, stop)):
        msisdn = handsets[turn % len(handsets)]
        try:
            for method, body in (("POST", {"input": "*105#"}), ("POST", {"input": "3"}), ("DELETE", None)):
                started = time.perf_counter()
                status = http_call(conn, method, f"/api/v1/handsets/{msisdn}/ussd", body)
                if status >= 300:
                    samples.error("ussd_step")
                else:
                    samples.add("ussd_step", time.perf_counter() - started)
        except (OSError, http.client.HTTPException):
            samples.error("ussd_step")
            conn = http.client.HTTPConnection(host, port, timeout=30)


def api_load(host: str, port: int, handsets: list[str], rate: float, samples: Samples, stop: threading.Event):
    conn = http.client.HTTPConnection(host, port, timeout=30)
    turn = 0
    for _ in paced(rate, stop):
        path = f"/api/v1/subscribers/{handsets[turn % len(handsets)]}" if turn % 2 else "/api/v1/status"
        turn += 1
        started = time.perf_counter()
        try:
            status = http_call(conn, "GET", path)
        except (OSError, http.client.HTTPException):
            samples.error("api_get")
            conn = http.client.HTTPConnection(host, port, timeout=30)
            continue
        if status == 200:
            samples.add("api_get", time.perf_counter() - started)
        else:
            samples.error("api_get")


def sms_load(host: str, port: int, handsets: list[str], rate: float, samples: Samples, stop: threading.Event):
    client = smpplib.client.Client(host, port, timeout=30, allow_unknown_opt_params=True)
    client.connect()
    client.bind_transceiver(system_id="soak", password="soak")
    answered: list = []
    client.set_message_sent_handler(lambda pdu: answered.append(pdu))
    client.set_message_received_handler(lambda pdu: None)  # receipts: answered OK by smpplib
    for turn, _ in enumerate(paced(rate, stop)):
        answered.clear()
        started = time.perf_counter()
        client.send_message(source_addr="7000", source_addr_ton=3, source_addr_npi=0,
                            destination_addr=handsets[turn % len(handsets)], dest_addr_ton=1, dest_addr_npi=1,
                            short_message=f"soak {turn}".encode(), data_coding=c.SMPP_ENCODING_DEFAULT,
                            registered_delivery=1)
        while not answered:
            client.read_once()  # receipts of earlier messages are answered on the way
        if answered[0].status == 0:
            samples.add("sms_submit", time.perf_counter() - started)
        else:
            samples.error("sms_submit")
    client.unbind()
    client.disconnect()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def slope(xs: list[float], ys: list[float]) -> float:
    """Least-squares slope of ys over xs (0 with fewer than two points)."""
    if len(xs) < 2:
        return 0.0
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def verdict(rows: list[dict]) -> tuple[list[str], bool]:
    """Lines judging memory and p50 latencies, and whether all are flat."""
    judged = rows[1:] if len(rows) > 2 else rows  # the first minute is warm-up
    minutes = [r["minute"] for r in judged]
    span = (minutes[-1] - minutes[0]) if len(minutes) > 1 else 0
    lines, flat = [], True
    series = [("memory (RSS, MiB)", [r["rss_mib"] for r in judged])]
    series += [(f"{k} p50 (ms)", [r[k]["p50"] for r in judged]) for k in KINDS]
    for name, ys in series:
        mean = statistics.fmean(ys)
        per_minute = slope(minutes, ys)
        trend = per_minute * span
        # Growth is what a leak or a slowing store shows; a falling trend (the machine's other
        # work easing off) is reported but does not fail the verdict.
        ok = trend <= FLAT_SHARE * mean if mean else True
        flat &= ok
        judged_as = "flat" if abs(trend) <= FLAT_SHARE * mean else ("falling" if ok else "GROWING")
        lines.append(f"{name}: mean {mean:.2f}, slope {per_minute:+.3f}/min, trend over the run {trend:+.2f} "
                     f"({(trend / mean * 100) if mean else 0:+.1f} % of the mean) -> {judged_as}")
    return lines, flat


def table(rows: list[dict]) -> str:
    head = "| minute | RSS MiB | " + " | ".join(f"{k} n / p50 / p99 ms" for k in KINDS) + " | errors | load |"
    sep = "|" + "---|" * (4 + len(KINDS))
    lines = [head, sep]
    for r in rows:
        cells = " | ".join(f"{r[k]['n']} / {r[k]['p50']:.1f} / {r[k]['p99']:.1f}" for k in KINDS)
        lines.append(f"| {r['minute']} | {r['rss_mib']:.1f} | {cells} | {r['errors']} | {r.get('load1', 0):.1f} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--sample-seconds", type=float, default=60.0, help=argparse.SUPPRESS)
    parser.add_argument("--db", help="store URL (default: SQLite in a temporary directory)")
    parser.add_argument("--handsets", type=int, default=20)
    parser.add_argument("--ussd-rate", type=float, default=10.0, help="dialogues a second (3 requests each)")
    parser.add_argument("--sms-rate", type=float, default=20.0, help="submit_sm a second")
    parser.add_argument("--api-rate", type=float, default=10.0, help="API reads a second")
    parser.add_argument("--json", help="write the samples and the verdict here")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="soak-")
    config = os.path.join(workdir, "gateway.yaml")
    Path(config).write_text(CONFIG, encoding="utf-8")
    command = [sys.executable, "-m", "gateway.cli", "run", "--host", "127.0.0.1", "--http-port", "0",
               "--smpp-port", "0", "--sip-port", "0", "--data-dir", workdir, "--config", config]
    if args.db:
        command += ["--db", args.db]
    gateway, ports = start(command, 3, workdir)
    host, http_port = ports["http"]
    handsets = [str(FIRST_MSISDN + i) for i in range(args.handsets)]
    conn = http.client.HTTPConnection(host, http_port, timeout=30)
    for msisdn in handsets:
        status = http_call(conn, "POST", "/api/v1/subscribers", {"msisdn": msisdn, "balance": "1000"})
        if status not in (201, 409):
            raise SystemExit(f"creating {msisdn}: HTTP {status}")
    samples, stop = Samples(), threading.Event()
    loads = [
        threading.Thread(target=ussd_load, args=(host, http_port, handsets, args.ussd_rate, samples, stop)),
        threading.Thread(target=sms_load, args=(*ports["smpp"], handsets, args.sms_rate, samples, stop)),
        threading.Thread(target=api_load, args=(host, http_port, handsets, args.api_rate, samples, stop)),
    ]
    print(f"soak: {args.minutes:g} min, USSD {args.ussd_rate:g} dialogues/s, SMS {args.sms_rate:g}/s, "
          f"API {args.api_rate:g}/s, {args.handsets} handsets, store {args.db or 'SQLite'}", flush=True)
    for thread in loads:
        thread.daemon = True
        thread.start()
    rows: list[dict] = []
    started = time.monotonic()
    total = max(1, round(args.minutes * 60 / args.sample_seconds))
    try:
        for minute in range(1, total + 1):
            stop.wait(max(0.0, started + minute * args.sample_seconds - time.monotonic()))
            taken, errors, done = samples.take()
            row = {"minute": minute, "rss_mib": rss_kib(gateway.pid) / 1024, "errors": sum(errors.values()),
                   "load1": os.getloadavg()[0]}  # the machine's load: other work skews latency
            for kind in KINDS:
                row[kind] = {"n": done[kind], "p50": percentile(taken[kind], 0.5) * 1000,
                             "p99": percentile(taken[kind], 0.99) * 1000}
            rows.append(row)
            print(f"[{minute}/{total}] RSS {row['rss_mib']:.1f} MiB  "
                  + "  ".join(f"{k} {row[k]['n']} p50 {row[k]['p50']:.1f} p99 {row[k]['p99']:.1f} ms" for k in KINDS)
                  + f"  errors {row['errors']}  load {row['load1']:.1f}", flush=True)
    finally:
        stop.set()
        for thread in loads:
            thread.join(timeout=30)
        gateway.terminate()
        gateway.wait(timeout=30)
    lines, flat = verdict(rows)
    print()
    print(table(rows))
    print()
    for line in lines:
        print(line)
    print(f"verdict: {'FLAT' if flat else 'NOT FLAT'} over {args.minutes:g} minutes")
    if args.json:
        Path(args.json).write_text(json.dumps({"minutes": args.minutes, "rates": {
            "ussd": args.ussd_rate, "sms": args.sms_rate, "api": args.api_rate}, "handsets": args.handsets,
            "store": "PostgreSQL" if args.db else "SQLite", "rows": rows, "verdict": lines, "flat": flat}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
