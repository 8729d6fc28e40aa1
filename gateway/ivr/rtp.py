"""RTP packets (RFC 3550) and keypad tones carried as RFC 4733 telephone-events.

How it works: every packet of one key press carries the same RTP timestamp, the last
one with the end bit set, and that end packet is sent three times. A digit is reported
once, on the first end packet seen for its (SSRC, timestamp); the copies are dropped.
"""

from __future__ import annotations

import struct
from collections import OrderedDict
from dataclasses import dataclass

KEYS = "0123456789*#ABCD"  # event codes 0-15 (RFC 4733 §3.2)
REMEMBERED = 256


class RtpError(ValueError):
    """Not an RTP packet or not a telephone-event payload."""


@dataclass(frozen=True)
class RtpPacket:
    payload_type: int
    marker: bool
    sequence: int
    timestamp: int
    ssrc: int
    payload: bytes


@dataclass(frozen=True)
class ToneEvent:
    event: int
    end: bool
    volume: int
    duration: int

    @property
    def key(self) -> str | None:
        return KEYS[self.event] if self.event < len(KEYS) else None


def parse_rtp(data: bytes) -> RtpPacket:
    if len(data) < 12:
        raise RtpError("shorter than an RTP header")
    first, second, sequence, timestamp, ssrc = struct.unpack("!BBHII", data[:12])
    if first >> 6 != 2:
        raise RtpError("not RTP version 2")
    offset = 12 + 4 * (first & 0x0F)
    if first & 0x10:  # header extension
        if len(data) < offset + 4:
            raise RtpError("truncated header extension")
        (words,) = struct.unpack("!H", data[offset + 2:offset + 4])
        offset += 4 + 4 * words
    end = len(data)
    if first & 0x20:  # padding, its length in the last octet
        end -= data[-1]
    if offset > end:
        raise RtpError("truncated packet")
    return RtpPacket(second & 0x7F, bool(second & 0x80), sequence, timestamp, ssrc, data[offset:end])


def build_rtp(packet: RtpPacket) -> bytes:
    second = (0x80 if packet.marker else 0) | packet.payload_type
    return struct.pack("!BBHII", 0x80, second, packet.sequence, packet.timestamp, packet.ssrc) + packet.payload


def parse_event(payload: bytes) -> ToneEvent:
    if len(payload) < 4:
        raise RtpError("telephone-event payload is 4 octets")
    event, flags, duration = struct.unpack("!BBH", payload[:4])
    return ToneEvent(event, bool(flags & 0x80), flags & 0x3F, duration)


def build_event(event: ToneEvent) -> bytes:
    return struct.pack("!BBH", event.event, (0x80 if event.end else 0) | event.volume, event.duration)


class DtmfReceiver:
    """Keypad digits out of an RTP stream; `event_pts` are the telephone-event payload types."""

    def __init__(self, event_pts: frozenset[int]) -> None:
        self.event_pts = event_pts
        self._seen: OrderedDict[tuple[int, int], None] = OrderedDict()

    def receive(self, data: bytes) -> str | None:
        """The digit this packet completes, or None (audio, a tone still held, a copy)."""
        packet = parse_rtp(data)
        if packet.payload_type not in self.event_pts:
            return None
        event = parse_event(packet.payload)
        if not event.end or event.key is None:
            return None
        tone = (packet.ssrc, packet.timestamp)
        if tone in self._seen:
            return None
        self._seen[tone] = None
        while len(self._seen) > REMEMBERED:
            self._seen.popitem(last=False)
        return event.key


# -- prompts as G.711 tones ---------------------------------------------------------------

SAMPLE_RATE = 8000
FRAME = 160  # samples in 20 ms
_ULAW_SEGMENTS = (0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF, 0x1FFF)
_ALAW_SEGMENTS = (0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF)


def _segment(value: int, ends: tuple[int, ...]) -> int:
    return next((i for i, end in enumerate(ends) if value <= end), len(ends))


def linear_to_ulaw(sample: int) -> int:
    """One 16-bit linear sample as a G.711 µ-law octet (as Sun's g711.c and CPython's audioop)."""
    value = sample >> 2
    mask = 0xFF
    if value < 0:
        value, mask = -value, 0x7F
    value = min(value, 8159) + (0x84 >> 2)
    segment = _segment(value, _ULAW_SEGMENTS)
    if segment >= 8:
        return 0x7F ^ mask
    return ((segment << 4) | ((value >> (segment + 1)) & 0x0F)) ^ mask


def linear_to_alaw(sample: int) -> int:
    """One 16-bit linear sample as a G.711 A-law octet (as Sun's g711.c and CPython's audioop)."""
    value = sample >> 3
    mask = 0xD5
    if value < 0:
        value, mask = -value - 1, 0x55
    segment = _segment(value, _ALAW_SEGMENTS)
    if segment >= 8:
        return 0x7F ^ mask
    shift = 1 if segment < 2 else segment
    return ((segment << 4) | ((value >> shift) & 0x0F)) ^ mask


ENCODERS = {0: linear_to_ulaw, 8: linear_to_alaw}


def tone_frames(payload_type: int, frequency: float, milliseconds: int, amplitude: int = 6000) -> list[bytes]:
    """A sine tone as 20 ms G.711 frames of the given payload type (0 PCMU, 8 PCMA)."""
    import math

    encode = ENCODERS[payload_type]
    samples = [encode(int(amplitude * math.sin(2 * math.pi * frequency * n / SAMPLE_RATE)))
               for n in range(SAMPLE_RATE * milliseconds // 1000)]
    return [bytes(samples[i:i + FRAME]) for i in range(0, len(samples) - FRAME + 1, FRAME)]


class RtpStream:
    """Outgoing packets of one stream: sequence and timestamp advance with each frame."""

    def __init__(self, payload_type: int, ssrc: int, sequence: int = 0, timestamp: int = 0) -> None:
        self.payload_type, self.ssrc = payload_type, ssrc
        self.sequence, self.timestamp = sequence, timestamp

    def packet(self, payload: bytes, marker: bool = False) -> bytes:
        data = build_rtp(RtpPacket(self.payload_type, marker, self.sequence, self.timestamp, self.ssrc, payload))
        self.sequence = (self.sequence + 1) & 0xFFFF
        self.timestamp = (self.timestamp + len(payload)) & 0xFFFFFFFF
        return data
