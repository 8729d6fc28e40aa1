"""Reassembly of long messages (pure): any split, any arrival order, back to the text."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from gateway.sms.reassembly import Reassembler, part_of
from gateway.sms.text import GSM7, UCS2, UDHI, decode_text, encode_text, segments
from menus.alphabet import GSM_CHARS

gsm_text = st.text(alphabet=sorted(GSM_CHARS), min_size=1, max_size=700)
any_text = st.text(alphabet=st.characters(exclude_categories=("Cs",)), min_size=1, max_size=400)
ADDRS = {"source_addr": "79261234567", "destination_addr": "7000"}


def feed(params_list, order):
    reassembler = Reassembler()
    results = [reassembler.add(part_of(params_list[i]), now=0.0) for i in order]
    assert all(r is None for r in results[:-1]) and results[-1] is not None
    assert len(reassembler) == 0
    return results[-1]


@given(st.one_of(gsm_text, any_text), st.randoms(use_true_random=False))
def test_our_own_segments_reassemble_in_any_order(text, rnd):
    parts = segments(text, reference=77)
    if len(parts) == 1:
        assert part_of({**ADDRS, "esm_class": parts[0][0], "short_message": parts[0][2]}) is None
        return
    params = [{**ADDRS, "esm_class": esm, "data_coding": coding, "short_message": sm} for esm, coding, sm in parts]
    order = list(range(len(params)))
    rnd.shuffle(order)
    whole = feed(params, order)
    assert decode_text(whole.data_coding, whole.payload) == text


@st.composite
def split_octets(draw, carrier):
    """A text's octets cut anywhere (even inside an escape or surrogate pair), 2..20 parts."""
    text = draw(st.one_of(gsm_text, any_text).filter(lambda t: len(encode_text(t)[1]) >= 2))
    coding, octets = encode_text(text)
    cuts = sorted(draw(st.sets(st.integers(1, len(octets) - 1), min_size=1, max_size=19)))
    chunks = [octets[a:b] for a, b in zip([0, *cuts], [*cuts, len(octets)], strict=True)]
    ref = draw(st.integers(0, 0xFFFF if carrier != "udh8" else 0xFF))
    total = len(chunks)
    params = []
    for seq, chunk in enumerate(chunks, start=1):
        p = {**ADDRS, "data_coding": coding}
        if carrier == "udh8":
            p.update(esm_class=UDHI, short_message=bytes([5, 0, 3, ref, total, seq]) + chunk)
        elif carrier == "udh16":
            p.update(esm_class=UDHI, short_message=bytes([6, 8, 4, ref >> 8, ref & 0xFF, total, seq]) + chunk)
        else:
            p.update(esm_class=0, short_message=chunk, sar_msg_ref_num=ref, sar_total_segments=total,
                     sar_segment_seqnum=seq)
        params.append(p)
    order = draw(st.permutations(range(total)))
    return text, params, order


@given(st.sampled_from(["udh8", "udh16", "sar"]).flatmap(split_octets))
def test_random_splits_by_udh_or_sar_reassemble_to_the_text_in_any_order(case):
    text, params, order = case
    whole = feed(params, order)
    assert decode_text(whole.data_coding, whole.payload) == text


def test_gsm_extension_pair_cut_between_segments_is_whole_again():
    octets = encode_text("€[]{}")[1]
    assert octets[:1] == b"\x1b"
    params = [
        {**ADDRS, "esm_class": UDHI, "data_coding": GSM7, "short_message": bytes([5, 0, 3, 9, 2, 1]) + octets[:1]},
        {**ADDRS, "esm_class": UDHI, "data_coding": GSM7, "short_message": bytes([5, 0, 3, 9, 2, 2]) + octets[1:]},
    ]
    whole = feed(params, [1, 0])
    assert decode_text(whole.data_coding, whole.payload) == "€[]{}"


def test_messages_from_different_senders_or_references_do_not_mix_and_stale_ones_expire():
    reassembler = Reassembler(timeout=60)

    def part(source, ref, seq, text):
        return part_of({"source_addr": source, "destination_addr": "7000", "data_coding": UCS2,
                        "sar_msg_ref_num": ref, "sar_total_segments": 2, "sar_segment_seqnum": seq,
                        "short_message": text.encode("utf-16-be")})

    assert reassembler.add(part("79261234567", 1, 1, "Прив"), now=0) is None
    assert reassembler.add(part("79261112233", 1, 2, "XX"), now=1) is None
    assert reassembler.add(part("79261234567", 2, 2, "YY"), now=2) is None
    whole = reassembler.add(part("79261234567", 1, 2, "ет"), now=3)
    assert decode_text(whole.data_coding, whole.payload) == "Привет"
    assert reassembler.expire(now=61.5) == [("79261112233", "7000", 1)]
    assert len(reassembler) == 1


def test_single_part_and_nonsense_numbers_are_whole_messages():
    assert part_of({**ADDRS, "short_message": b"hi"}) is None
    assert part_of({**ADDRS, "esm_class": UDHI, "short_message": bytes([5, 0, 3, 1, 1, 1]) + b"hi"}) is None
    assert part_of({**ADDRS, "sar_msg_ref_num": 5, "sar_total_segments": 3, "sar_segment_seqnum": 4,
                    "short_message": b"x"}) is None
