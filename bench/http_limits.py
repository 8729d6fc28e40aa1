"""What the HTTP port's door costs and how it holds: request rate with the rate limiter off
and at its default, how a flood from one address is cut to the configured rate, and how
fast a login is locked by parallel wrong passwords (R05).

Run: .venv/bin/python bench/http_limits.py [--requests 3000] [--workers 8]

Each part starts a real `gateway run` on free ports with a temporary SQLite store; clients
share the machine with it, so the figures are for comparison between runs, not capacity.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.gatewayproc import GatewayProcess, password_in  # noqa: E402

A = "79261234567"


def gateway_with(config: str) -> GatewayProcess:
    workdir = Path(tempfile.mkdtemp(prefix="bench-limits-"))
    path = workdir / "gateway.yaml"
    path.write_text(config, encoding="utf-8")
    process = GatewayProcess(workdir, "--config", str(path))
    process.start()
    return process


def flood(gateway: GatewayProcess, requests: int, workers: int) -> tuple[float, Counter]:
    """`requests` GET summaries on `workers` threads: (seconds taken, statuses)."""
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        statuses = Counter(pool.map(lambda _: gateway.get(f"/api/v1/subscribers/{A}")[0], range(requests)))
    return time.perf_counter() - started, statuses


def door_cost(n: int = 100_000) -> float:
    """Seconds one request spends in the Door, measured in this process on a fake request."""
    from twisted.internet.task import Clock
    from twisted.web.test.requesthelper import DummyRequest

    from gateway.http.ratelimit import Door, RateLimiter

    door = Door(RateLimiter(1e9, 1e9, Clock()), admin_token="bench-token")
    request = DummyRequest([b"api"])
    request.method = b"GET"
    started = time.perf_counter()
    for _ in range(n):
        door.refusal(request, f"/api/v1/subscribers/{A}")
    return (time.perf_counter() - started) / n


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    rows = []
    print(f"door (rate limit + admin check) in process: {door_cost() * 1e6:.1f} µs per request", flush=True)
    for label, config in (("limiter at default (10000/s, burst 20000)", ""),
                          ("limiter off (rate_limit 0)", "http: {rate_limit: 0}\n"),
                          ("limiter at 200/s, burst 50", "http: {rate_limit: 200, rate_burst: 50}\n")):
        gateway = gateway_with(config)
        try:
            print(f"{label}: {args.requests} requests on {args.workers} threads ...", flush=True)
            seconds, statuses = flood(gateway, args.requests, args.workers)
        finally:
            gateway.stop()
        admitted = statuses.get(200, 0)
        rows.append((label, args.requests / seconds, admitted / seconds, statuses.get(429, 0)))
    gateway = gateway_with("")
    try:
        gateway.ussd(A, "*105*00#")
        code = password_in(gateway.inbox(A)[-1]["text"])
        print("R05: 500 wrong passwords at once on 16 threads ...", flush=True)
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=16) as pool:
            outcomes = Counter(pool.map(lambda n: gateway.login(A[1:], f"guess-{n}")[0], range(500)))
        lock_seconds = time.perf_counter() - started
        locked = gateway.login(A[1:], code)[0] == 423
    finally:
        gateway.stop()
    print()
    print("| setting | offered req/s | answered 200 req/s | 429 answers |")
    print("|---|---|---|---|")
    for label, offered, admitted, refused in rows:
        print(f"| {label} | {offered:.0f} | {admitted:.0f} | {refused} |")
    print()
    print(f"R05 brute force: {dict(sorted(outcomes.items()))} in {lock_seconds:.2f} s; "
          f"right password refused afterwards: {locked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
