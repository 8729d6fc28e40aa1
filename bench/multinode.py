"""Two nodes on PostgreSQL + Redis beside one node on PostgreSQL: what sharing costs.

Run: .venv/bin/python bench/multinode.py [--dialogues 100] [--messages 50]

Starts a private redis-server on a free port and a fresh PostgreSQL database (TEST_PG_URL,
default postgres@127.0.0.1:5432), then:
- USSD: `--dialogues` three-step dialogues (*105#, 1, 1) one after the other; one node
  alone, then two nodes with each step on the other node than the one before. Figures:
  median and p95 milliseconds per request, dialogues per second.
- Events: an SMS from A to B posted `--messages` times; its `sms` event on a WebSocket
  watching B, on the same node, then on the other node. Figures: median milliseconds from
  the POST to the event.
Client and servers share the machine: figures compare configurations, not capacity.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy  # noqa: E402
from websockets.sync.client import connect  # noqa: E402

from tests.clusterkit import RedisServer  # noqa: E402
from tests.conftest import PG_ADMIN_URL  # noqa: E402
from tests.gatewayproc import GatewayProcess  # noqa: E402

A, B = "79261234567", "79261112233"


def fresh_database() -> tuple[str, callable]:
    name = "gw_bench_" + uuid.uuid4().hex[:8]
    admin = sqlalchemy.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sqlalchemy.text(f'CREATE DATABASE "{name}"'))
    url = sqlalchemy.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sqlalchemy.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return url, drop


def ussd_figures(nodes: list[GatewayProcess], dialogues: int) -> dict:
    times = []
    started = time.perf_counter()
    turn = 0
    for i in range(dialogues):
        for text in ("*105#", "1", "1"):
            node = nodes[turn % len(nodes)]
            turn += 1
            t0 = time.perf_counter()
            node.ussd(A, text)
            times.append((time.perf_counter() - t0) * 1000)
        print(f"\r  ussd {i + 1}/{dialogues}", end="", flush=True)
    elapsed = time.perf_counter() - started
    print()
    times.sort()
    return {"median_ms": statistics.median(times), "p95_ms": times[int(len(times) * 0.95)],
            "dialogues_per_s": dialogues / elapsed}


def event_latency(sender: GatewayProcess, watched: GatewayProcess, messages: int) -> float:
    host, port = watched.ports["http"]
    figures = []
    with connect(f"ws://{host}:{port}/api/v1/handsets/{B}/events") as socket:
        json.loads(socket.recv(timeout=10))  # subscribed
        for i in range(messages):
            t0 = time.perf_counter()
            assert sender.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": f"m{i}"})[0] == 202
            while json.loads(socket.recv(timeout=10))["type"] != "sms":
                pass
            figures.append((time.perf_counter() - t0) * 1000)
            print(f"\r  events {i + 1}/{messages}", end="", flush=True)
    print()
    return statistics.median(figures)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dialogues", type=int, default=100)
    parser.add_argument("--messages", type=int, default=50)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        url, drop = fresh_database()
        redis_server = RedisServer()
        redis_server.start()
        started: list[GatewayProcess] = []
        try:
            print("one node, PostgreSQL")
            single = GatewayProcess(Path(tmp) / "single", "--db", url)
            (Path(tmp) / "single").mkdir()
            single.start()
            started.append(single)
            one = ussd_figures([single], args.dialogues)
            rows.append(("one node, PostgreSQL", one, event_latency(single, single, args.messages)))
            single.stop()
            started.remove(single)
            print("two nodes, PostgreSQL + Redis")
            nodes = []
            for name in ("a", "b"):
                (Path(tmp) / name).mkdir()
                node = GatewayProcess(Path(tmp) / name, "--db", url, "--redis", redis_server.url)
                node.start()
                started.append(node)
                nodes.append(node)
            two = ussd_figures(nodes, args.dialogues)
            rows.append(("two nodes, each step on the other", two, event_latency(nodes[0], nodes[1], args.messages)))
        finally:
            for node in started:
                node.stop()
            redis_server.kill()
            drop()
    print()
    print("| configuration | USSD request median ms | p95 ms | dialogues/s | SMS → event median ms |")
    print("|---|---|---|---|---|")
    for name, ussd, events in rows:
        print(f"| {name} | {ussd['median_ms']:.1f} | {ussd['p95_ms']:.1f} | {ussd['dialogues_per_s']:.1f} | "
              f"{events:.1f} |")


if __name__ == "__main__":
    main()
