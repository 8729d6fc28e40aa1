"""USSD speed: dialogues per second and per-step latency over HTTP and SMPP, memory per open
dialogue, and a bare twisted.web JSON responder measured in the same run as the ceiling.

Run: .venv/bin/python bench/ussd.py [--seconds 5] [--levels 1,100,1000] [--memory 20000]

A real `gateway run` starts on free ports with a temporary SQLite store; the handsets are
created through the API first. Each simulated handset runs dialogues back to back for
`--seconds` per level: dial `*105#` (the menus answer with a screen; the store is read),
answer an invalid key (a re-prompt), release it (the dialogue record is written). Over
HTTP that is POST, POST, DELETE on one keep-alive connection per handset; over SMPP
submit_sm op 1, op 18, op 17 on `mobile` binds (up to 10, handsets spread over them),
a step's latency being submit_sm to the deliver_sm carrying its screen. The ceiling is
the same HTTP pattern against a twisted.web resource that answers a constant JSON.
The load runs in this process (asyncio) on the same machine as the server: the figures
are for comparison between runs and transports, not absolute capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.sms.codec import PDU, PDUFramer, decode, encode  # noqa: E402
from tests.gatewayproc import listening_ports  # noqa: E402

FIRST = 79000000000
INVALID_KEY = "x"  # never a menu key: the menus re-prompt, whatever menus.yaml offers


# -- the servers -------------------------------------------------------------------------------


def start_gateway(workdir: str) -> tuple[subprocess.Popen, dict[str, tuple[str, int]]]:
    command = [sys.executable, "-m", "gateway.cli", "run", "--host", "127.0.0.1", "--http-port", "0",
               "--smpp-port", "0", "--sip-port", "0", "--data-dir", workdir]
    log = open(os.path.join(workdir, "gateway.log"), "wb")  # noqa: SIM115 - lives as long as the child
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return process, listening_ports(process, 2)


def start_ceiling() -> tuple[subprocess.Popen, dict[str, tuple[str, int]]]:
    process = subprocess.Popen([sys.executable, __file__, "--ceiling-server"], cwd=ROOT, stdout=subprocess.PIPE,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return process, listening_ports(process, 1)


def ceiling_server() -> None:
    """A bare twisted.web resource answering every request with a constant JSON screen."""
    from twisted.internet import reactor
    from twisted.web.resource import Resource
    from twisted.web.server import Site

    answer = json.dumps({"session_id": "0" * 32, "text": "Сервис-Гид\n1 Баланс", "end": False},
                        ensure_ascii=False).encode()

    class Constant(Resource):
        isLeaf = True

        def render(self, request):
            request.content.read()
            if request.method == b"DELETE":
                request.setResponseCode(204)
                return b""
            request.setHeader(b"content-type", b"application/json; charset=utf-8")
            return answer

    port = reactor.listenTCP(0, Site(Constant()), interface="127.0.0.1")
    print(f"listening http 127.0.0.1:{port.getHost().port}", flush=True)
    reactor.run()


# -- HTTP load ------------------------------------------------------------------------------------


class Http:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, reader, writer) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, address) -> Http:
        return cls(*await asyncio.open_connection(*address))

    async def request(self, method: str, path: str, body: object = None) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        self.writer.write(f"{method} {path} HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
                          f"Content-Length: {len(data)}\r\n\r\n".encode() + data)
        status = int((await self.reader.readline()).split()[1])
        length = 0
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        return status, (await self.reader.readexactly(length) if length else b"")

    def close(self) -> None:
        self.writer.close()


async def create_handsets(address, count: int) -> None:
    conns = [await Http.open(address) for _ in range(min(20, count))]

    async def worker(conn: Http, numbers: list[int]) -> None:
        for n in numbers:
            status, body = await conn.request("POST", "/api/v1/subscribers", {"msisdn": str(n), "balance": "100.00"})
            assert status in (201, 409), body

    numbers = [FIRST + i for i in range(count)]
    await asyncio.gather(*(worker(c, numbers[i::len(conns)]) for i, c in enumerate(conns)))
    for conn in conns:
        conn.close()


async def http_load(address, handsets: int, seconds: float) -> tuple[int, list[float]]:
    conns = [await Http.open(address) for _ in range(handsets)]
    latencies: list[float] = []
    done = 0
    stop_at = time.perf_counter() + seconds

    async def handset(conn: Http, msisdn: int) -> None:
        nonlocal done
        path = f"/api/v1/handsets/{msisdn}/ussd"
        while time.perf_counter() < stop_at:
            for method, body in (("POST", {"input": "*105#"}), ("POST", {"input": INVALID_KEY}), ("DELETE", None)):
                began = time.perf_counter()
                status, _ = await conn.request(method, path, body)
                latencies.append(time.perf_counter() - began)
                assert status in (200, 204), status
            done += 1

    await asyncio.gather(*(handset(c, FIRST + i) for i, c in enumerate(conns)))
    for conn in conns:
        conn.close()
    return done, latencies


# -- SMPP load --------------------------------------------------------------------------------------


class Bind:
    """A `mobile` transceiver bind; routes each deliver_sm to the handset awaiting it."""

    def __init__(self, reader, writer) -> None:
        self.reader, self.writer = reader, writer
        self.sequence = 0
        self.responses: dict[int, asyncio.Future] = {}
        self.screens: dict[str, asyncio.Future] = {}
        self.framer = PDUFramer()

    @classmethod
    async def open(cls, address) -> Bind:
        bind = cls(*await asyncio.open_connection(*address))
        bind.task = asyncio.get_running_loop().create_task(bind.read())
        resp = await bind.send("bind_transceiver", system_id="handsets", password="handsets", interface_version=0x34)
        assert resp.status == 0
        return bind

    def send(self, command: str, **params) -> asyncio.Future:
        self.sequence += 1
        future = asyncio.get_running_loop().create_future()
        self.responses[self.sequence] = future
        self.writer.write(encode(PDU(command, 0, self.sequence, params)))
        return future

    def screen(self, msisdn: str) -> asyncio.Future:
        future = asyncio.get_running_loop().create_future()
        self.screens[msisdn] = future
        return future

    async def read(self) -> None:
        while True:
            data = await self.reader.read(65536)
            if not data:
                return
            for frame in self.framer.feed(data):
                pdu = decode(frame)
                if pdu.command == "deliver_sm":
                    self.writer.write(encode(PDU("deliver_sm_resp", 0, pdu.sequence, {"message_id": ""})))
                    future = self.screens.pop(pdu.params["destination_addr"], None)
                    if future is not None and "ussd_service_op" in pdu.params:
                        future.set_result(pdu)
                elif pdu.is_response and pdu.sequence in self.responses:
                    self.responses.pop(pdu.sequence).set_result(pdu)

    def close(self) -> None:
        self.task.cancel()
        self.writer.close()


async def smpp_load(address, handsets: int, seconds: float) -> tuple[int, list[float]]:
    binds = [await Bind.open(address) for _ in range(min(10, handsets))]
    latencies: list[float] = []
    done = 0
    stop_at = time.perf_counter() + seconds
    common = {"service_type": "USSD", "source_addr_ton": 1, "source_addr_npi": 1, "dest_addr_ton": 3,
              "dest_addr_npi": 0, "destination_addr": "105"}

    async def handset(bind: Bind, msisdn: str) -> None:
        nonlocal done
        while time.perf_counter() < stop_at:
            for text, op in (("*105#", 1), (INVALID_KEY, 18)):
                began = time.perf_counter()
                screen = bind.screen(msisdn)
                resp = await bind.send("submit_sm", source_addr=msisdn, short_message=text.encode(),
                                       ussd_service_op=op, **common)
                assert resp.status == 0, resp.status
                await screen
                latencies.append(time.perf_counter() - began)
            began = time.perf_counter()
            resp = await bind.send("submit_sm", source_addr=msisdn, short_message=b"", ussd_service_op=17, **common)
            latencies.append(time.perf_counter() - began)
            done += 1

    await asyncio.gather(*(handset(binds[i % len(binds)], str(FIRST + i)) for i in range(handsets)))
    for bind in binds:
        bind.close()
    return done, latencies


# -- memory -------------------------------------------------------------------------------------------


def memory_per_dialogue(count: int) -> tuple[float, float]:
    """Bytes per open dialogue in the Dialogues table (as after a dial: cursor, screen, two
    steps), and with the service's timer (a DelayedCall) beside each."""
    from twisted.internet.task import Clock

    from gateway.actions import CATALOGUE
    from gateway.ussd.session import Dialogues
    from menus import engine
    from menus.loader import load

    menus = load(str(ROOT / "menus.yaml"), CATALOGUE)
    root = menus.ussd["105"].root
    table = Dialogues()
    clock = Clock()
    engine.start(menus, root, "ru")  # warm any caches before measuring
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for i in range(count):
        shown = engine.start(menus, root, "ru")
        d = table.open(str(FIRST + i), "105", 0.0)
        d.record(0.0, "dial", "*105#")
        table.shown(d, shown.text, 0.001, shown.cursor)
        d.record(0.001, "screen", shown.text)
    middle = tracemalloc.take_snapshot()
    timers = [clock.callLater(30, lambda *_: None, d.session_id, d.msisdn) for d in table]
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    table_bytes = sum(s.size_diff for s in middle.compare_to(before, "filename"))
    timer_bytes = sum(s.size_diff for s in after.compare_to(middle, "filename"))
    assert len(table) == count and len(timers) == count
    return table_bytes / count, (table_bytes + timer_bytes) / count


# -- the run ----------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


async def measure(args) -> list[tuple]:
    rows = []
    workdir = tempfile.mkdtemp(prefix="bench-ussd-")
    gateway, ports = start_gateway(workdir)
    ceiling, ceiling_ports = start_ceiling()
    try:
        await create_handsets(ports["http"], max(args.levels))
        for name, load, address in (("http", http_load, ports["http"]), ("smpp", smpp_load, ports["smpp"]),
                                    ("ceiling", http_load, ceiling_ports["http"])):
            for level in args.levels:
                began = time.perf_counter()
                done, latencies = await load(address, level, args.seconds)
                elapsed = time.perf_counter() - began
                rows.append((name, level, done / elapsed, percentile(latencies, 0.5) * 1000,
                             percentile(latencies, 0.99) * 1000, done))
                print(f"  {name:8} {level:5} handsets: {done / elapsed:8.0f} dialogues/s", file=sys.stderr)
    finally:
        for process in (gateway, ceiling):
            process.terminate()
            process.wait(timeout=15)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=5.0, help="per transport and level")
    parser.add_argument("--levels", default="1,100,1000", help="concurrent handsets")
    parser.add_argument("--memory", type=int, default=20_000, help="open dialogues for the memory figure")
    parser.add_argument("--ceiling-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_server:
        ceiling_server()
        return
    args.levels = [int(n) for n in args.levels.split(",")]
    rows = asyncio.run(measure(args))
    per_table, with_timer = memory_per_dialogue(args.memory)
    print()
    print("| transport | handsets | dialogues/s | step p50 ms | step p99 ms | dialogues |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, level, rate, p50, p99, done in rows:
        print(f"| {name} | {level} | {rate:.0f} | {p50:.2f} | {p99:.2f} | {done} |")
    print()
    print(f"memory per open dialogue ({args.memory} in the Dialogues table): {per_table:.0f} bytes"
          f" ({with_timer:.0f} with its timer); target under 4096")
    print(f"(a dialogue is 3 steps; {os.cpu_count()} CPUs shared by the load and the servers;"
          " one run)")


if __name__ == "__main__":
    main()
