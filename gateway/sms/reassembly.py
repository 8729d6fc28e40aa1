"""Long messages: segments (UDH concatenation element or SAR TLVs) collected until whole."""

# How it works
# ------------
# part_of() reads one submit_sm / deliver_sm / data_sm parameter dict: a UDH
# concatenation element (8- or 16-bit reference) or the sar_* TLVs make it a Part, keyed
# by (source, destination, reference); anything else is a whole message (None).
# Reassembler.add() keeps the octets of each part and returns the whole message once
# every seqnum 1..total is in, in any arrival order. Octets, not text, are joined: a
# sender may cut a GSM 7-bit escape pair or a UTF-16 surrogate pair between segments,
# so the text is decoded only from the joined octets. Nothing here reads a clock: the
# caller passes `now`, and expire(now) drops messages whose parts stopped coming.

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from gateway.sms.text import UDHI, Concat, split_udh

DEFAULT_TIMEOUT = 300.0  # seconds from a long message's first part to giving up on it


@dataclass(frozen=True)
class Part:
    """One segment of a long message."""

    key: tuple[str, str, int]  # (source_addr, destination_addr, reference)
    total: int
    seqnum: int
    data_coding: int
    payload: bytes


@dataclass(frozen=True)
class Whole:
    """A long message with every part in: its octets joined in seqnum order."""

    key: tuple[str, str, int]
    data_coding: int
    payload: bytes


def part_of(params: Mapping[str, object]) -> Part | None:
    """The Part a PDU's parameters carry, or None for a message that is whole by itself
    (no concatenation, a single-part "long" message, or numbers that make no sense)."""
    data = params.get("short_message") or params.get("message_payload") or b""
    concat: Concat | None = None
    if int(params.get("esm_class", 0) or 0) & UDHI:
        concat, data = split_udh(data)
    if concat is None and params.get("sar_msg_ref_num") is not None:
        concat = Concat(
            int(params["sar_msg_ref_num"]),
            int(params.get("sar_total_segments") or 0),
            int(params.get("sar_segment_seqnum") or 0),
        )
    if concat is None or concat.total < 2 or not 1 <= concat.seqnum <= concat.total:
        return None
    key = (str(params.get("source_addr", "")), str(params.get("destination_addr", "")), concat.reference)
    return Part(key, concat.total, concat.seqnum, int(params.get("data_coding", 0) or 0), data)


@dataclass
class _Partial:
    total: int
    data_coding: int
    started_at: float
    parts: dict[int, bytes] = field(default_factory=dict)


class Reassembler:
    """Long messages in progress, by key."""

    def __init__(self, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.timeout = timeout
        self._partials: dict[tuple[str, str, int], _Partial] = {}

    def __len__(self) -> int:
        return len(self._partials)

    def add(self, part: Part, now: float) -> Whole | None:
        """Keep a part; the Whole once the last missing one arrived, else None. A part that
        repeats a seqnum replaces it; one announcing another total starts the message over
        (the reference was reused)."""
        partial = self._partials.get(part.key)
        if partial is None or partial.total != part.total:
            partial = self._partials[part.key] = _Partial(part.total, part.data_coding, now)
        partial.parts[part.seqnum] = part.payload
        if len(partial.parts) < partial.total:
            return None
        del self._partials[part.key]
        payload = b"".join(partial.parts[i] for i in range(1, partial.total + 1))
        return Whole(part.key, partial.data_coding, payload)

    def expire(self, now: float) -> list[tuple[str, str, int]]:
        """Forget messages whose first part came more than `timeout` ago; their keys."""
        old = [k for k, p in self._partials.items() if now - p.started_at > self.timeout]
        for key in old:
            del self._partials[key]
        return old
