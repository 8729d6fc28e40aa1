"""The SIP UAS driven directly (pure) and through its Twisted datagram adapter over fakes."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from core.errors import UnknownSubscriber
from core.voice import NotConnected
from gateway.ivr import rtp
from gateway.ivr.errors import UnknownVoiceNumber
from gateway.ivr.protocol import SipProtocol
from gateway.ivr.session import Timers
from gateway.ivr.sip import Request, Response, param, parse, serialise
from gateway.ivr.speech import Prompts
from gateway.ivr.uas import (
    T1,
    T2,
    T4,
    Arm,
    CloseMedia,
    Disarm,
    HangUp,
    PressKeys,
    Send,
    StartCall,
    UserAgentServer,
    info_digits,
)
from tests.ivrkit import A, Voice

PHONE = ("10.0.0.1", 5070)
SDP = (b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
       b"m=audio 6000 RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n")


def request(method: str, *, cseq: int = 1, to_tag: str | None = None, call_id: str = "c1", to: str = "0505",
            caller: str = "+79261234567", body: bytes = b"", content_type: str | None = None) -> bytes:
    headers = [
        ("via", f"SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK{method}{cseq}"),
        ("from", f"<sip:{caller}@10.0.0.1>;tag=phone"),
        ("to", f"<sip:{to}@127.0.0.1>" + (f";tag={to_tag}" if to_tag else "")),
        ("call-id", call_id), ("cseq", f"{cseq} {'INVITE' if method == 'ACK' else method}"),
        ("contact", f"<sip:{caller}@10.0.0.1:5070>"),
    ]
    if content_type:
        headers.append(("content-type", content_type))
    return serialise(Request(tuple(headers), body, method, f"sip:{to}@127.0.0.1"))


def invite(**kw) -> bytes:
    return request("INVITE", body=SDP, content_type="application/sdp", **kw)


def statuses(actions) -> list[int]:
    return [a.message.status for a in actions if isinstance(a, Send) and isinstance(a.message, Response)]


def answered(uas: UserAgentServer, call_id: str = "c1") -> str:
    """Bring call c1 to a confirmed dialog; its local tag."""
    actions = uas.receive(invite(call_id=call_id), PHONE)
    assert statuses(actions) == [100, 180]
    assert actions[-1] == StartCall(call_id, "79261234567", "0505")
    actions = uas.call_answered(call_id, "v-" + call_id, 40000)
    ok, arm = actions
    assert arm == Arm(call_id, T1)  # the 200 is sent again until its ACK
    assert ok.message.status == 200 and ok.message.header("content-type") == "application/sdp"
    assert b"m=audio 40000 RTP/AVP 0 101" in ok.message.body
    assert ok.message.header("contact") is not None
    tag = param(ok.message.header("to"), "tag")
    assert uas.receive(request("ACK", to_tag=tag, call_id=call_id), PHONE) == [Disarm(call_id)]
    assert uas.receive(request("ACK", to_tag=tag, call_id=call_id), PHONE) == []  # a copy
    return tag


@pytest.mark.parametrize("name", ["sip.py", "sdp.py", "rtp.py", "uas.py", "audio.py", "session.py"])
def test_sans_io_sip_modules_never_touch_twisted(name):
    tree = ast.parse((Path(__file__).resolve().parent.parent / "gateway" / "ivr" / name).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {module for module in imported if module.startswith("twisted")}


def test_invite_answered_then_bye_hangs_up():
    uas = UserAgentServer("127.0.0.1")
    tag = answered(uas)
    actions = uas.receive(request("BYE", cseq=2, to_tag=tag), PHONE)
    assert statuses(actions) == [200]
    assert actions[1:] == [CloseMedia("c1"), Disarm("c1"), HangUp("c1", "v-c1")]
    assert statuses(uas.receive(request("BYE", cseq=3, to_tag=tag), PHONE)) == [481]


def test_invite_retransmission_gets_the_last_response_again():
    uas = UserAgentServer("127.0.0.1")
    tag = answered(uas)
    again = uas.receive(invite(), PHONE)
    assert statuses(again) == [200] and param(again[0].message.header("to"), "tag") == tag


def test_info_dtmf_relay_and_dtmf_reach_the_call():
    uas = UserAgentServer("127.0.0.1")
    tag = answered(uas)
    actions = uas.receive(request("INFO", cseq=2, to_tag=tag, body=b"Signal=5\r\nDuration=160\r\n",
                                  content_type="application/dtmf-relay"), PHONE)
    assert statuses(actions) == [200] and actions[1] == PressKeys("c1", "v-c1", "5")
    actions = uas.receive(request("INFO", cseq=3, to_tag=tag, body=b"11", content_type="application/dtmf"), PHONE)
    assert actions[1] == PressKeys("c1", "v-c1", "#")
    bad = uas.receive(request("INFO", cseq=4, to_tag=tag, body=b"Signal=X", content_type="application/dtmf-relay"),
                      PHONE)
    assert statuses(bad) == [400]
    assert statuses(uas.receive(request("INFO", cseq=5, to_tag=tag, body=b"x", content_type="text/plain"),
                                PHONE)) == [415]
    assert statuses(uas.receive(request("INFO", cseq=6, to_tag="other", body=b"1",
                                        content_type="application/dtmf"), PHONE)) == [481]


@pytest.mark.parametrize(("content_type", "body", "digits"), [
    ("application/dtmf-relay", b"Signal=*\nDuration=250", "*"), ("application/dtmf-relay", b"Signal=10", "*"),
    ("application/dtmf-relay", b"Duration=250", None), ("application/dtmf", b"D", "D"),
    ("application/dtmf", b"12", None), ("application/dtmf-relay", b"Signal=16", ""),
])
def test_info_bodies(content_type, body, digits):
    assert info_digits(content_type, body) == digits


def test_cancel_before_answer_is_200_and_487_and_a_late_answer_hangs_up():
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    actions = uas.receive(request("CANCEL"), PHONE)
    assert statuses(actions) == [200, 487]
    assert actions[1].message.cseq == (1, "INVITE")
    assert uas.call_answered("c1", "v-c1", 40000) == [CloseMedia("c1"), HangUp("c1", "v-c1")]
    assert statuses(uas.receive(request("CANCEL", call_id="nope"), PHONE)) == [481]


def test_reinvite_is_488_and_options_lists_allow():
    uas = UserAgentServer("127.0.0.1")
    tag = answered(uas)
    assert statuses(uas.receive(invite(cseq=2, to_tag=tag), PHONE)) == [488]
    [ok] = uas.receive(request("OPTIONS", call_id="x"), PHONE)
    assert ok.message.status == 200 and "INFO" in ok.message.header("allow")


def test_unknown_methods_405_and_malformed_400_and_garbage_dropped():
    uas = UserAgentServer("127.0.0.1")
    [answer] = uas.receive(request("SUBSCRIBE"), PHONE)
    assert answer.message.status == 405 and answer.message.header("allow")
    bad = request("OPTIONS").replace(b"CSeq: 1 OPTIONS", b"CSeq: 1 BYE")
    assert statuses(uas.receive(bad, PHONE)) == [400]
    assert uas.receive(b"\x16\x03\x01 not sip", PHONE) == []
    assert uas.receive(request("ACK").replace(b"Call-ID: c1\r\n", b""), PHONE) == []


def test_invite_without_usable_sdp_or_caller():
    uas = UserAgentServer("127.0.0.1")
    assert statuses(uas.receive(request("INVITE"), PHONE)) == [100, 488]
    assert statuses(uas.receive(request("INVITE", call_id="c2", body=b"x", content_type="text/plain"),
                                PHONE)) == [100, 415]
    assert statuses(uas.receive(request("INVITE", call_id="c3", body=b"junk", content_type="application/sdp"),
                                PHONE)) == [100, 400]
    no_g711 = SDP.replace(b"RTP/AVP 0 101", b"RTP/AVP 18")
    assert statuses(uas.receive(request("INVITE", call_id="c4", body=no_g711, content_type="application/sdp"),
                                PHONE)) == [100, 488]
    assert statuses(uas.receive(invite(call_id="c5", caller="anonymous"), PHONE)) == [100, 403]


@pytest.mark.parametrize(("error", "status"), [
    (NotConnected("roaming"), 480), (UnknownVoiceNumber("0999"), 404), (UnknownSubscriber("who"), 403),
    (RuntimeError("boom"), 500),
])
def test_r11_call_failures_map_to_sip_statuses(error, status):
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    final, arm = uas.call_failed("c1", error)
    assert final.message.status == status and param(final.message.header("to"), "tag")
    assert arm == Arm("c1", T1)


def test_a_refusal_is_sent_again_until_its_ack_then_the_transaction_ends():
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    refusal, arm = uas.call_failed("c1", NotConnected("roaming"))
    delays = [arm.delay]
    for _ in range(3):
        again, arm = uas.timer_fired("c1")
        assert again.message == refusal.message
        delays.append(arm.delay)
    assert delays == [T1, 2 * T1, 4 * T1, T2]
    assert statuses(uas.receive(invite(), PHONE)) == [480]  # the INVITE again: the same answer
    tag = param(refusal.message.header("to"), "tag")
    assert uas.receive(request("ACK", to_tag=tag), PHONE) == [Arm("c1", T4)]
    assert uas.receive(request("ACK", to_tag=tag), PHONE) == []  # a copy of the ACK is absorbed
    assert uas.timer_fired("c1") == [] and "c1" not in uas.dialogs


def test_a_refusal_without_ack_is_given_up_after_64_t1():
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    _, arm = uas.call_failed("c1", UnknownVoiceNumber("0999"))
    waited, resent = arm.delay, 0
    while actions := uas.timer_fired("c1"):
        resent += 1
        waited += actions[-1].delay
    assert waited == 64 * T1 and resent == 10 and "c1" not in uas.dialogs


def test_cancel_answers_487_until_its_ack():
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    ok, refusal, arm = uas.receive(request("CANCEL"), PHONE)
    assert (ok.message.status, refusal.message.status, arm) == (200, 487, Arm("c1", T1))
    again, _ = uas.timer_fired("c1")
    assert again.message.status == 487


def test_menu_goodbye_sends_bye_in_the_dialog():
    uas = UserAgentServer("127.0.0.1", 5060)
    tag = answered(uas)
    bye, close, disarm = uas.call_ended("v-c1")
    assert close == CloseMedia("c1") and disarm == Disarm("c1")
    assert bye.message.method == "BYE" and bye.message.uri == "sip:+79261234567@10.0.0.1:5070"
    assert param(bye.message.header("from"), "tag") == tag and param(bye.message.header("to"), "tag") == "phone"
    assert uas.call_ended("v-c1") == []
    assert statuses(uas.receive(request("BYE", cseq=2, to_tag=tag), PHONE)) == [481]
    assert "c1" not in uas.dialogs


def test_the_200_is_sent_again_t1_doubling_to_t2_until_ack():
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    ok, arm = uas.call_answered("c1", "v-c1", 40000)
    delays, sent = [arm.delay], []
    for _ in range(4):
        again, arm = uas.timer_fired("c1")
        sent.append(again.message)
        delays.append(arm.delay)
    assert delays == [T1, 2 * T1, 4 * T1, T2, T2] and all(m == ok.message for m in sent)
    tag = param(ok.message.header("to"), "tag")
    assert uas.receive(request("ACK", to_tag=tag), PHONE) == [Disarm("c1")]
    assert uas.timer_fired("c1") == []  # a timer that fires late does nothing


def test_no_ack_within_64_t1_ends_the_call_with_a_bye():
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    _, arm = uas.call_answered("c1", "v-c1", 40000)
    waited, resent = arm.delay, 0
    while True:
        actions = uas.timer_fired("c1")
        if not any(isinstance(a, Arm) for a in actions):
            break
        resent += 1
        waited += actions[-1].delay
    # Sent again after 0.5 1.5 3.5 7.5 … 31.5 s; at 32 s (64·T1) the call is given up.
    assert waited == 64 * T1 and resent == 10
    bye, close, disarm, hang_up = actions
    assert bye.message.method == "BYE" and close == CloseMedia("c1") and disarm == Disarm("c1")
    assert hang_up == HangUp("c1", "v-c1", "no_ack")
    assert "c1" not in uas.dialogs


def test_an_invite_retransmitted_before_the_answer_gets_the_180_again():
    uas = UserAgentServer("127.0.0.1")
    uas.receive(invite(), PHONE)
    assert statuses(uas.receive(invite(), PHONE)) == [180]


# -- the adapter, over a real VoiceService, a task.Clock and in-memory UDP transports -------

class FakeTransport:
    """A UDP port's transport as Twisted gives it, keeping what was written."""

    def __init__(self) -> None:
        self.written: list[tuple[bytes, tuple[str, int]]] = []

    def write(self, data: bytes, addr) -> None:
        self.written.append((data, addr))

    def getHost(self):  # noqa: N802 - Twisted's name
        return FakeAddress(5062)

    def messages(self) -> list:
        return [parse(data) for data, _ in self.written]


class FakeAddress:
    def __init__(self, port: int) -> None:
        self.port = port


class FakePort:
    """A listening UDP port as reactor.listenUDP returns it, with its protocol connected."""

    def __init__(self, protocol) -> None:
        self.protocol = protocol
        self.stopped = False
        protocol.makeConnection(FakeTransport())

    def getHost(self):  # noqa: N802 - Twisted's name
        return FakeAddress(40000)

    def stopListening(self):  # noqa: N802 - Twisted's name
        self.stopped = True
        self.protocol.doStop()


def adapter(timers: Timers | None = None):
    voice, ports = Voice(timers), []
    protocol = SipProtocol(UserAgentServer("127.0.0.1"), voice.service, lambda rtp_protocol: ports.append(
        FakePort(rtp_protocol)) or ports[-1], voice.clock, Prompts(run_in_thread=None))
    protocol.transport = transport = FakeTransport()
    protocol.startProtocol()
    return protocol, transport, voice, ports


def connected(protocol, transport) -> str:
    protocol.datagramReceived(invite(), PHONE)
    ok = transport.messages()[-1]
    assert ok.status == 200
    tag = param(ok.header("to"), "tag")
    protocol.datagramReceived(request("ACK", to_tag=tag), PHONE)
    return tag


def test_adapter_plays_the_prompt_in_20ms_packets_on_the_clock_and_a_key_cuts_it():
    protocol, transport, voice, ports = adapter()
    tag = connected(protocol, transport)
    media = ports[0].protocol.transport
    assert len(media.written) == 1  # the first frame at once
    voice.clock.pump([0.020] * 4)
    assert len(media.written) == 5
    packets = [rtp.parse_rtp(data) for data, _ in media.written]
    assert {addr for _, addr in media.written} == {("10.0.0.1", 6000)}
    assert [p.payload_type for p in packets] == [0] * 5 and [p.marker for p in packets] == [True] + [False] * 4
    assert [p.timestamp - packets[0].timestamp for p in packets] == [0, 160, 320, 480, 640]
    assert [(p.sequence - packets[0].sequence) % 65536 for p in packets] == [0, 1, 2, 3, 4]
    assert all(len(p.payload) == 160 for p in packets)
    protocol.datagramReceived(request("INFO", cseq=2, to_tag=tag, body=b"3", content_type="application/dtmf"),
                              PHONE)
    assert rtp.parse_rtp(media.written[-1][0]).marker  # the next menu's prompt starts over at once
    sent = len(media.written)
    voice.clock.pump([0.020] * 40)
    assert len(media.written) == sent + 19  # 400 ms of tone in all, then silence


def test_adapter_first_digit_timeouts_repeat_the_prompt_then_the_gateway_says_goodbye_and_sends_bye():
    protocol, transport, voice, ports = adapter(Timers(first_digit=2.0, max_timeouts=2))
    connected(protocol, transport)
    media = ports[0].protocol.transport
    voice.clock.pump([0.02] * 20)  # the prompt is played (0.4 s); the timer starts after it
    assert len(media.written) == 20
    voice.clock.pump([0.1] * 19)
    assert len(media.written) == 20  # 2.3 s after the answer: still waiting
    voice.clock.pump([0.1] * 2)
    assert len(media.written) == 21 and rtp.parse_rtp(media.written[-1][0]).marker  # the prompt again
    [call] = voice.service.calls.values()
    assert call.prompt.startswith("Вы ничего не выбрали.")
    voice.clock.pump([0.02] * 20 + [0.1] * 21)  # played again; 2 s more without a key: the goodbye
    assert voice.seen[-1].end_reason.value == "max_timeouts" and transport.messages()[-1].status == 200
    voice.clock.pump([0.02] * 21)
    assert transport.messages()[-1].method == "BYE"  # after the goodbye was played
    assert ports[0].stopped and voice.seen[-1].end_reason.value == "max_timeouts"


def test_r04_adapter_rfc4733_digit_ends_the_menu_and_the_gateway_sends_bye():
    protocol, transport, voice, ports = adapter()
    protocol.datagramReceived(invite(), PHONE)
    assert [m.status for m in transport.messages()] == [100, 180, 200]
    ok = transport.messages()[-1]
    assert b"m=audio 40000 " in ok.body and "127.0.0.1:5062" in ok.header("contact")
    media = ports[0].protocol
    end = rtp.build_event(rtp.ToneEvent(1, True, 10, 800))
    for _ in range(3):
        media.datagramReceived(rtp.build_rtp(rtp.RtpPacket(101, False, 9, 480, 5, end)), ("10.0.0.1", 6000))
    [ended] = [c for c in voice.seen if c.state.value == "ended"]
    assert ended.path == ("1",) and ended.prompt.startswith("Пароль отправлен вам в SMS.")
    voice.clock.pump([0.02] * 25)  # the goodbye tone, then the BYE
    bye = transport.messages()[-1]
    assert bye.method == "BYE" and transport.written[-1][1] == PHONE
    assert ports[0].stopped
    with voice.store.transaction() as uow:
        assert "Пароль" in uow.messages.inbox(A, None)[-1].text


def test_adapter_info_then_caller_bye():
    protocol, transport, voice, ports = adapter()
    tag = connected(protocol, transport)
    protocol.datagramReceived(request("INFO", cseq=2, to_tag=tag, body=b"Signal=3\r\n",
                                      content_type="application/dtmf-relay"), PHONE)
    protocol.datagramReceived(request("BYE", cseq=3, to_tag=tag), PHONE)
    assert [m.status for m in transport.messages()][-2:] == [200, 200]
    [ended] = [c for c in voice.seen if c.state.value == "ended"]
    assert ended.path == ("3",) and ended.end_reason.value == "hung_up" and ended.transport == "sip"
    assert ports[0].stopped and protocol.close() == [] and not voice.clock.getDelayedCalls()


def test_adapter_sends_the_200_again_until_ack_and_hangs_up_without_one():
    protocol, transport, voice, ports = adapter(Timers(first_digit=100))
    protocol.datagramReceived(invite(), PHONE)
    voice.clock.pump([0.5, 1.0, 2.0, 4.0])
    assert [m.status for m in transport.messages()] == [100, 180, 200, 200, 200, 200, 200]
    voice.clock.pump([4.0] * 7)
    assert transport.messages()[-1].method == "BYE"
    assert voice.seen[-1].end_reason.value == "no_ack" and ports[0].stopped
    voice.clock.pump([4.0] * 3)
    assert transport.messages()[-1].method == "BYE"  # nothing more after giving up


def test_adapter_stops_sending_the_200_at_the_ack():
    protocol, transport, voice, _ = adapter()
    protocol.datagramReceived(invite(), PHONE)
    voice.clock.advance(0.5)
    tag = param(transport.messages()[-1].header("to"), "tag")
    protocol.datagramReceived(request("ACK", to_tag=tag), PHONE)
    voice.clock.pump([0.5] * 20)
    assert [m.status for m in transport.messages() if isinstance(m, Response)] == [100, 180, 200, 200]


def test_r11_adapter_not_connected_is_480():
    protocol, transport, voice, _ = adapter()
    protocol.datagramReceived(invite(caller="+79267777777"), PHONE)
    assert transport.messages()[-1].status == 480


def test_adapter_unknown_number_is_404():
    protocol, transport, voice, _ = adapter()
    protocol.datagramReceived(invite(to="0999"), PHONE)
    assert transport.messages()[-1].status == 404
