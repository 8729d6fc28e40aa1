"""Message text on the SMPP wire: GSM 03.38 / UCS-2 coding, UDH and concatenated segments."""

from __future__ import annotations

from typing import NamedTuple

from menus.alphabet import BASIC as _BASIC
from menus.alphabet import ESC as _ESC
from menus.alphabet import EXTENSION as _EXTENSION
from menus.alphabet import GSM_CHARS as _GSM_CHARS
from menus.alphabet import is_gsm7

GSM7 = 0x00  # SMSC default alphabet: GSM 03.38, one septet per octet (unpacked)
ASCII = 0x01
LATIN1 = 0x03
UCS2 = 0x08
UDHI = 0x40  # esm_class bit: short_message starts with a user data header

GSM7_SINGLE, GSM7_PART = 160, 153  # septets; a 6-octet UDH costs 7 septets
UCS2_SINGLE, UCS2_PART = 70, 67  # UTF-16 code units; the UDH costs 3
MAX_SEGMENTS = 255

_ENCODE: dict[int, bytes] = {ord(c): bytes([i]) for i, c in enumerate(_BASIC) if i != _ESC}
_ENCODE.update({ord(c): bytes([_ESC, code]) for c, code in _EXTENSION.items()})
# str.translate tables: text -> septets as code points (then latin-1 gives the octets),
# and octets (read as latin-1) -> text, octets above 0x7F being no septet at all.
_TO_GSM = {o: septets.decode("latin-1") for o, septets in _ENCODE.items()}
_FROM_GSM = {i: (_BASIC[i] if i < 0x80 else "\ufffd") for i in range(256) if i != _ESC}
_DECODE_EXTENSION = {code: c for c, code in _EXTENSION.items()}


class Concat(NamedTuple):
    """The concatenation element of a UDH: which part of which long message this is."""

    reference: int
    total: int
    seqnum: int


def gsm7_encode(text: str) -> bytes:
    """GSM 03.38, unpacked; raises ValueError for characters outside the alphabet."""
    if not _GSM_CHARS.issuperset(text):
        bad = next(c for c in text if c not in _GSM_CHARS)
        raise ValueError(f"{bad!r} is not in the GSM 03.38 alphabet")
    return text.translate(_TO_GSM).encode("latin-1")


def gsm7_decode(data: bytes) -> str:
    """Unpacked GSM 03.38 to text; unknown escapes fall back to the basic table (TS 23.038)."""
    if _ESC not in data:
        return data.decode("latin-1").translate(_FROM_GSM)
    out: list[str] = []
    i, n = 0, len(data)
    while i < n:
        octet = data[i]
        if octet == _ESC:
            if i + 1 == n:
                break  # a dangling escape carries no character
            code = data[i + 1]
            # ESC ESC is reserved for another extension table: show a space, as the spec says.
            out.append(" " if code == _ESC else _DECODE_EXTENSION.get(code, _basic_char(code)))
            i += 2
        else:
            out.append(_basic_char(octet))
            i += 1
    return "".join(out)


def encode_text(text: str) -> tuple[int, bytes]:
    """(data_coding, octets): GSM 03.38 when every character fits, else UCS-2."""
    if is_gsm7(text):
        return GSM7, gsm7_encode(text)
    return UCS2, text.encode("utf-16-be")


def decode_text(data_coding: int, data: bytes) -> str:
    """Octets of short_message or message_payload to text, leniently (bad octets become U+FFFD)."""
    if data_coding == GSM7:
        return gsm7_decode(data)
    if data_coding == UCS2:
        return data.decode("utf-16-be", errors="replace")
    if data_coding == ASCII:
        return data.decode("ascii", errors="replace")
    if 0xF0 <= data_coding <= 0xFF:  # GSM message-class DCS: bit 2 picks 8-bit over GSM7
        return data.decode("latin-1") if data_coding & 0x04 else gsm7_decode(data)
    codec = _EIGHT_BIT.get(data_coding, "latin-1")  # 2/4 (binary) and unknown: octets as-is
    return data.decode(codec, errors="replace")


def split_udh(data: bytes) -> tuple[Concat | None, bytes]:
    """Strip a user data header (esm_class has UDHI); return its concatenation element, if any."""
    if not data:
        return None, data
    udhl = data[0]
    if udhl + 1 > len(data):
        return None, data  # not a real header; better show the octets than drop them
    udh, payload = data[1 : udhl + 1], data[udhl + 1 :]
    concat, i = None, 0
    while i + 2 <= len(udh):
        iei, iedl = udh[i], udh[i + 1]
        value = udh[i + 2 : i + 2 + iedl]
        if iei == 0x00 and iedl == 3:
            concat = Concat(value[0], value[1], value[2])
        elif iei == 0x08 and iedl == 4:
            concat = Concat(int.from_bytes(value[:2], "big"), value[2], value[3])
        i += 2 + iedl
    return concat, payload


def segments(text: str, reference: int = 0) -> list[tuple[int, int, bytes]]:
    """Split text into (esm_class, data_coding, short_message) parts, with an 8-bit concat UDH
    when it does not fit one message. Never splits an escape pair or a surrogate pair."""
    if is_gsm7(text):
        coding, single, part = GSM7, GSM7_SINGLE, GSM7_PART
        units = [_ENCODE[ord(c)] for c in text]
    else:  # UCS-2 limits are in code units; count octets, two per unit
        coding, single, part = UCS2, UCS2_SINGLE * 2, UCS2_PART * 2
        units = [c.encode("utf-16-be") for c in text]
    if sum(len(u) for u in units) <= single:
        return [(0, coding, b"".join(units))]
    chunks: list[bytes] = []
    current: list[bytes] = []
    size = 0
    for unit in units:  # a unit is one character: an escape pair or a surrogate pair stay whole
        if size + len(unit) > part:
            chunks.append(b"".join(current))
            current, size = [], 0
        current.append(unit)
        size += len(unit)
    chunks.append(b"".join(current))
    if len(chunks) > MAX_SEGMENTS:
        raise ValueError(f"text needs {len(chunks)} segments, more than {MAX_SEGMENTS}")
    ref = reference & 0xFF
    return [
        (UDHI, coding, bytes([5, 0x00, 3, ref, len(chunks), i]) + chunk)
        for i, chunk in enumerate(chunks, start=1)
    ]


_EIGHT_BIT = {LATIN1: "latin-1", 0x06: "iso8859_5", 0x07: "iso8859_8"}


def _basic_char(septet: int) -> str:
    return _BASIC[septet] if septet < 0x80 and septet != _ESC else "\ufffd"
