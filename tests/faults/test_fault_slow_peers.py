"""A hanging or dead external USSD application, and an ESME that never answers deliver_sm, do
not slow anybody else: other handsets' dialogues and SMS keep their usual latency while the
stuck peers wait for their timeouts (the figures are printed; the bound is a fraction of the
application timeout, far above any normal answer)."""

from __future__ import annotations

import http.client
import json
import socket
import statistics
import threading
import time

import pytest
import smpplib.client

from tests.gatewayproc import GatewayProcess

APP_TIMEOUT = 3.0
FAR_BELOW = APP_TIMEOUT / 3  # every other request must be answered well inside this
STUCK = [f"7916777{i:04d}" for i in range(5)]
OTHERS = ("79261234567", "79261112233", "79267654321")


class Hanging:
    """A TCP server that accepts connections and reads requests but never answers."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(conn)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens here once closed


@pytest.fixture
def hanging():
    server = Hanging()
    yield server
    server.close()


def post(conn: http.client.HTTPConnection, path: str, body: dict) -> tuple[int, dict]:
    conn.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, json.loads(response.read() or b"null")


def timed_traffic(gateway: GatewayProcess, rounds: int) -> list[float]:
    """Other handsets: a *105# walk (three steps) and an SMS to a neighbour, every request timed."""
    host, port = gateway.ports["http"]
    conn = http.client.HTTPConnection(host, port, timeout=30)
    latencies = []
    for i in range(rounds):
        msisdn = OTHERS[i % len(OTHERS)]
        for path, body in ((f"/api/v1/handsets/{msisdn}/ussd", {"input": "*105#"}),
                           (f"/api/v1/handsets/{msisdn}/ussd", {"input": "1"}),
                           (f"/api/v1/handsets/{msisdn}/ussd", {"input": "1"}),
                           (f"/api/v1/handsets/{msisdn}/sms", {"to": OTHERS[(i + 1) % 3], "text": f"hi {i}"})):
            started = time.perf_counter()
            code, answer = post(conn, path, body)
            latencies.append(time.perf_counter() - started)
            assert code in (200, 202), answer
    conn.close()
    return latencies


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return (f"n {len(ordered)}, p50 {statistics.median(ordered) * 1000:.1f} ms, "
            f"max {ordered[-1] * 1000:.1f} ms (bound {FAR_BELOW * 1000:.0f} ms)")


def test_a_hanging_and_a_dead_ussd_app_do_not_slow_other_handsets(tmp_path, hanging, report):
    config = tmp_path / "gateway.yaml"
    config.write_text(f"ussd:\n  app_timeout: {APP_TIMEOUT}\n", encoding="utf-8")
    gateway = GatewayProcess(tmp_path, "--config", str(config),
                             "--ussd-route", f"777=http://127.0.0.1:{hanging.port}/ussd",
                             "--ussd-route", f"778=http://127.0.0.1:{closed_port()}/ussd")
    gateway.start()
    try:
        for msisdn in STUCK:
            assert gateway.post("/api/v1/subscribers", {"msisdn": msisdn})[0] == 201
        baseline = timed_traffic(gateway, 6)
        stuck: dict[str, tuple[float, dict]] = {}

        def dial(msisdn: str, code: str) -> None:
            started = time.perf_counter()
            conn = http.client.HTTPConnection(*gateway.ports["http"], timeout=30)
            stuck[msisdn] = (time.perf_counter() - started, post(conn, f"/api/v1/handsets/{msisdn}/ussd",
                                                                  {"input": code})[1])
            stuck[msisdn] = (time.perf_counter() - started, stuck[msisdn][1])
            conn.close()

        dialling = [threading.Thread(target=dial, args=(m, "*777#" if i < 4 else "*778#"))
                    for i, m in enumerate(STUCK)]
        for thread in dialling:
            thread.start()
        deadline = time.monotonic() + APP_TIMEOUT
        while True:  # until the four dialogues wait for the hanging app (each poll is a request)
            status = gateway.get("/api/v1/status")[1]
            waiting = [d for d in status["dialogues"] if d["service_code"] == "777" and d["state"] == "network"]
            if len(waiting) == 4 or time.monotonic() > deadline:
                break
        during = timed_traffic(gateway, 12)
        waiting_while_measured = sum(thread.is_alive() for thread in dialling[:4])
        for thread in dialling:
            thread.join(timeout=30)
    finally:
        gateway.stop()

    hung = [stuck[m] for m in STUCK[:4]]
    dead = stuck[STUCK[4]]
    report.add("dialogues to the hanging app (*777#)", len(hung))
    report.add("  still waiting when the others were measured", waiting_while_measured)
    report.add("  ended with the error screen after (s)", ", ".join(f"{t:.2f}" for t, _ in hung))
    report.add("dialogue to the dead app (*778#) ended after (s)", f"{dead[0]:.2f}")
    report.add("waiting for the hanging app on the status page", len(waiting))
    report.add("other handsets, idle gateway", summary(baseline))
    report.add("other handsets, apps stuck", summary(during))
    assert all(answer["end"] for _, answer in hung) and dead[1]["end"]
    assert all(t >= APP_TIMEOUT * 0.9 for t, _ in hung)  # they really hung until the timeout
    assert len(waiting) == 4 and waiting_while_measured == 4  # the others were measured while the app hung
    assert max(during) < FAR_BELOW, summary(during)


def test_an_esme_not_answering_deliver_sm_does_not_slow_other_sms(tmp_path, report):
    gateway = GatewayProcess(tmp_path)
    gateway.start()
    stuck = smpplib.client.Client(*gateway.smpp, timeout=30, allow_unknown_opt_params=True)
    try:
        stuck.connect()
        stuck.bind_receiver(system_id="app", password="app")  # and never reads again
        baseline = timed_traffic(gateway, 6)
        for i in range(30):  # MO to its number: deliver_sm it will never answer
            code, body = gateway.post(f"/api/v1/handsets/{OTHERS[0]}/sms", {"to": "7000", "text": f"order {i}"})
            assert code == 202, body
        during = timed_traffic(gateway, 12)
        status = gateway.get("/api/v1/status")[1]
        inbox = [m["text"] for m in gateway.inbox(OTHERS[1])]
    finally:
        stuck._socket.close()
        gateway.stop()
    [bind] = [b for b in status["binds"] if b["system_id"] == "app"]
    report.add("MO accepted for the silent ESME", 30)
    report.add("  deliver_sm outstanding / queued behind its window", f"{bind['outstanding']} / {bind['queued']}")
    report.add("other handsets, idle gateway", summary(baseline))
    report.add("other handsets, ESME silent", summary(during))
    assert bind["outstanding"] == bind["window"] and bind["queued"] > 0
    assert "hi 0" in inbox
    assert max(during) < FAR_BELOW, summary(during)
