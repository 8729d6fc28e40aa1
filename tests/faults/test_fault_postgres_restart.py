"""A PostgreSQL restart under a running gateway: while the store is down every channel answers
with a clear error (HTTP 503 `store_unavailable` in JSON, an SMPP error status, a USSD error
screen), the process stays up, and once the store is back everything works again. The server
is a private one (tests/faults/privatepg.py), never the machine's."""

from __future__ import annotations

import pytest
import smpplib.client
import smpplib.consts as c
import smpplib.exceptions

from tests.faults.kit import private_server
from tests.faults.privatepg import PrivatePostgres
from tests.gatewayproc import GatewayProcess

A, B = "79261234567", "79261112233"


@pytest.fixture
def postgres():
    server = private_server(PrivatePostgres, "PostgreSQL binaries are")
    yield server
    server.remove()


def submit_status(app: smpplib.client.Client, text: str) -> int:
    answered = []
    app.set_message_sent_handler(lambda pdu: answered.append(pdu.status))
    app.error_pdu_handler = lambda pdu: answered.append(pdu.status)  # smpplib would raise
    app.send_message(source_addr="7000", source_addr_ton=3, source_addr_npi=0, destination_addr=B,
                     dest_addr_ton=1, dest_addr_npi=1, short_message=text.encode(),
                     data_coding=c.SMPP_ENCODING_DEFAULT)
    while not answered:
        app.read_once()
    return answered[0]


def traffic(gateway: GatewayProcess, app, tag: str) -> dict[str, object]:
    """One request of each kind; what each answered."""
    api = gateway.get(f"/api/v1/subscribers/{A}")
    sms = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": f"hello {tag}"})
    ussd = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": "*105*1*1#"})
    return {"api": api, "sms": sms, "ussd": ussd, "smpp": submit_status(app, f"mt {tag}")}


def test_postgres_restart_gives_clear_errors_meanwhile_and_recovers_after(tmp_path, postgres, report):
    gateway = GatewayProcess(tmp_path, "--db", postgres.url)
    gateway.start()
    app = smpplib.client.Client(*gateway.smpp, timeout=30, allow_unknown_opt_params=True)
    app.connect()
    app.bind_transceiver(system_id="app", password="app")
    try:
        before = traffic(gateway, app, "before")
        postgres.stop()
        down = [traffic(gateway, app, f"down {i}") for i in range(3)]
        status_down = gateway.get("/api/v1/status")
        health_down = gateway.get("/healthz")
        postgres.start()
        after = traffic(gateway, app, "after")
        inbox = [m["text"] for m in gateway.inbox(B)]
        still_bound = submit_status(app, "same bind") == 0
    finally:
        try:
            app.unbind()
            app.disconnect()
        except (smpplib.exceptions.ConnectionError, OSError):
            pass
        alive = gateway.process.poll() is None
        gateway.stop()
    log = gateway.log()

    http_down = [answer for round_ in down for answer in (round_["api"], round_["sms"])]
    report.add("requests before the restart: HTTP ok / SMPP ok",
               f"{sum(before[k][0] in (200, 202) for k in ('api', 'sms', 'ussd'))}/3 / {int(before['smpp'] == 0)}/1")
    report.add("HTTP requests while down", len(http_down))
    report.add("  answered 503 store_unavailable (JSON)",
               sum(code == 503 and body["error"] == "store_unavailable" for code, body in http_down))
    report.add("  answered 500", sum(code == 500 for code, _ in http_down))
    report.add("USSD while down: 503 store_unavailable / end screen",
               f"{sum(r['ussd'][0] == 503 for r in down)} / {sum(r['ussd'][0] == 200 and r['ussd'][1]['end'] for r in down)}")
    report.add("submit_sm while down: error status (none 0)", sorted({hex(r["smpp"]) for r in down}))
    report.add("requests after the restart: HTTP ok / SMPP ok",
               f"{sum(after[k][0] in (200, 202) for k in ('api', 'sms', 'ussd'))}/3 / {int(after['smpp'] == 0)}/1")
    report.add("acknowledged SMS lost (before + after)",
               sum(t not in inbox for t in ("hello before", "hello after", "mt before", "mt after")))

    assert before["api"][0] == 200 and before["sms"][0] == 202 and before["smpp"] == 0
    for code, body in http_down:
        assert code == 503 and body == {"error": "store_unavailable",
                                        "message": "the store cannot be reached now; try again shortly"}
    for round_ in down:
        assert round_["smpp"] not in (0, None)
        code, screen = round_["ussd"]
        assert code in (200, 503) and (code == 503 or screen["end"])
    assert status_down[0] == 503 and status_down[1]["error"] == "store_unavailable"
    assert health_down[0] == 200  # the process is up; the store's state is the status' business
    assert after["api"][0] == 200 and after["sms"][0] == 202 and after["ussd"][0] == 200 and after["smpp"] == 0
    assert not after["ussd"][1]["text"].startswith("Сервис")  # a real balance screen again
    assert {"hello before", "hello after", "mt before", "mt after"} <= set(inbox)
    assert still_bound and alive
    assert "unhandled error" not in log  # no request was answered as a bug (500)
