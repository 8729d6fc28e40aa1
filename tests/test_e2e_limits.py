"""Input limits and hostile input on every interface of a real `gateway run`: oversize
bodies, JSON bombs, long fields, SQL-shaped text through SMS, USSD, API fields, SIP headers
and SMPP. Each is answered cleanly (never 500), nothing is stored wrongly, and the gateway
keeps serving."""

from __future__ import annotations

import socket
import struct
from urllib.parse import quote

import pytest

from gateway.sms.codec import PDU, encode
from tests.gatewayproc import GatewayProcess
from tests.rawesme import RawEsme, text_of

A, B = "79261234567", "79261112233"
INJECTIONS = ["'; DROP TABLE subscribers; --", "1' OR '1'='1", "\" OR 1=1 --", "%' UNION SELECT * FROM credentials --",
              "Robert'); DELETE FROM messages;--", "\\'; SELECT pg_sleep(5); --"]


@pytest.fixture(params=["sqlite", "postgresql"])
def gateway(request, tmp_path):
    extra = ("--db", request.getfixturevalue("pg_url")) if request.param == "postgresql" else ()
    process = GatewayProcess(tmp_path, *extra)
    process.start()
    yield process
    process.stop()


def healthy(gateway) -> None:
    """Still serving, and no request ever reached the 500 path."""
    assert gateway.get("/healthz") == (200, {"status": "ok"})
    assert gateway.get(f"/api/v1/subscribers/{A}")[0] == 200
    log = gateway.log()
    assert "unhandled error" not in log and "Traceback" not in log, log[-3000:]


def raw_http(gateway, data: bytes) -> bytes:
    """One request written as bytes on a fresh connection; the whole answer."""
    chunks = []
    with socket.create_connection(gateway.ports["http"], timeout=20) as conn:
        try:  # the gateway may answer and close before it has read everything
            conn.sendall(data)
            conn.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        except ConnectionResetError:
            pass
    return b"".join(chunks)


def test_oversize_bodies_are_413_announced_or_chunked(gateway):
    status, body = gateway.request("POST", f"/api/v1/handsets/{A}/sms", raw=b'{"pad": "' + b"x" * 70_000 + b'"}')
    assert (status, body["error"]) == (413, "payload_too_large")
    chunk = b"%x\r\n%s\r\n" % (8192, b"y" * 8192)
    answer = raw_http(gateway, (f"POST /api/v1/handsets/{A}/ussd HTTP/1.1\r\nHost: x\r\n"
                                "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n").encode()
                      + chunk * 10 + b"0\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 413 ") and b"payload_too_large" in answer
    # A huge Content-Length is refused without the gateway keeping the bytes.
    answer = raw_http(gateway, (f"POST /api/v1/handsets/{A}/sms HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                "Content-Length: 100000\r\n\r\n").encode() + b"z" * 100_000)
    assert answer.startswith(b"HTTP/1.1 413 ")
    # Oversize request lines and headers: Twisted's own limits, a 400 or a closed connection.
    for head in (b"GET /api/v1/subscribers/" + b"9" * 20_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Pad: aaaaaaaaaaaaaaaa\r\n" * 2000 + b"\r\n"):
        answer = raw_http(gateway, head)
        assert answer in (b"", b"HTTP/1.1 400 Bad Request\r\n\r\n"), answer[:80]
    healthy(gateway)


def test_json_bombs_and_long_or_nul_fields_are_400(gateway):
    for raw in (b"[" * 60_000, b'{"input": ' + b"[" * 5000 + b"]" * 5000 + b"}",
                b'{"input": "*100#", "x": ' + b"[" * 40 + b"]" * 40 + b"}",
                b'{"input": 1' + b"0" * 5000 + b"}", b"\xff\xfe{}", b'{"input": "\\ud800"}'):
        status, body = gateway.request("POST", f"/api/v1/handsets/{A}/ussd", raw=raw)
        assert status == 400 and body["error"] in ("invalid_json", "invalid_field", "invalid_ussd_string"), (raw[:40], body)
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": "7" * 5000})
    assert (status, body["error"]) == (400, "field_too_long")
    status, body = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "hi\x00there"})
    assert (status, body["error"]) == (400, "invalid_field")
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": "79035550001", "balance": 10**40})
    assert status == 400, body
    status, body = gateway.post("/api/v1/subscribers", {"msisdn": "79035550001", "tariff": "x" * 4000})
    assert (status, body["error"]) == (400, "unknown_item"), body
    healthy(gateway)


def test_sms_text_over_the_api_is_at_most_1530_characters(gateway):
    status, body = gateway.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "x" * 1531})
    assert (status, body["error"]) == (400, "invalid_text")
    assert gateway.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "y" * 1530})[0] == 202
    assert gateway.inbox(B)[-1]["text"] == "y" * 1530
    healthy(gateway)


def test_ussd_input_is_at_most_182_characters(gateway):
    status, body = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": "*105*" + "1" * 177 + "#"})
    assert (status, body["error"]) == (400, "invalid_ussd_string")
    gateway.ussd(A, "*105#")
    status, body = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": "9" * 183})
    assert (status, body["error"]) == (400, "invalid_ussd_string")
    assert gateway.ussd(A, "9" * 182)["text"]  # the longest reply is an answer like any other
    healthy(gateway)


def test_sql_shaped_text_through_sms_ussd_and_api_fields_is_just_text(gateway):
    for text in INJECTIONS:
        assert gateway.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": text})[0] == 202
    assert [m["text"] for m in gateway.inbox(B)[-len(INJECTIONS):]] == INJECTIONS
    for text in INJECTIONS:
        status, body = gateway.post(f"/api/v1/handsets/{A}/ussd", {"input": text})
        assert (status, body["error"]) == (400, "invalid_ussd_string"), text
        gateway.ussd(A, "*105#")
        screen = gateway.ussd(A, text)  # a reply inside a dialogue: a wrong key, not a query
        assert isinstance(screen["text"], str) and screen["text"], (text, screen)
        gateway.request("DELETE", f"/api/v1/handsets/{A}/ussd")
        status, body = gateway.get(f"/api/v1/subscribers/{quote(text, safe='')}")
        assert status == 400 and body["error"] == "invalid_number", (text, body)
        status, body = gateway.login(text, text)
        assert 400 <= status < 500 and "token" not in body, (text, status, body)
        status, body = gateway.post("/api/v1/subscribers", {"msisdn": "79035550002", "tariff": text})
        assert 400 <= status < 500, (text, body)
    client = {"name": INJECTIONS[0], "kind": "company", "regions": [INJECTIONS[1]], "members": [B], "contacts": [B]}
    status, body = gateway.post("/api/v1/corporate/clients", client)
    assert status == 201 and body["name"] == INJECTIONS[0], body
    assert gateway.get(f"/api/v1/corporate/clients/{body['id']}")[1]["name"] == INJECTIONS[0]
    for msisdn in (A, B, "79267654321"):  # every demo subscriber still there, untouched
        status, summary = gateway.get(f"/api/v1/subscribers/{msisdn}")
        assert status == 200 and summary["msisdn"] == msisdn
    assert gateway.get("/api/v1/subscribers/79035550002")[0] == 404  # no bad tariff ever stored
    healthy(gateway)


def sip_exchange(gateway, datagram: bytes) -> bytes:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(10)
        client.sendto(datagram, gateway.sip)
        return client.recv(65535)


def options(call_id: str, caller: str = A, extra: str = "") -> bytes:
    return (
        "OPTIONS sip:0505@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bK" + call_id + "\r\n"
        f"From: <sip:{caller}@127.0.0.1>;tag=a\r\nTo: <sip:0505@127.0.0.1>\r\nCall-ID: {call_id}\r\n"
        f"CSeq: 1 OPTIONS\r\n{extra}Content-Length: 0\r\n\r\n"
    ).encode()


def test_sip_oversize_and_sql_shaped_headers_are_answered_and_the_uas_keeps_serving(gateway):
    assert sip_exchange(gateway, options("big1", extra="Subject: " + "x" * 5000 + "\r\n")).startswith(b"SIP/2.0 400 ")
    many = "".join(f"X-H{n}: {n}\r\n" for n in range(150))
    assert sip_exchange(gateway, options("many1", extra=many)).startswith(b"SIP/2.0 400 ")
    assert sip_exchange(gateway, options("nul1", extra="Subject: a\x00b\r\n")).startswith(b"SIP/2.0 400 ")
    sdp = b"v=0\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"
    for n, text in enumerate(INJECTIONS):
        caller = text.replace(" ", "%20").replace('"', "%22").replace("\\", "%5C")
        invite = (options(f"inj{n}", caller=caller, extra="Subject: " + text + "\r\n").replace(b"OPTIONS", b"INVITE")
                  .replace(b"Content-Length: 0\r\n", b"Content-Type: application/sdp\r\nContent-Length: %d\r\n"
                           % len(sdp)) + sdp)
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
            client.settimeout(10)
            client.sendto(invite, gateway.sip)
            answers = [client.recv(65535)]
            while answers[-1].startswith(b"SIP/2.0 1"):
                answers.append(client.recv(65535))
        assert answers[-1][:12] in (b"SIP/2.0 403 ", b"SIP/2.0 400 ", b"SIP/2.0 404 "), answers[-1][:60]
    assert sip_exchange(gateway, options("after")).startswith(b"SIP/2.0 200 ")
    assert gateway.get(f"/api/v1/handsets/{A}/calls")[0] == 200
    healthy(gateway)


def test_smpp_sql_shaped_text_is_delivered_verbatim_and_a_bad_pdu_spoils_only_its_own_bind(gateway):
    good = RawEsme(gateway.smpp)
    good.bind("handsets", "handsets")
    for text in INJECTIONS:
        resp = good.submit(source_addr=A, destination_addr=B, dest_addr_ton=1, dest_addr_npi=1, service_type="",
                           short_message=text.encode("utf-16-be"), data_coding=8)  # UCS-2: `\` and `_` as typed
        assert resp.status == 0, text
    received = [text_of(good.deliver(ussd=False)) for _ in INJECTIONS]
    assert sorted(received) == sorted(INJECTIONS)
    assert [m["text"] for m in gateway.inbox(B)[-len(INJECTIONS):]] == INJECTIONS
    bad = socket.create_connection(gateway.smpp, timeout=10)
    bad.sendall(struct.pack(">IIII", 70_000, 0x00000004, 0, 1) + b"\x00" * 64)  # command_length over 65536
    try:
        answer = bad.recv(65536)
        assert answer == b"" or struct.unpack(">I", answer[4:8])[0] == 0x80000000  # closed or generic_nack
    except ConnectionResetError:
        pass
    bad.close()
    bad = socket.create_connection(gateway.smpp, timeout=10)
    bad.sendall(encode(PDU("bind_transceiver", 0, 1, {"system_id": "' OR 1=1 --", "password": "x' --",
                                                     "interface_version": 0x34})))
    assert struct.unpack(">I", bad.recv(65536)[8:12])[0] != 0  # refused, not an error of the server
    bad.close()
    resp = good.submit(source_addr=A, destination_addr=B, dest_addr_ton=1, dest_addr_npi=1, service_type="",
                       short_message="still here", data_coding=0)
    assert resp.status == 0
    good.close()
    healthy(gateway)
