"""Message text on SMPP: GSM 03.38, UCS-2, UDH and segmentation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.sms.text import (
    GSM7,
    UCS2,
    UDHI,
    Concat,
    decode_text,
    encode_text,
    gsm7_decode,
    gsm7_encode,
    is_gsm7,
    segments,
    split_udh,
)

GSM_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM_EXTENSION = "\f^{}\\[~]|€"


def test_extension_characters_are_escape_pairs():
    # Octets verified with the gsm0338 codec (PROTOCOLS.md §4.2).
    assert gsm7_encode("{}[]~|\\^€").hex() == "1b281b291b3c1b3e1b3d1b401b2f1b141b65"
    assert gsm7_decode(bytes.fromhex("1b281b291b3c1b3e1b3d1b401b2f1b141b65")) == "{}[]~|\\^€"


@pytest.mark.parametrize(
    ("char", "septet"),
    [("@", 0x00), ("$", 0x02), ("\n", 0x0A), ("_", 0x11), ("¤", 0x24), ("¡", 0x40),
     ("§", 0x5F), ("¿", 0x60), ("à", 0x7F)],
)  # fmt: skip
def test_the_classic_ascii_mapping_traps(char, septet):
    assert gsm7_encode(char) == bytes([septet])


def test_whole_basic_table_round_trips():
    assert gsm7_decode(gsm7_encode(GSM_BASIC)) == GSM_BASIC
    assert len(gsm7_encode(GSM_BASIC)) == 127  # every septet but the escape


def test_encode_text_picks_the_alphabet():
    assert encode_text("Баланс: 300.00 руб") == (UCS2, "Баланс: 300.00 руб".encode("utf-16-be"))
    assert encode_text("Price 5€ [ok]") == (GSM7, gsm7_encode("Price 5€ [ok]"))
    assert not is_gsm7("`")  # the grave accent is not in GSM 03.38
    with pytest.raises(ValueError):
        gsm7_encode("Привет")


def test_lenient_gsm_decoding():
    assert gsm7_decode(b"\x1b\x41") == "A"  # unknown escape: the basic character
    assert gsm7_decode(b"ab\x1b") == "ab"  # dangling escape
    assert gsm7_decode(b"\x1b\x1b") == " "  # reserved escape shows as a space
    assert gsm7_decode(b"a\x80") == "a\ufffd"


@pytest.mark.parametrize(
    ("coding", "data", "text"),
    [
        (0, b"\x00\x02", "@$"),
        (1, b"@$", "@$"),
        (3, "é".encode("latin-1"), "é"),
        (8, "Привет".encode("utf-16-be"), "Привет"),
        (8, b"\x04", "\ufffd"),  # odd UCS-2 octet
        (0xF0, b"\x00", "@"),  # GSM message class 0, 7-bit
        (0xF4, b"\xe9", "é"),  # GSM message class 0, 8-bit
        (4, b"\xff", "\xff"),  # binary: octets as they are
    ],
)
def test_decode_text(coding, data, text):
    assert decode_text(coding, data) == text


def test_short_texts_are_one_segment():
    assert segments("a" * 160) == [(0, GSM7, b"a" * 160)]
    assert segments("€" * 80) == [(0, GSM7, b"\x1be" * 80)]
    assert segments("Ж" * 70) == [(0, UCS2, "Ж".encode("utf-16-be") * 70)]


def test_gsm_segments_are_153_septets_with_a_udh():
    parts = segments("a" * 161, reference=0x42)
    assert [(esm, coding) for esm, coding, _ in parts] == [(UDHI, GSM7)] * 2
    assert parts[0][2] == bytes([5, 0, 3, 0x42, 2, 1]) + b"a" * 153
    assert parts[1][2] == bytes([5, 0, 3, 0x42, 2, 2]) + b"a" * 8


def test_ucs2_segments_are_67_characters():
    parts = segments("Ж" * 71)
    assert [len(sm) - 6 for _, _, sm in parts] == [134, 8]
    assert {coding for _, coding, _ in parts} == {UCS2}


def test_an_escape_pair_is_never_split():
    parts = segments("a" * 152 + "€" + "b" * 10)
    first = parts[0][2][6:]
    assert first == b"a" * 152  # € would have been septets 153 and 154
    assert parts[1][2][6:8] == b"\x1be"


def test_a_surrogate_pair_is_never_split():
    parts = segments("Ж" * 66 + "😀" + "Ж" * 5)  # 73 code units: two segments
    assert decode_text(UCS2, parts[0][2][6:]) == "Ж" * 66
    assert decode_text(UCS2, parts[1][2][6:]) == "😀" + "Ж" * 5


def test_too_long_text_is_refused():
    with pytest.raises(ValueError):
        segments("a" * 153 * 256)


def test_split_udh():
    assert split_udh(bytes([5, 0, 3, 7, 2, 1]) + b"hi") == (Concat(7, 2, 1), b"hi")
    assert split_udh(bytes([6, 8, 4, 1, 2, 3, 1]) + b"hi") == (Concat(0x0102, 3, 1), b"hi")
    assert split_udh(bytes([3, 0x24, 1, 1]) + b"hi") == (None, b"hi")  # other IEs are dropped
    assert split_udh(b"\x09ab") == (None, b"\x09ab")  # UDHL beyond the data: not a header


def _reassemble(parts: list[tuple[int, int, bytes]]) -> str:
    out = []
    for esm_class, coding, short_message in parts:
        if esm_class & UDHI:
            _, short_message = split_udh(short_message)
        out.append(decode_text(coding, short_message))
    return "".join(out)


@given(st.text(st.sampled_from(GSM_BASIC + GSM_EXTENSION), max_size=700))
def test_gsm_text_round_trips_through_segments(text):
    parts = segments(text)
    assert _reassemble(parts) == text
    for esm_class, coding, sm in parts:
        assert coding == GSM7
        assert len(sm) - (6 if esm_class & UDHI else 0) <= (153 if len(parts) > 1 else 160)


@given(st.text(max_size=400))
def test_any_text_round_trips_through_segments(text):
    parts = segments(text)
    assert _reassemble(parts) == text
    for esm_class, coding, sm in parts:
        if coding == UCS2:
            assert len(sm) - (6 if esm_class & UDHI else 0) <= (134 if len(parts) > 1 else 140)
