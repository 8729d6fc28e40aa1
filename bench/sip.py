"""SIP voice-menu speed: calls set up per second and DTMF-to-prompt latency, with sipp as the load.

Run: .venv/bin/python bench/sip.py [--calls 1000] [--rates 100,200,400,800] [--probes 60] [--load-rate 50]

A real `gateway run` starts on free ports with a temporary SQLite store (prompts spoken by
espeak-ng when installed). Two measurements:

1. Call set-up: for each rate, sipp places `--calls` calls (INVITE, 200, ACK, BYE at once)
   from `--callers` subscribers at that many calls per second, at most 200 at a time; the
   figure is successful calls over the time sipp ran (start to exit), with sipp's
   INVITE-to-200 response times (p50/p99, whole milliseconds). Every call is two store transactions (connect, call record).
2. DTMF to prompt: a probe in this process calls 0505 over UDP, waits for the welcome to
   start playing, sends the key as SIP INFO and times the first RTP packet of the next
   prompt (its marker bit): `3` (a submenu, no store) and then `1` (the balance, read in a
   store transaction). Once with the gateway idle, once while sipp keeps `--load-rate`
   calls per second going in the background for `--load-seconds` (each presses a key by
   INFO, hears the next prompt for a second and hangs up).

The load, the probe and the gateway share this machine's CPUs: compare runs, not absolutes.
"""

from __future__ import annotations

import argparse
import csv
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIRST = 79100000000
PROBE = "79261234567"  # a demo subscriber, 300 roubles, Russian

HANG_UP = """<?xml version="1.0" encoding="UTF-8" ?>
<scenario name="set up and hang up">
  <send retrans="500"><![CDATA[
INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:[field0]@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [media_port] RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0
]]></send>
KEYS
  <send retrans="500"><![CDATA[
BYE sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 3 BYE
Max-Forwards: 70
Content-Length: 0
]]></send>
  <recv response="200"/>
</scenario>
"""

INFO_KEY = """  <pause milliseconds="200"/>
  <send retrans="500"><![CDATA[
INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:[field0]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 INFO
Max-Forwards: 70
Content-Type: application/dtmf-relay
Content-Length: [len]

Signal=3
Duration=160
]]></send>
  <recv response="200"/>
  <pause milliseconds="1000"/>
"""


# -- the gateway ---------------------------------------------------------------------------------


def start_gateway(workdir: str) -> tuple[subprocess.Popen, dict[str, tuple[str, int]]]:
    command = [sys.executable, "-m", "gateway.cli", "run", "--host", "127.0.0.1", "--http-port", "0",
               "--smpp-port", "0", "--sip-port", "0", "--data-dir", workdir]
    log = open(os.path.join(workdir, "gateway.log"), "wb")  # noqa: SIM115 - lives as long as the child
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=log,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    ports: dict[str, tuple[str, int]] = {}
    while len(ports) < 3:
        line = process.stdout.readline().decode()
        if not line:
            raise RuntimeError(f"the gateway exited; see {workdir}/gateway.log")
        if line.startswith("listening "):
            _, name, address = line.split()
            host, port = address.rsplit(":", 1)
            ports[name] = (host, int(port))
    return process, ports


def create_callers(http: tuple[str, int], count: int) -> list[str]:
    callers = []
    for n in range(FIRST, FIRST + count):
        body = f'{{"msisdn": "{n}", "balance": "100.00"}}'.encode()
        request = urllib.request.Request(f"http://{http[0]}:{http[1]}/api/v1/subscribers", data=body,
                                         method="POST", headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 201, response.status
        callers.append(str(n))
    return callers


# -- sipp ----------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sipp(workdir: Path, sip: tuple[str, int], scenario: str, callers: list[str], *, rate: float, calls: int,
         limit: int = 200) -> subprocess.Popen:
    """Start sipp placing `calls` calls (0: until stopped) at `rate` per second."""
    name = f"s{secrets.token_hex(3)}"
    (workdir / f"{name}.xml").write_text(scenario)
    (workdir / f"{name}.csv").write_text("SEQUENTIAL\n" + "".join(f"{c};\n" for c in callers))
    command = [
        "sipp", f"{sip[0]}:{sip[1]}", "-sf", f"{name}.xml", "-inf", f"{name}.csv", "-s", "0505",
        "-i", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()), "-r", str(rate), "-l", str(limit),
        "-nostdin", "-trace_stat", "-stf", f"{name}_stat.csv", "-fd", "1", "-trace_rtt", "-rtt_freq", "1",
        "-timeout", "600s",
    ]
    if calls:
        command += ["-m", str(calls)]
    process = subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    process.name = name  # type: ignore[attr-defined]
    return process


def sipp_results(workdir: Path, process: subprocess.Popen) -> tuple[int, int, float, list[float]]:
    """Successful calls, failed calls, elapsed seconds, INVITE-to-200 times (ms)."""
    name = process.name  # type: ignore[attr-defined]
    with open(workdir / f"{name}_stat.csv", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    last = rows[-1]
    elapsed = _seconds(last["ElapsedTime(C)"])
    times = []
    for path in workdir.glob(f"{name}_*_rtt.csv"):
        with open(path, newline="") as handle:
            times += [float(row["response_time_ms"]) for row in csv.DictReader(handle, delimiter=";")
                      if row.get("response_time_ms")]
    return int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]), elapsed, times


def _seconds(clock: str) -> float:
    hours, minutes, rest = clock.split(":")
    seconds, _, micro = rest.partition(":")
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds) + int(micro or 0) / 1e6


# -- the DTMF-to-prompt probe --------------------------------------------------------------------


class Probe:
    """One caller over plain UDP sockets: INVITE, ACK, INFO keys, timing the next prompt's first packet."""

    def __init__(self, sip: tuple[str, int]) -> None:
        self.sip = sip
        self.signal = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for sock in (self.signal, self.media):
            sock.bind(("127.0.0.1", 0))
            sock.settimeout(10)
        self.cseq = 1

    def close(self) -> None:
        self.signal.close()
        self.media.close()

    def _headers(self, method: str, call_id: str, to_tag: str = "") -> str:
        port = self.signal.getsockname()[1]
        return (f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{secrets.token_hex(6)}\r\n"
                f"From: <sip:{PROBE}@127.0.0.1:{port}>;tag=probe\r\n"
                f"To: <sip:0505@{self.sip[0]}>{';tag=' + to_tag if to_tag else ''}\r\n"
                f"Call-ID: {call_id}\r\nCSeq: {self.cseq} {method}\r\n"
                f"Contact: <sip:{PROBE}@127.0.0.1:{port}>\r\n")

    def _send(self, method: str, call_id: str, to_tag: str = "", body: str = "", kind: str = "") -> None:
        head = self._headers(method, call_id, to_tag)
        if body:
            head += f"Content-Type: {kind}\r\n"
        data = f"{method} sip:0505@{self.sip[0]}:{self.sip[1]} SIP/2.0\r\n{head}Content-Length: {len(body)}\r\n\r\n"
        self.signal.sendto((data + body).encode(), self.sip)

    def _final(self, method: str) -> bytes:
        """The final response to our request `method` with the current CSeq (others are skipped)."""
        cseq = f"CSeq: {self.cseq} {method}".encode()
        while True:
            data = self.signal.recv(65535)
            if data.startswith(b"SIP/2.0 ") and not data.startswith((b"SIP/2.0 100", b"SIP/2.0 180")) \
                    and cseq in data:
                return data

    def _prompt_start(self, deadline: float) -> float:
        """Wait for the first packet of a prompt (marker bit); when it came."""
        while time.perf_counter() < deadline:
            data = self.media.recv(2048)
            if len(data) >= 12 and data[1] & 0x80:
                return time.perf_counter()
        raise TimeoutError("no prompt")

    def call(self, keys: str) -> list[float]:
        """One call: the seconds from each key to the start of the prompt it brings."""
        call_id = secrets.token_hex(8)
        media_port = self.media.getsockname()[1]
        sdp = (f"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
               f"m=audio {media_port} RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n")
        self.cseq = 1
        self._send("INVITE", call_id, body=sdp, kind="application/sdp")
        ok = self._final("INVITE")
        assert ok.startswith(b"SIP/2.0 200"), ok[:40]
        to_tag = next(line.split(b";tag=")[1].split(b";")[0].decode() for line in ok.split(b"\r\n")
                      if line.lower().startswith(b"to:"))
        self._send("ACK", call_id, to_tag)
        self._prompt_start(time.perf_counter() + 10)  # the welcome begins
        latencies = []
        for key in keys:
            self.cseq += 1
            sent = time.perf_counter()
            self._send("INFO", call_id, to_tag, f"Signal={key}\r\nDuration=160\r\n", "application/dtmf-relay")
            latencies.append(self._prompt_start(sent + 10) - sent)
        self.cseq += 1
        self._send("BYE", call_id, to_tag)
        self._final("BYE")
        self._drain()
        return latencies

    def _drain(self) -> None:
        self.media.setblocking(False)
        try:
            while True:
                self.media.recv(2048)
        except BlockingIOError:
            pass
        finally:
            self.media.settimeout(10)


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def probe_round(sip, count: int, seconds: float = 0.0) -> tuple[list[float], list[float]]:
    """At least `count` probe calls, and for at least `seconds`."""
    probe = Probe(sip)
    submenu, action = [], []
    until = time.perf_counter() + seconds
    try:
        while len(submenu) < count or time.perf_counter() < until:
            first, second = probe.call("31")
            submenu.append(first)
            action.append(second)
            if len(submenu) % 200 == 0:
                print(f"    {len(submenu)} probe calls", file=sys.stderr)
    finally:
        probe.close()
    return submenu, action


def _ms(value: float) -> str:
    """sipp's whole milliseconds: 0 means under one."""
    return "<1" if value < 1 else f"{value:.0f}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000, help="calls per set-up rate")
    parser.add_argument("--rates", default="100,200,400,800", help="sipp call rates (calls/s) for the set-up figure")
    parser.add_argument("--callers", type=int, default=50, help="subscribers sipp calls from")
    parser.add_argument("--probes", type=int, default=60, help="probe calls per latency round")
    parser.add_argument("--load-rate", type=float, default=50.0, help="background sipp calls/s while probing")
    parser.add_argument("--load-seconds", type=float, default=10.0, help="how long to probe under that load")
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        sys.exit("sipp is not installed (Debian package sip-tester); run make install")
    workdir = Path(tempfile.mkdtemp(prefix="bench-sip-"))
    gateway, ports = start_gateway(str(workdir))
    setup_rows, latency_rows = [], []
    try:
        print(f"gateway on {ports['sip'][0]}:{ports['sip'][1]} (sip), work in {workdir}; "
              f"espeak-ng: {'yes' if shutil.which('espeak-ng') else 'no (tone prompts)'}", file=sys.stderr)
        callers = create_callers(ports["http"], args.callers)
        print(f"  {len(callers)} callers created", file=sys.stderr)
        probe_round(ports["sip"], 2)  # warm-up: the prompts are synthesised once, then kept
        for rate in [float(r) for r in args.rates.split(",")]:
            began = time.perf_counter()
            process = sipp(workdir, ports["sip"], HANG_UP.replace("KEYS", ""), callers, rate=rate, calls=args.calls)
            process.wait(timeout=600)
            elapsed = time.perf_counter() - began  # sipp's own clock counts whole seconds only
            done, failed, _, times = sipp_results(workdir, process)
            setup_rows.append((rate, done, failed, done / elapsed if elapsed else 0.0,
                               percentile(times, 0.5), percentile(times, 0.99)))
            print(f"  set-up at {rate:.0f}/s offered: {done} calls in {elapsed:.1f} s = {done / elapsed:.0f}/s,"
                  f" {failed} failed", file=sys.stderr)
        print("  DTMF to prompt, idle", file=sys.stderr)
        latency_rows.append(("idle", *probe_round(ports["sip"], args.probes)))
        print(f"  DTMF to prompt, with sipp placing {args.load_rate:.0f} calls/s", file=sys.stderr)
        load = sipp(workdir, ports["sip"], HANG_UP.replace("KEYS", INFO_KEY), callers, rate=args.load_rate, calls=0)
        try:
            time.sleep(2)  # let the background load reach its steady state before probing
            latency_rows.append((f"{args.load_rate:.0f} calls/s",
                                 *probe_round(ports["sip"], args.probes, args.load_seconds)))
        finally:
            load.terminate()
            load.wait(timeout=30)
        done, failed, elapsed, _ = sipp_results(workdir, load)
        print(f"  background: {done} calls, {failed} failed in {elapsed:.1f} s", file=sys.stderr)
    finally:
        gateway.terminate()
        gateway.wait(timeout=30)
    print()
    print("| offered calls/s | calls | failed | set up calls/s | INVITE→200 p50 ms | INVITE→200 p99 ms |")
    # sipp reports response times in whole milliseconds
    print("|---:|---:|---:|---:|---:|---:|")
    for rate, done, failed, per_second, p50, p99 in setup_rows:
        print(f"| {rate:.0f} | {done} | {failed} | {per_second:.0f} | {_ms(p50)} | {_ms(p99)} |")
    print()
    print("| background load | key | DTMF→prompt p50 ms | DTMF→prompt p99 ms | probes |")
    print("|---|---|---:|---:|---:|")
    for load_name, submenu, action in latency_rows:
        for key, values in (("3 (submenu)", submenu), ("1 (balance, store read)", action)):
            print(f"| {load_name} | {key} | {percentile(values, 0.5) * 1000:.1f} | "
                  f"{percentile(values, 0.99) * 1000:.1f} | {len(values)} |")
    print()
    print(f"({os.cpu_count()} CPUs shared by sipp, the probe and the gateway; SQLite store; one run)")


if __name__ == "__main__":
    main()
