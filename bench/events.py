"""Live events speed: how long an SMS takes from the handset's POST to its event on the
events WebSocket, and how long one event takes to reach many sockets watching a handset.

Run: .venv/bin/python bench/events.py [--messages 200] [--watchers 1,100,500]

A real `gateway run` starts on free ports with a temporary SQLite store. Latency: one
socket watches 79261234567, which sends `00` to 000110 `--messages` times one after the
other; each figure is the time from sending the POST to the password SMS's event (the
MO and its reply stored in one transaction, then published). Fan-out: N sockets watch
79261112233; a USSD notification is pushed 20 times; each figure is the time from the
push's POST to the last of the N sockets having it. Client and server share the
machine: the figures are for comparison between runs, not capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from websockets.asyncio.client import connect  # noqa: E402

from tests.gatewayproc import GatewayProcess  # noqa: E402

A, B = "79261234567", "79261112233"
PUSHES = 20


def post(base: str, path: str, body: dict) -> int:
    request = urllib.request.Request(base + path, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status


async def watcher(url: str):
    socket = await connect(url, max_queue=None)
    assert json.loads(await socket.recv())["type"] == "subscribed"
    return socket


async def next_of(socket, kind: str) -> dict:
    while True:
        event = json.loads(await asyncio.wait_for(socket.recv(), 30))
        if event["type"] == kind:
            return event


async def sms_latency(gateway: GatewayProcess, messages: int) -> list[float]:
    host, port = gateway.ports["http"]
    socket = await watcher(f"ws://{host}:{port}/api/v1/handsets/{A}/events")
    figures = []
    for _ in range(messages):
        started = time.perf_counter()
        sending = asyncio.create_task(asyncio.to_thread(
            post, gateway.base, f"/api/v1/handsets/{A}/sms", {"to": "000110", "text": "00"}))
        await next_of(socket, "sms")
        figures.append(time.perf_counter() - started)
        assert await sending == 202
    await socket.close()
    return figures


async def fan_out(gateway: GatewayProcess, watchers: int) -> list[float]:
    host, port = gateway.ports["http"]
    url = f"ws://{host}:{port}/api/v1/handsets/{B}/events"
    sockets = [await watcher(url) for _ in range(watchers)]
    figures = []
    for n in range(PUSHES):
        started = time.perf_counter()
        sending = asyncio.create_task(asyncio.to_thread(
            post, gateway.base, f"/api/v1/handsets/{B}/ussd/push", {"text": f"Уведомление {n}", "type": "notify"}))
        await asyncio.gather(*(next_of(s, "ussd") for s in sockets))
        figures.append(time.perf_counter() - started)
        assert await sending == 200
    await asyncio.gather(*(s.close() for s in sockets))
    return figures


def describe(figures: list[float]) -> str:
    ms = sorted(f * 1000 for f in figures)
    p95 = ms[min(len(ms) - 1, int(len(ms) * 0.95))]
    return f"median {statistics.median(ms):.1f} ms, p95 {p95:.1f} ms, max {ms[-1]:.1f} ms (n={len(ms)})"


async def main(messages: int, levels: list[int]) -> None:
    with tempfile.TemporaryDirectory() as work:
        gateway = GatewayProcess(Path(work))
        gateway.start()
        try:
            print(f"sms POST -> event, 1 watcher: {describe(await sms_latency(gateway, messages))}")
            for watchers in levels:
                print(f"ussd push -> all of {watchers} watchers: {describe(await fan_out(gateway, watchers))}")
        finally:
            gateway.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=200)
    parser.add_argument("--watchers", default="1,100,500")
    args = parser.parse_args()
    asyncio.run(main(args.messages, [int(n) for n in args.watchers.split(",")]))
