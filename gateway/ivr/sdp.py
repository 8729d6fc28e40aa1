"""SDP offer/answer for the voice menu (RFC 3264, RFC 4566): G.711 audio and telephone-event."""

from __future__ import annotations

from dataclasses import dataclass

AUDIO = {0: "PCMU/8000", 8: "PCMA/8000"}  # static payload types (RFC 3551), in our preference order
EVENT = "telephone-event/8000"
DEFAULT_EVENT_PT = 101


class SdpError(ValueError):
    """The peer's SDP cannot be read (400)."""


class NotAcceptable(ValueError):
    """Readable, but nothing in it we can take: no G.711 (488)."""


@dataclass(frozen=True)
class Offer:
    address: str
    port: int
    payload_types: tuple[int, ...]
    rtpmap: dict[int, str]

    @property
    def event_pt(self) -> int | None:
        return next((pt for pt in self.payload_types if self.rtpmap.get(pt, "").lower() == EVENT), None)


@dataclass(frozen=True)
class Answer:
    audio_pt: int
    event_pt: int | None
    body: bytes


def parse_offer(body: bytes) -> Offer:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SdpError("SDP is not UTF-8") from error
    address, port, pts, rtpmap, in_audio = "", None, (), {}, False
    for line in text.splitlines():
        kind, eq, value = line.strip().partition("=")
        if not eq or len(kind) != 1:
            continue
        if kind == "c" and (not address or in_audio):
            parts = value.split()
            if len(parts) != 3:
                raise SdpError(f"bad c= line {line!r}")
            address = parts[2].split("/", 1)[0]
        elif kind == "m":
            in_audio = value.startswith("audio ") and port is None
            if in_audio:
                parts = value.split()
                try:
                    port = int(parts[1].split("/", 1)[0])
                    pts = tuple(int(pt) for pt in parts[3:])
                except (IndexError, ValueError) as error:
                    raise SdpError(f"bad m= line {line!r}") from error
        elif kind == "a" and in_audio and value.startswith("rtpmap:"):
            number, _, encoding = value[len("rtpmap:"):].partition(" ")
            if number.isdigit():
                rtpmap[int(number)] = encoding.strip()
    if port is None:
        raise SdpError("no m=audio line")
    if not address:
        raise SdpError("no c= line")
    return Offer(address, port, pts, rtpmap)


def answer(offer: Offer, address: str, port: int, session: int) -> Answer:
    """Our answer: the first G.711 codec the offer lists, and telephone-event on its PT."""
    audio = next((pt for pt in offer.payload_types if pt in AUDIO
                  and offer.rtpmap.get(pt, AUDIO[pt]).upper() == AUDIO[pt].upper()), None)
    if audio is None:
        raise NotAcceptable("the offer has neither PCMU nor PCMA")
    event = offer.event_pt
    pts = [audio] + ([event] if event is not None else [])
    lines = [
        "v=0", f"o=gateway {session} {session} IN IP4 {address}", "s=voice menu",
        f"c=IN IP4 {address}", "t=0 0", f"m=audio {port} RTP/AVP {' '.join(map(str, pts))}",
        f"a=rtpmap:{audio} {AUDIO[audio]}",
    ]
    if event is not None:
        lines += [f"a=rtpmap:{event} {EVENT}", f"a=fmtp:{event} 0-15"]
    lines += ["a=ptime:20", "a=sendrecv"]
    return Answer(audio, event, ("\r\n".join(lines) + "\r\n").encode())
