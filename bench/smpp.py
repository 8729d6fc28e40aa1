"""SMSC speed: submit_sm per second and p50/p99 submit_sm_resp latency at windows of 1, 10,
50 and 100 outstanding requests, with and without delivery receipts, beside a bare Twisted
SMPP responder that only answers submit_sm_resp (the ceiling), as a ratio.

Run: .venv/bin/python bench/smpp.py [--seconds 3] [--windows 1,10,50,100] [--client raw|smpplib]
     [--receipts both|no|yes] [--profile FILE]  (py-spy's collapsed stacks of the gateway's
     threads, sampled where they hold the GIL: where its CPU goes)

Columns: the gateway's rate and latencies, the ceiling's, their ratio; for rows with receipts
also `same work/s` and its latencies, the bare responder sending one receipt per submit_sm as
well (the client then reads and answers a deliver_sm per message either way), and the ratio
to it; `CPU µs`, the gateway process's CPU time (all threads, user + system) per message, a
figure the machine's other load disturbs far less than a rate.

A real `gateway run` starts on free ports with a temporary SQLite store (durable: every
submit_sm is in the store before its submit_sm_resp). The client is one application
transceiver bind in this process (asyncio, PDUs pre-encoded with the gateway's codec, only
the sequence number patched), sending MT to one demo handset and keeping `window`
submit_sm outstanding; with receipts it asks registered_delivery 1 and answers every
deliver_sm receipt as it comes (`--client smpplib`: the same with smpplib encoding every
PDU, the client the issue's ceiling of about 17,000/s was measured with). The ceiling is a
Twisted protocol in another process that answers binds and submit_sm with a constant id and,
for a submit_sm asking for one, sends a constant receipt; nothing else. Client and servers share this
machine's cores: the figures compare runs and the SMSC with its ceiling, not capacity.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.sms.codec import PDU, encode  # noqa: E402
from tests.gatewayproc import listening_ports  # noqa: E402

HANDSET = "79261234567"
CONFIG = """
log_level: WARNING
smpp:
  accounts:
    - {system_id: bench, password: bench, role: application, owns: ["7000"], window: 1000}
"""
HEADER = struct.Struct(">IIII")
DELIVER_SM, SUBMIT_SM_RESP, BIND_RESP = 0x00000005, 0x80000004, 0x80000009


def start(command: list[str], count: int, workdir: str | None = None) -> tuple[subprocess.Popen, dict]:
    log = open(os.path.join(workdir, "gateway.log"), "wb") if workdir else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    return process, listening_ports(process, count)


def ceiling_server() -> None:
    """Answers bind_* with its _resp and submit_sm with submit_sm_resp, followed by one
    constant deliver_sm receipt when the submit_sm asked for one; ignores the rest."""
    from twisted.internet import reactor
    from twisted.internet.protocol import Factory, Protocol

    class Responder(Protocol):
        def connectionMade(self) -> None:
            self.transport.setTcpNoDelay(True)
            self.buffer = b""
            self.sequence = 0

        def dataReceived(self, data: bytes) -> None:
            self.buffer += data
            out = []
            while len(self.buffer) >= 16:
                length, command, _, sequence = HEADER.unpack_from(self.buffer)
                if len(self.buffer) < length:
                    break
                frame, self.buffer = self.buffer[:length], self.buffer[length:]
                if command in (1, 2, 9):  # bind_receiver / _transmitter / _transceiver
                    out.append(HEADER.pack(21, command | 0x80000000, 0, sequence) + b"bare\0")
                elif command == 4:  # submit_sm
                    out.append(HEADER.pack(18, SUBMIT_SM_RESP, 0, sequence) + b"1\0")
                    if wants_receipt(frame):
                        self.sequence += 1
                        out.append(HEADER.pack(16 + len(RECEIPT_BODY), DELIVER_SM, 0, self.sequence) + RECEIPT_BODY)
            if out:
                self.transport.write(b"".join(out))

    port = reactor.listenTCP(0, Factory.forProtocol(Responder), interface="127.0.0.1")
    print(f"listening smpp 127.0.0.1:{port.getHost().port}", flush=True)
    reactor.run()


def wants_receipt(submit_sm: bytes) -> bool:
    """registered_delivery of a submit_sm asks for a final receipt (the ceiling's only parse)."""
    pos = submit_sm.index(b"\0", 16) + 3  # service_type, source_addr_ton, _npi
    pos = submit_sm.index(b"\0", pos) + 3  # source_addr, dest_addr_ton, _npi
    pos = submit_sm.index(b"\0", pos) + 4  # destination_addr, esm_class, protocol_id, priority_flag
    pos = submit_sm.index(b"\0", pos) + 1  # schedule_delivery_time
    pos = submit_sm.index(b"\0", pos) + 1  # validity_period
    return bool(submit_sm[pos] & 0x03)


# A receipt as the gateway sends one (esm_class 4, the standard text, receipted_message_id and
# message_state), the same for every message; its body, the header patched per PDU.
RECEIPT_BODY = encode(PDU("deliver_sm", 0, 1, {
    "source_addr_ton": 1, "source_addr_npi": 1, "source_addr": HANDSET, "dest_addr_ton": 3,
    "destination_addr": "7000", "esm_class": 4, "receipted_message_id": "1", "message_state": 2,
    "short_message": b"id:1 sub:001 dlvrd:001 submit date:2611251200 done date:2611251200 stat:DELIVRD "
                     b"err:000 text:"}))[16:]


class Esme:
    """One transceiver bind keeping `window` submit_sm outstanding."""

    def __init__(self, reader, writer, receipts: bool) -> None:
        self.reader, self.writer = reader, writer
        body = encode(PDU("submit_sm", 0, 1, {
            "source_addr": "7000", "source_addr_ton": 3, "destination_addr": HANDSET, "dest_addr_ton": 1,
            "dest_addr_npi": 1, "registered_delivery": 1 if receipts else 0,
            "short_message": "Ваш код подтверждения: 4711".encode("utf-16-be"), "data_coding": 8,
        }))
        self.template = bytearray(body)
        self.sequence = 1
        self.sent_at: dict[int, float] = {}
        self.latencies: list[float] = []
        self.receipts = 0
        self.failed = 0
        self.wakeup: asyncio.Event = asyncio.Event()
        self.bound = asyncio.get_running_loop().create_future()

    @classmethod
    async def open(cls, address, receipts: bool, system_id: str = "bench") -> Esme:
        esme = cls(*await asyncio.open_connection(*address), receipts)
        esme.task = asyncio.get_running_loop().create_task(esme.read())
        esme.writer.write(encode(PDU("bind_transceiver", 0, 1, {"system_id": system_id, "password": "bench",
                                                                "interface_version": 0x34})))
        await esme.bound
        return esme

    def submit(self) -> None:
        self.sequence += 1
        struct.pack_into(">I", self.template, 12, self.sequence)
        self.sent_at[self.sequence] = time.perf_counter()
        self.writer.write(bytes(self.template))

    async def read(self) -> None:
        buffer = b""
        while True:
            data = await self.reader.read(262144)
            if not data:
                return
            buffer += data
            answers = []
            while len(buffer) >= 16:
                length, command, status, sequence = HEADER.unpack_from(buffer)
                if len(buffer) < length:
                    break
                buffer = buffer[length:]
                if command == SUBMIT_SM_RESP:
                    began = self.sent_at.pop(sequence, None)
                    if began is not None:
                        self.latencies.append(time.perf_counter() - began)
                    if status:
                        self.failed += 1
                    self.wakeup.set()
                elif command == DELIVER_SM:
                    self.receipts += 1
                    answers.append(HEADER.pack(17, 0x80000005, 0, sequence) + b"\0")
                elif command == BIND_RESP and not self.bound.done():
                    self.bound.set_result(status)
            if answers:
                self.writer.write(b"".join(answers))

    async def run(self, window: int, seconds: float) -> None:
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            while len(self.sent_at) < window:
                self.submit()
            self.wakeup.clear()
            await self.wakeup.wait()
        while self.sent_at:  # drain: every submit_sm is answered before the next level
            self.wakeup.clear()
            await self.wakeup.wait()

    def close(self) -> None:
        self.writer.close()


async def measure(address, window: int, seconds: float, receipts: bool) -> dict:
    esme = await Esme.open(address, receipts)
    await esme.run(min(window, 5), 0.3)  # warm up
    warm = len(esme.latencies)
    esme.latencies.clear()
    began = time.perf_counter()
    await esme.run(window, seconds)
    elapsed = time.perf_counter() - began
    esme.close()
    lat = sorted(esme.latencies)
    return {"rate": len(lat) / elapsed, "p50": statistics.median(lat) * 1000,
            "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, "n": len(lat), "failed": esme.failed,
            "receipts": esme.receipts, "warm": warm}


def measure_smpplib(address, window: int, seconds: float, receipts: bool) -> dict:
    """The same load from smpplib: `window` submit_sm in flight, every deliver_sm answered."""
    import smpplib.client
    import smpplib.smpp

    client = smpplib.client.Client(*address, timeout=30, allow_unknown_opt_params=True)
    client.logger.setLevel(logging.ERROR)  # no "disconnecting in the bound state" at the end
    client.connect()
    client._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    client.bind_transceiver(system_id="bench", password="bench")
    fields = dict(source_addr="7000", source_addr_ton=3, destination_addr=HANDSET, dest_addr_ton=1, dest_addr_npi=1,
                  registered_delivery=1 if receipts else 0, data_coding=8,
                  short_message="Ваш код подтверждения: 4711".encode("utf-16-be"))
    sent_at: dict[int, float] = {}
    latencies: list[float] = []
    failed = receipts_seen = 0

    def run(window: int, seconds: float) -> None:
        nonlocal failed, receipts_seen
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at or sent_at:
            while len(sent_at) < window and time.perf_counter() < stop_at:
                pdu = client.send_message(**fields)
                sent_at[pdu.sequence] = time.perf_counter()
            pdu = client.read_pdu()
            if pdu.command == "submit_sm_resp":
                latencies.append(time.perf_counter() - sent_at.pop(pdu.sequence))
                failed += bool(pdu.status)
            elif pdu.command == "deliver_sm":
                receipts_seen += 1
                resp = smpplib.smpp.make_pdu("deliver_sm_resp", client=client)
                resp.sequence = pdu.sequence
                client.send_pdu(resp)

    run(min(window, 5), 0.3)
    warm = len(latencies)
    latencies.clear()
    began = time.perf_counter()
    run(window, seconds)
    elapsed = time.perf_counter() - began
    client.disconnect()
    lat = sorted(latencies)
    return {"rate": len(lat) / elapsed, "p50": statistics.median(lat) * 1000,
            "p99": lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000, "n": len(lat), "failed": failed,
            "receipts": receipts_seen, "warm": warm}


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc): what a run cost the gateway,
    a figure other load on the machine disturbs far less than a rate."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--windows", default="1,10,50,100")
    parser.add_argument("--client", choices=("raw", "smpplib"), default="raw")
    parser.add_argument("--receipts", choices=("both", "no", "yes"), default="both")
    parser.add_argument("--profile", metavar="FILE", help="record the gateway with py-spy (collapsed stacks)")
    parser.add_argument("--ceiling-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ceiling_server:
        ceiling_server()
        return
    windows = [int(w) for w in args.windows.split(",")]

    def load(address, window: int, seconds: float, receipts: bool) -> dict:
        if args.client == "smpplib":
            return measure_smpplib(address, window, seconds, receipts)
        return asyncio.run(measure(address, window, seconds, receipts))

    print(f"client: {args.client}")
    with tempfile.TemporaryDirectory() as workdir:
        config = os.path.join(workdir, "gateway.yaml")
        with open(config, "w", encoding="utf-8") as handle:
            handle.write(CONFIG)
        gateway, ports = start([sys.executable, "-m", "gateway.cli", "run", "--host", "127.0.0.1", "--http-port", "0",
                                "--smpp-port", "0", "--sip-port", "0", "--data-dir", workdir, "--config", config],
                               3, workdir)
        ceiling, ceiling_ports = start([sys.executable, __file__, "--ceiling-server"], 1)
        spy = None
        if args.profile:  # every thread of the gateway, the store's included (cProfile sees one)
            if not os.path.exists(os.path.join(os.path.dirname(sys.executable), "py-spy")):
                sys.exit("--profile needs py-spy: .venv/bin/pip install py-spy")
            spy = subprocess.Popen([os.path.join(os.path.dirname(sys.executable), "py-spy"), "record", "--threads", "--gil", "--rate", "250",
                                    "--format", "raw", "-o", args.profile, "--pid", str(gateway.pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            print(f"{'window':>6} {'receipts':>8} | {'gateway/s':>9} {'p50 ms':>7} {'p99 ms':>7} | "
                  f"{'ceiling/s':>9} {'p50 ms':>7} {'p99 ms':>7} | {'ratio':>5} | {'same work/s':>11} {'p50 ms':>7} "
                  f"{'p99 ms':>7} {'ratio':>5} | {'CPU µs':>6}")
            for receipts in {"both": (False, True), "no": (False,), "yes": (True,)}[args.receipts]:
                for window in windows:
                    cpu_before = cpu_seconds(gateway.pid)
                    ours = load(ports["smpp"], window, args.seconds, receipts)
                    cpu = (cpu_seconds(gateway.pid) - cpu_before) / max(ours["n"] + ours["warm"], 1) * 1e6
                    bare = load(ceiling_ports["smpp"], window, args.seconds, False)
                    # With receipts the client handles twice the PDUs: beside the ceiling
                    # (submit_sm_resp only), the bare responder sending one receipt each as well.
                    same = load(ceiling_ports["smpp"], window, args.seconds, True) if receipts else None
                    print(f"{window:>6} {'yes' if receipts else 'no':>8} | {ours['rate']:>9.0f} {ours['p50']:>7.2f} "
                          f"{ours['p99']:>7.2f} | {bare['rate']:>9.0f} {bare['p50']:>7.2f} {bare['p99']:>7.2f} | "
                          f"{ours['rate'] / bare['rate']:>5.2f} | "
                          + (f"{same['rate']:>11.0f} {same['p50']:>7.2f} {same['p99']:>7.2f} {ours['rate'] / same['rate']:>5.2f}"
                             if same else f"{'':>11} {'':>7} {'':>7} {'':>5}")
                          + f" | {cpu:>6.0f}"
                          + (f"  ({ours['failed']} refused)" if ours["failed"] else ""), flush=True)
        finally:
            if spy is not None:
                spy.send_signal(2)  # SIGINT: py-spy writes its graph and exits
                spy.wait(timeout=60)
            for process in (gateway, ceiling):
                process.terminate()
                process.wait(timeout=15)


if __name__ == "__main__":
    main()
