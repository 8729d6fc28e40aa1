"""SIP messages, SDP offer/answer and RFC 4733 keypad tones, pure (no sockets)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.ivr import rtp, sdp
from gateway.ivr.sip import (
    LocalProtocolError,
    NotSip,
    RemoteProtocolError,
    Request,
    Response,
    param,
    parse,
    serialise,
    uri_of,
    user_of,
)

INVITE = (
    b"INVITE sip:0505@127.0.0.1:5060 SIP/2.0\r\n"
    b"v: SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK2\r\n"
    b"f: \"Ivan\" <sip:+79261234567@10.0.0.1>;tag=abc\r\n"
    b"t: <sip:0505@127.0.0.1>\r\n"
    b"i: call-1@10.0.0.1\r\n"
    b"CSeq: 1 INVITE\r\n"
    b"Subject: a folded\r\n  header\r\n"
    b"c: application/sdp\r\n"
    b"l: 4\r\n\r\n"
    b"v=0\r\nthe rest is beyond Content-Length"
)


def test_request_with_compact_headers_folding_and_content_length():
    message = parse(INVITE)
    assert isinstance(message, Request)
    assert (message.method, message.uri) == ("INVITE", "sip:0505@127.0.0.1:5060")
    assert message.header("Via") == "SIP/2.0/UDP 10.0.0.1:5070;branch=z9hG4bK1"
    assert len(message.header_all("via")) == 2
    assert message.header("call-id") == message.header("i") == "call-1@10.0.0.1"
    assert message.header("subject") == "a folded header"
    assert message.body == b"v=0\r"
    assert message.cseq == (1, "INVITE")
    assert user_of(uri_of(message.header("from"))) == "+79261234567"
    assert param(message.header("from"), "tag") == "abc"
    assert param(message.header("to"), "tag") is None


def test_response_parses_and_round_trips():
    response = Response((("via", "SIP/2.0/UDP h;branch=z9hG4bK1"), ("from", "<sip:a@h>;tag=1"), ("to", "<sip:b@h>"),
                         ("call-id", "x"), ("cseq", "2 BYE")), b"", 200, "OK")
    data = serialise(response)
    assert data.startswith(b"SIP/2.0 200 OK\r\n") and b"Call-ID: x\r\n" in data and b"CSeq: 2 BYE" in data
    assert parse(data) == Response((*response.headers, ("content-length", "0")), b"", 200, "OK")


_token = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789.-", min_size=1, max_size=12)


@given(method=st.sampled_from(["INVITE", "BYE", "INFO", "OPTIONS", "CANCEL"]), user=_token, call_id=_token,
       number=st.integers(1, 2**31), body=st.binary(max_size=200))
def test_serialise_then_parse_is_identity(method, user, call_id, number, body):
    request = Request((("via", "SIP/2.0/UDP h:5060;branch=z9hG4bKa"), ("from", f"<sip:{user}@h>;tag=t"),
                       ("to", "<sip:0505@h>"), ("call-id", call_id), ("cseq", f"{number} {method}")),
                      body, method, f"sip:{user}@h")
    parsed = parse(serialise(request))
    assert parsed == Request((*request.headers, ("content-length", str(len(body)))), body, method, request.uri)


@pytest.mark.parametrize("data", [b"", b"\r\n\r\n", b"\x00\x01\x02", b"HELLO WORLD", b"GET / HTTP/1.1\r\n\r\n",
                                  b"INVITE sip:x SIP/2.0\r\n" + b"\xff\xfe: x\r\n\r\n"])
def test_not_sip_is_not_answered(data):
    with pytest.raises(NotSip):
        parse(data)


@pytest.mark.parametrize("change", [
    (b"l: 4", b"l: four"), (b"l: 4", b"l: 4000"), (b"CSeq: 1 INVITE", b"CSeq: 1 BYE"),
    (b"CSeq: 1 INVITE", b"CSeq: one"), (b"i: call-1@10.0.0.1\r\n", b""), (b"c: application", b"no colon here"),
])
def test_malformed_requests_are_remote_errors_with_what_was_read(change):
    with pytest.raises(RemoteProtocolError) as raised:
        parse(INVITE.replace(*change))
    assert not isinstance(raised.value, NotSip)
    assert raised.value.partial is not None and raised.value.partial.method == "INVITE"


def test_we_never_send_invalid_sip():
    with pytest.raises(LocalProtocolError):
        serialise(Request((("subject", "a\r\nInjected: 1"),), b"", "INFO", "sip:x@h"))
    with pytest.raises(LocalProtocolError):
        serialise(Response((), b"", 99, "Nope"))


OFFER = (b"v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n"
         b"m=audio 6000 RTP/AVP 18 8 0 96\r\na=rtpmap:18 G729/8000\r\na=rtpmap:8 PCMA/8000\r\n"
         b"a=rtpmap:0 PCMU/8000\r\na=rtpmap:96 telephone-event/8000\r\na=fmtp:96 0-16\r\n")


def test_sdp_answer_takes_the_first_g711_and_telephone_event_on_the_offers_pt():
    offer = sdp.parse_offer(OFFER)
    assert (offer.address, offer.port, offer.payload_types, offer.event_pt) == ("10.0.0.1", 6000, (18, 8, 0, 96), 96)
    answer = sdp.answer(offer, "127.0.0.1", 40000, 7)
    assert (answer.audio_pt, answer.event_pt) == (8, 96)
    text = answer.body.decode()
    assert "m=audio 40000 RTP/AVP 8 96\r\n" in text and "a=rtpmap:96 telephone-event/8000" in text
    assert "c=IN IP4 127.0.0.1" in text


def test_sdp_default_event_pt_101_and_pcmu_without_rtpmap():
    offer = sdp.parse_offer(b"v=0\nc=IN IP4 1.2.3.4\nm=audio 5004 RTP/AVP 0 101\na=rtpmap:101 telephone-event/8000\n")
    answer = sdp.answer(offer, "h", 1, 1)
    assert (answer.audio_pt, answer.event_pt) == (0, sdp.DEFAULT_EVENT_PT)


def test_sdp_without_g711_is_not_acceptable_and_garbage_is_an_error():
    with pytest.raises(sdp.NotAcceptable):
        sdp.answer(sdp.parse_offer(b"v=0\r\nc=IN IP4 1.2.3.4\r\nm=audio 5004 RTP/AVP 18\r\n"), "h", 1, 1)
    for body in (b"hello", b"v=0\r\nm=audio 5004 RTP/AVP 0\r\n", b"c=IN IP4 h\r\nm=audio x RTP/AVP 0\r\n",
                 b"\xff\xfe"):
        with pytest.raises(sdp.SdpError):
            sdp.parse_offer(body)


def tone(key: str, *, end: bool, timestamp: int, ssrc: int = 7, pt: int = 96, seq: int = 1) -> bytes:
    event = rtp.ToneEvent(rtp.KEYS.index(key), end, 10, 320)
    return rtp.build_rtp(rtp.RtpPacket(pt, not end, seq, timestamp, ssrc, rtp.build_event(event)))


def test_rfc4733_digit_reported_once_on_the_end_bit_despite_three_copies():
    receiver = rtp.DtmfReceiver(frozenset({96}))
    packets = [tone("1", end=False, timestamp=160)] * 3 + [tone("1", end=True, timestamp=160)] * 3
    packets += [tone("#", end=True, timestamp=960)] * 3 + [tone("#", end=True, timestamp=960, ssrc=8)]
    assert [d for d in map(receiver.receive, packets) if d] == ["1", "#", "#"]


def test_rfc4733_audio_and_other_payload_types_are_not_digits():
    receiver = rtp.DtmfReceiver(frozenset({101}))
    audio = rtp.build_rtp(rtp.RtpPacket(0, False, 1, 0, 1, b"\xff" * 160))
    assert receiver.receive(audio) is None
    assert receiver.receive(tone("5", end=True, timestamp=1, pt=96)) is None
    assert receiver.receive(tone("5", end=True, timestamp=1, pt=101)) == "5"
    with pytest.raises(rtp.RtpError):
        receiver.receive(b"\x00" * 12)
    with pytest.raises(rtp.RtpError):
        receiver.receive(rtp.build_rtp(rtp.RtpPacket(101, False, 1, 0, 1, b"\x01")))


@given(event=st.integers(0, 255), end=st.booleans(), volume=st.integers(0, 63), duration=st.integers(0, 65535),
       pt=st.integers(0, 127), seq=st.integers(0, 65535), ts=st.integers(0, 2**32 - 1), ssrc=st.integers(0, 2**32 - 1))
def test_rtp_and_event_round_trip(event, end, volume, duration, pt, seq, ts, ssrc):
    payload = rtp.build_event(rtp.ToneEvent(event, end, volume, duration))
    packet = rtp.RtpPacket(pt, end, seq, ts, ssrc, payload)
    assert rtp.parse_rtp(rtp.build_rtp(packet)) == packet
    assert rtp.parse_event(payload) == rtp.ToneEvent(event, end, volume, duration)


def test_g711_encoders_match_the_reference_tables():
    # Reference octets from Sun's g711.c as CPython's audioop computes them.
    samples = [-32768, -12345, -1000, -5, -1, 0, 1, 5, 1000, 12345, 32767]
    assert [rtp.linear_to_ulaw(s) for s in samples] == [0, 23, 78, 126, 126, 255, 255, 254, 206, 151, 128]
    assert [rtp.linear_to_alaw(s) for s in samples] == [42, 61, 122, 85, 85, 213, 213, 213, 250, 189, 170]


def test_tone_frames_are_20ms_of_g711_and_the_stream_counts_samples():
    frames = rtp.tone_frames(8, 440.0, 400)
    assert len(frames) == 20 and {len(frame) for frame in frames} == {160}
    stream = rtp.RtpStream(8, ssrc=1, sequence=65535, timestamp=2**32 - 160)
    first, second = (rtp.parse_rtp(stream.packet(frame)) for frame in frames[:2])
    assert (first.sequence, second.sequence, second.timestamp) == (65535, 0, 0)
