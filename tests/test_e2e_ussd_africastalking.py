"""Africa's Talking-style USSD against a real `gateway run`: the inbound endpoint driven with
AT's exact form fields, and an external app (served by this test on port 0) behind a route."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.gatewayproc import GatewayProcess

A, B = "79261234567", "79261112233"


class UssdApp(BaseHTTPRequestHandler):
    """A USSD app written for Africa's Talking: form in, CON/END out."""

    requests: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        length = int(self.headers.get("content-length", 0))
        form = {k: v[0] for k, v in urllib.parse.parse_qs(self.rfile.read(length).decode(), keep_blank_values=True).items()}
        self.requests.append({**form, "content-type": self.headers.get("content-type")})
        text = form.get("text", "")
        status, body = 200, {
            "": "CON Welcome to Quiz\n1 Balance\n2 Broken\n3 Crash",
            "1": "END Your score is 5",
            "2": "Hello there",  # neither CON nor END
            "3": "",
        }.get(text.split("*")[-1] if text else "", "CON Say again")
        if text.endswith("3"):
            status = 500
        payload = body.encode()
        self.send_response(status)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):  # quiet
        pass


@pytest.fixture
def app():
    UssdApp.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), UssdApp)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def routed(tmp_path, app):
    """The gateway with *444# routed on the command line and *445# in the config file."""
    url = f"http://127.0.0.1:{app.server_address[1]}/ussd"
    config = tmp_path / "gateway.yaml"
    config.write_text(f'ussd:\n  routes:\n    "445": "{url}"\n', encoding="utf-8")
    process = GatewayProcess(tmp_path, "--config", str(config), "--ussd-route", f"444={url}")
    process.start()
    yield process
    process.stop()


def at_post(gateway, **fields) -> tuple[int, str, str]:
    data = urllib.parse.urlencode(fields).encode()
    request = urllib.request.Request(gateway.base + "/ussd/africastalking", data=data, method="POST")
    request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers.get("content-type", ""), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("content-type", ""), error.read().decode()


def test_inbound_endpoint_with_africas_talking_fields_drives_the_menus(gateway):
    fields = {"sessionId": "ATUid_5c7b1e", "serviceCode": "*105#", "phoneNumber": "+79261234567",
              "networkCode": "25002", "text": ""}
    status, kind, body = at_post(gateway, **fields)
    assert status == 200 and kind.startswith("text/plain")
    assert body.startswith("CON ") and body[4:] == gateway.get(f"/api/v1/handsets/{A}/ussd")[1]["text"]
    status, _, body = at_post(gateway, **{**fields, "text": "42"})  # an unknown key: asked again
    assert body.startswith("CON ")
    status, _, body = at_post(gateway, **{**fields, "text": "42*42"})
    status, _, body = at_post(gateway, **{**fields, "text": "42*42*42"})  # third wrong key: it gives up
    assert status == 200 and body.startswith("END ")
    # A first request with text dials straight through: *105# + "00" is *105*00#.
    status, _, body = at_post(gateway, **{**fields, "sessionId": "ATUid_2", "text": "00"})
    assert body.startswith("END ") and "SMS" in body
    _, dialogues = gateway.get(f"/api/v1/handsets/{A}/dialogues")
    assert dialogues[0]["transport"] == "africastalking" and dialogues[0]["steps"][0]["text"] == "*105*00#"


def test_inbound_endpoint_refuses_bad_requests(gateway):
    fields = {"sessionId": "s1", "serviceCode": "*105#", "phoneNumber": "+79990000000", "networkCode": "25002",
              "text": ""}
    assert at_post(gateway, **fields)[0] == 404  # not a subscriber
    status, _, body = at_post(gateway, **{k: v for k, v in fields.items() if k != "sessionId"})
    assert status == 400 and "missing_field" in body
    status, _, _ = at_post(gateway, **{**fields, "phoneNumber": A, "serviceCode": "105#*"})
    assert status == 400
    # A later request whose text does not extend the previous one.
    at_post(gateway, **{**fields, "sessionId": "s2", "phoneNumber": A})
    status, _, body = at_post(gateway, **{**fields, "sessionId": "s2", "phoneNumber": A, "text": ""})
    assert status == 400


def test_routed_app_runs_unchanged_behind_the_route(routed, app):
    first = routed.ussd(A, "*444#")
    assert first == {**first, "text": "Welcome to Quiz\n1 Balance\n2 Broken\n3 Crash", "end": False}
    last = routed.ussd(A, "1")
    assert last == {**last, "text": "Your score is 5", "end": True, "session_id": first["session_id"]}
    assert UssdApp.requests[:2] == [
        {"sessionId": first["session_id"], "serviceCode": "*444#", "phoneNumber": "+79261234567",
         "networkCode": "25002", "text": "", "content-type": "application/x-www-form-urlencoded"},
        {"sessionId": first["session_id"], "serviceCode": "*444#", "phoneNumber": "+79261234567",
         "networkCode": "25002", "text": "1", "content-type": "application/x-www-form-urlencoded"},
    ]
    # Direct dial on the config file's route: the extra parts are the first `text`.
    assert routed.ussd(B, "*445*1#")["text"] == "Your score is 5"
    assert UssdApp.requests[-1]["text"] == "1" and UssdApp.requests[-1]["serviceCode"] == "*445#"
    _, dialogues = routed.get(f"/api/v1/handsets/{A}/dialogues")
    assert (dialogues[0]["server"], dialogues[0]["outcome"]) == ("http_app", "completed")


def test_a_routed_app_answering_badly_ends_the_dialogue_with_an_error_screen(routed, app):
    for key, why in (("2", "neither CON nor END"), ("3", "HTTP 500")):
        routed.ussd(A, "*444#")
        screen = routed.ussd(A, key)
        assert screen["end"] is True and screen["text"]
        log = routed.log()
        assert why in log, [line for line in log.splitlines() if "ussd" in line or "Error" in line][-8:]
    _, dialogues = routed.get(f"/api/v1/handsets/{A}/dialogues")
    assert [d["outcome"] for d in dialogues[:2]] == ["app_error", "app_error"]


def test_inbound_africas_talking_reaches_a_routed_app(routed, app):
    fields = {"sessionId": "ATUid_chain", "serviceCode": "*444#", "phoneNumber": "+79261112233",
              "networkCode": "63902", "text": ""}
    assert at_post(routed, **fields)[2] == "CON Welcome to Quiz\n1 Balance\n2 Broken\n3 Crash"
    assert at_post(routed, **{**fields, "text": "1"})[2] == "END Your score is 5"
    assert [r["text"] for r in UssdApp.requests] == ["", "1"]
