"""The 0505 voice menu over SIP, with sipp as the caller, against a real gateway (R04, R11)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from gateway.ivr import rtp
from tests.gatewayproc import GatewayProcess, password_in

A = "79261234567"
SCENARIOS = Path(__file__).resolve().parent / "sipp"

# `make install` installs sipp; under CI a missing sipp is a failure, never a skip.
pytestmark = pytest.mark.skipif(shutil.which("sipp") is None and os.environ.get("CI") != "true",
                                reason="sipp (Debian sip-tester) is not installed; run make install")


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def sipp(gateway, tmp_path: Path, scenario: str, to: str = "0505", caller: str = A,
         timeout: int = 20) -> subprocess.CompletedProcess:
    """One call by sipp from `caller` to `to`; returns the finished sipp process."""
    callers = tmp_path / "callers.csv"
    callers.write_text(f"SEQUENTIAL\n{caller};\n")
    host, port = gateway.sip
    command = [
        "sipp", f"{host}:{port}", "-sf", str(SCENARIOS / scenario), "-inf", str(callers),
        "-s", to, "-i", "127.0.0.1", "-p", str(free_udp_port()), "-mp", str(free_udp_port()),
        "-m", "1", "-timeout", f"{timeout}s", "-timeout_error", "-nostdin", "-trace_err",
        "-error_file", str(tmp_path / "sipp_errors.log"),
    ]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, timeout=timeout + 40, check=False)


def assert_passed(result: subprocess.CompletedProcess, tmp_path: Path, gateway) -> None:
    errors = tmp_path / "sipp_errors.log"
    assert result.returncode == 0, (
        f"sipp exit {result.returncode}\n{errors.read_text() if errors.exists() else ''}\n"
        f"{result.stderr.decode(errors='replace')[-2000:]}\n{gateway.log()[-3000:]}"
    )


def test_r04_sip_call_key_1_by_info_sends_a_password_sms(gateway, tmp_path):
    result = sipp(gateway, tmp_path, "call_info_dtmf.xml")
    assert_passed(result, tmp_path, gateway)
    password = password_in(gateway.inbox(A)[-1]["text"])
    assert gateway.login("9261234567", password)[0] == 200
    assert password not in gateway.log()


def test_r04_sip_call_key_1_by_rfc4733_sends_a_password_sms(gateway, tmp_path):
    result = sipp(gateway, tmp_path, "call_rfc4733_dtmf.xml")
    assert_passed(result, tmp_path, gateway)
    password = password_in(gateway.inbox(A)[-1]["text"])
    assert gateway.login("9261234567", password)[0] == 200
    status, [record, *_] = gateway.get(f"/api/v1/handsets/{A}/calls")
    assert status == 200 and (record["transport"], record["to"], record["path"]) == ("sip", "0505", ["1"])
    assert record["end_reason"] == "completed" and record["answered_at"] and record["ended_at"]


def test_r11_sip_0505_from_roaming_is_480_and_the_long_number_is_charged(gateway, tmp_path):
    status, _ = gateway.request("PATCH", f"/api/v1/handsets/{A}", {"roaming": True})
    assert status == 200
    assert_passed(sipp(gateway, tmp_path, "call_refused.xml", to="0505"), tmp_path, gateway)
    assert_passed(sipp(gateway, tmp_path, "call_hang_up.xml", to="+79221110505"), tmp_path, gateway)
    assert gateway.get(f"/api/v1/subscribers/{A}")[1]["balance"] == "285.00"


def exchange(gateway, *datagrams: bytes, answers: int = 1) -> list[bytes]:
    """Datagrams to the SIP port from one socket, and the first `answers` datagrams back."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as client:
        client.settimeout(10)
        for datagram in datagrams:
            client.sendto(datagram, gateway.sip)
        return [client.recv(65535) for _ in range(answers)]


def options(call_id: str) -> bytes:
    return (
        "OPTIONS sip:0505@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKx\r\n"
        f"From: <sip:{A}@127.0.0.1>;tag=a\r\nTo: <sip:0505@127.0.0.1>\r\nCall-ID: {call_id}\r\n"
        "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"
    ).encode()


def test_sip_bad_datagrams_get_the_right_answer_and_the_uas_keeps_serving(gateway):
    # Garbage is dropped (no answer): the first answer on this socket is the OPTIONS' 200.
    [answer] = exchange(gateway, b"\x00\x01garbage that is not SIP", options("c1"))
    assert answer.startswith(b"SIP/2.0 200 ") and b"Call-ID: c1" in answer and b"Allow: INVITE" in answer
    no_sdp = options("c2").replace(b"OPTIONS", b"INVITE")
    trying, refused = exchange(gateway, no_sdp, answers=2)
    assert trying.startswith(b"SIP/2.0 100 ") and refused.startswith(b"SIP/2.0 488 ")
    bad_length = options("c3").replace(b"Content-Length: 0", b"Content-Length: many")
    [answer] = exchange(gateway, bad_length)
    assert answer.startswith(b"SIP/2.0 400 ")
    [answer] = exchange(gateway, options("c4").replace(b"OPTIONS", b"SUBSCRIBE"))
    assert answer.startswith(b"SIP/2.0 405 ") and b"Allow: INVITE" in answer
    [answer] = exchange(gateway, options("c5"))
    assert answer.startswith(b"SIP/2.0 200 ")


SDP = b"v=0\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n"


def invite_with_sdp(call_id: str, to: str, caller: str) -> bytes:
    return (options(call_id).replace(b"OPTIONS", b"INVITE").replace(b"sip:0505@", f"sip:{to}@".encode())
            .replace(A.encode(), caller.encode())
            .replace(b"Content-Length: 0\r\n", b"Content-Type: application/sdp\r\nContent-Length: %d\r\n" % len(SDP))
            + SDP)


def test_sip_unknown_number_is_404_and_unknown_caller_is_403(gateway):
    *_, final = exchange(gateway, invite_with_sdp("u1", "0999", A), answers=3)
    assert final.startswith(b"SIP/2.0 404 ")
    *_, final = exchange(gateway, invite_with_sdp("u2", "0505", "79990000000"), answers=3)
    assert final.startswith(b"SIP/2.0 403 ")


def test_sip_silent_caller_hears_the_prompt_then_the_gateway_hangs_up_by_the_digit_timer(tmp_path):
    config = tmp_path / "gateway.yaml"
    config.write_text("voice: {first_digit_timeout: 0.5, max_timeouts: 1}\n")
    gateway = GatewayProcess(tmp_path, "--config", str(config))
    gateway.start()
    try:
        # The spoken welcome lasts some seconds; the 0.5 s wait for a key starts after it.
        assert_passed(sipp(gateway, tmp_path, "call_silent.xml", timeout=60), tmp_path, gateway)
        status, [record] = gateway.get(f"/api/v1/handsets/{A}/calls")
        assert status == 200 and record["end_reason"] == "max_timeouts" and record["path"] == []
    finally:
        gateway.stop()


def test_sip_prompt_arrives_as_20ms_g711_rtp_packets(gateway):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as media, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as phone:
        media.bind(("127.0.0.1", 0))
        media.settimeout(10)
        phone.settimeout(10)
        sdp = SDP.replace(b"m=audio 9 RTP/AVP 0", b"m=audio %d RTP/AVP 8 0" % media.getsockname()[1])
        invite = invite_with_sdp("m1", "0505", A).replace(SDP, sdp).replace(
            b"Content-Length: %d" % len(SDP), b"Content-Length: %d" % len(sdp))
        phone.sendto(invite, gateway.sip)
        answers = [phone.recv(65535) for _ in range(3)]
        assert answers[-1].startswith(b"SIP/2.0 200 ") and b"a=rtpmap:8 PCMA/8000" in answers[-1]
        packets = [rtp.parse_rtp(media.recv(2048)) for _ in range(10)]
    assert packets[0].marker and not any(p.marker for p in packets[1:])
    assert {p.payload_type for p in packets} == {8} and {len(p.payload) for p in packets} == {160}
    assert [p.timestamp - packets[0].timestamp for p in packets] == [160 * n for n in range(10)]
    assert [(p.sequence - packets[0].sequence) % 65536 for p in packets] == list(range(10))
