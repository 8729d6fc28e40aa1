"""SMPP 3.4 codec: round trips, cross-checks with smpplib, malformed input."""

from __future__ import annotations

import contextlib
import struct

import pytest
import smpplib.smpp
from hypothesis import given, settings
from hypothesis import strategies as st

from gateway.sms.codec import PDU, PDUFramer, decode, encode
from gateway.sms.errors import CommandStatus as S
from gateway.sms.errors import FramingError, LocalProtocolError, RemoteProtocolError
from gateway.sms.pdus import (
    COMMANDS_BY_NAME,
    CSTR,
    DESTS,
    INTS,
    OCTETS,
    TLVS,
    TLVS_BY_TAG,
    UNKNOWN_TLVS,
    CommandSpec,
    DistributionList,
    SmeAddress,
    UnsuccessSme,
)

# -- strategies built from the field table itself ---------------------------------------


def _cstring(maxlen: int) -> st.SearchStrategy[str]:
    return st.text(st.characters(min_codepoint=1, max_codepoint=255), max_size=maxlen - 1)


_byte = st.integers(0, 255)
_dest = st.one_of(
    st.builds(SmeAddress, _byte, _byte, _cstring(21)), st.builds(DistributionList, _cstring(21))
)
_unsuccess = st.builds(UnsuccessSme, _byte, _byte, _cstring(21), st.integers(0, 2**32 - 1))


def _tlv_value(tlv) -> st.SearchStrategy[object]:
    if tlv.kind == "int":
        return st.integers(0, 2 ** (8 * tlv.size) - 1)
    if tlv.kind == "cstr":
        return _cstring(tlv.max)
    return st.binary(min_size=tlv.min, max_size=min(tlv.max, 300))


@st.composite
def pdus(draw, spec: CommandSpec) -> PDU:
    status = draw(st.integers(0, 2**32 - 1))
    sequence = draw(st.integers(0, 2**32 - 1))
    if spec.is_response and draw(st.booleans()):
        return PDU(spec.name, status, sequence, {})  # the header-only form
    params: dict[str, object] = {}
    for step in spec.steps:
        if step[0] == CSTR:
            params[step[1]] = draw(_cstring(step[2]))
        elif step[0] == INTS:
            params.update((name, draw(_byte)) for name in step[2])
        elif step[0] == OCTETS:
            params[step[1]] = draw(st.binary(max_size=254))
        elif step[0] == DESTS:
            params[step[1]] = tuple(draw(st.lists(_dest, max_size=4)))
        else:
            params[step[1]] = tuple(draw(st.lists(_unsuccess, max_size=4)))
    for tlv in draw(st.lists(st.sampled_from(TLVS), max_size=4, unique=True)):
        if tlv.name not in spec.field_names:
            params[tlv.name] = draw(_tlv_value(tlv))
    unknown_tag = st.integers(0, 0xFFFF).filter(lambda t: t not in TLVS_BY_TAG)
    unknown = draw(st.lists(st.tuples(unknown_tag, st.binary(max_size=12)), max_size=2))
    if unknown:
        params[UNKNOWN_TLVS] = tuple(unknown)
    return PDU(spec.name, status, sequence, params)


any_pdu = st.sampled_from(sorted(COMMANDS_BY_NAME)).flatmap(lambda n: pdus(COMMANDS_BY_NAME[n]))


@pytest.mark.parametrize("command", sorted(COMMANDS_BY_NAME))
@settings(max_examples=60)
@given(data=st.data())
def test_every_command_round_trips(command, data):
    pdu = data.draw(pdus(COMMANDS_BY_NAME[command]))
    assert decode(encode(pdu)) == pdu


@given(st.lists(any_pdu, min_size=1, max_size=5), st.integers(1, 40))
def test_framer_splits_a_stream_cut_anywhere(pdus_, chunk):
    stream = b"".join(encode(p) for p in pdus_)
    framer = PDUFramer()
    frames = []
    for i in range(0, len(stream), chunk):
        frames += framer.feed(stream[i : i + chunk])
    assert [decode(f) for f in frames] == pdus_


# -- header-only error responses ----------------------------------------------------------


@pytest.mark.parametrize("command", ["bind_transceiver_resp", "submit_sm_resp"])
def test_error_responses_are_header_only_and_both_forms_decode(command):
    header_only = encode(PDU(command, S.ESME_RINVPASWD, 9))
    assert header_only == struct.pack(">IIII", 16, COMMANDS_BY_NAME[command].command_id, 0x0E, 9)
    assert decode(header_only) == PDU(command, S.ESME_RINVPASWD, 9, {})
    field = "system_id" if command.startswith("bind") else "message_id"
    with_body = header_only[:3] + b"\x11" + header_only[4:] + b"\0"  # SMPP 3.3 habit
    assert decode(with_body) == PDU(command, S.ESME_RINVPASWD, 9, {field: ""})


# -- cross-checks with smpplib ---------------------------------------------------------------


class _Client:
    """The bare minimum smpplib wants from a client when it builds or parses PDUs."""

    sequence = 0

    def next_sequence(self) -> int:
        return 1


def _smpplib(command: str, sequence: int, **kwargs) -> bytes:
    pdu = smpplib.smpp.make_pdu(command, client=_Client(), **kwargs)
    pdu.sequence = sequence  # smpplib ignores the sequence= keyword
    return pdu.generate()


def _parse(data: bytes):
    return smpplib.smpp.parse_pdu(data, client=_Client())


SUBMIT = {
    "service_type": "USSD",
    "source_addr_ton": 1,
    "source_addr_npi": 1,
    "source_addr": "79261234567",
    "dest_addr_ton": 3,
    "dest_addr_npi": 0,
    "destination_addr": "105",
    "esm_class": 0,
    "protocol_id": 0,
    "priority_flag": 0,
    "schedule_delivery_time": "",
    "validity_period": "",
    "registered_delivery": 1,
    "replace_if_present_flag": 0,
    "data_coding": 8,
    "sm_default_msg_id": 0,
    "short_message": "Баланс".encode("utf-16-be"),
}


def test_our_bind_transceiver_parses_in_smpplib():
    params = {"system_id": "handsets", "password": "secret", "system_type": "",
              "interface_version": 0x34, "addr_ton": 1, "addr_npi": 1, "address_range": ""}  # fmt: skip
    theirs = _parse(encode(PDU("bind_transceiver", 0, 5, params)))
    assert (theirs.command, theirs.sequence) == ("bind_transceiver", 5)
    assert (theirs.system_id, theirs.password, theirs.interface_version) == (
        b"handsets", b"secret", 0x34)  # fmt: skip


def test_smpplib_bind_transceiver_decodes_in_ours():
    data = _smpplib("bind_transceiver", 3, system_id="app", password="app", system_type="x")
    pdu = decode(data)
    assert (pdu.command, pdu.sequence, pdu.status) == ("bind_transceiver", 3, 0)
    assert pdu.params["system_id"] == "app" and pdu.params["password"] == "app"
    assert pdu.params["system_type"] == "x" and pdu.params["interface_version"] == 0x34


def test_our_submit_sm_with_ussd_tlvs_parses_in_smpplib():
    params = dict(SUBMIT, ussd_service_op=2, its_session_info=0x0100)
    theirs = _parse(encode(PDU("submit_sm", 0, 77, params)))
    assert theirs.sequence == 77
    assert theirs.short_message.decode("utf-16-be") == "Баланс"
    assert (theirs.ussd_service_op, theirs.its_session_info) == (2, 0x0100)
    assert (theirs.source_addr, theirs.destination_addr, theirs.service_type) == (
        b"79261234567", b"105", b"USSD")  # fmt: skip


def test_our_submit_sm_with_message_payload_parses_in_smpplib():
    payload = b"x" * 200
    params = dict(SUBMIT, short_message=b"", data_coding=0, message_payload=payload)
    theirs = _parse(encode(PDU("submit_sm", 0, 8, params)))
    assert theirs.sm_length == 0 and theirs.message_payload == payload


def test_smpplib_submit_sm_decodes_in_ours():
    data = _smpplib(
        "submit_sm", 12, service_type="USSD", source_addr_ton=1, source_addr_npi=1,
        source_addr="79261234567", dest_addr_ton=3, dest_addr_npi=0, destination_addr="105",
        data_coding=0, short_message=b"1", ussd_service_op=0x12, its_session_info=0x0300,
        registered_delivery=1,
    )  # fmt: skip
    pdu = decode(data)
    assert pdu.sequence == 12 and pdu.params["short_message"] == b"1"
    assert pdu.params["ussd_service_op"] == 0x12 and pdu.params["its_session_info"] == 0x0300
    assert pdu.params["source_addr"] == "79261234567" and pdu.params["registered_delivery"] == 1


def test_smpplib_submit_sm_with_message_payload_decodes_in_ours():
    payload = "long " * 60
    data = _smpplib("submit_sm", 4, source_addr="7000", destination_addr="79261234567",
                    message_payload=payload.encode())  # fmt: skip
    pdu = decode(data)
    assert pdu.params["short_message"] == b"" and pdu.params["message_payload"] == payload.encode()


def test_deliver_sm_both_ways():
    params = dict(SUBMIT, esm_class=4, short_message=b"id:1 stat:DELIVRD",
                  receipted_message_id="1", message_state=2)  # fmt: skip
    theirs = _parse(encode(PDU("deliver_sm", 0, 1, params)))
    assert (theirs.esm_class, theirs.receipted_message_id, theirs.message_state) == (4, b"1", 2)
    data = _smpplib("deliver_sm", 6, source_addr="79261234567", destination_addr="7000",
                    short_message=b"hi", receipted_message_id="abc", message_state=2)  # fmt: skip
    ours = decode(data)
    assert ours.params["short_message"] == b"hi" and ours.params["receipted_message_id"] == "abc"
    assert ours.params["message_state"] == 2 and ours.sequence == 6


def test_deliver_sm_carries_ussd_service_op():
    # smpplib cannot emit this TLV on deliver_sm, so check the octets by hand.
    data = encode(PDU("deliver_sm", 0, 1, dict(SUBMIT, ussd_service_op=1)))
    assert data.endswith(bytes.fromhex("0501 0001 01"))


@pytest.mark.parametrize("command", ["enquire_link", "unbind", "enquire_link_resp", "unbind_resp"])
def test_header_only_commands_both_ways(command):
    ours = encode(PDU(command, 0, 42))
    assert ours == _smpplib(command, 42)
    theirs = _parse(ours)
    assert (theirs.command, theirs.sequence) == (command, 42)
    assert decode(ours) == PDU(command, 0, 42, {})


def test_smpplib_responses_decode_in_ours():
    resp = decode(_smpplib("submit_sm_resp", 3, message_id="42"))
    assert resp == PDU("submit_sm_resp", 0, 3, {"message_id": "42"})
    bind = decode(_smpplib("bind_transceiver_resp", 1, system_id="SMSC", sc_interface_version=0x34))
    assert bind.params == {"system_id": "SMSC", "sc_interface_version": 0x34}


def test_data_sm_and_query_sm_parse_in_smpplib():
    data_sm = {"service_type": "", "source_addr": "79261234567", "destination_addr": "000110",
               "data_coding": 0, "message_payload": b"00"}  # fmt: skip
    theirs = _parse(encode(PDU("data_sm", 0, 2, data_sm)))
    assert theirs.destination_addr == b"000110" and theirs.message_payload == b"00"
    theirs = _parse(encode(PDU("query_sm", 0, 3, {"message_id": "17", "source_addr": "7000"})))
    assert (theirs.message_id, theirs.source_addr) == (b"17", b"7000")


def test_submit_multi_layout():
    params = dict(SUBMIT, dest_address=(SmeAddress(1, 1, "79261234567"), DistributionList("vip")))
    del params["dest_addr_ton"], params["dest_addr_npi"], params["destination_addr"]
    body = encode(PDU("submit_multi", 0, 1, params))[16:]
    dests = bytes.fromhex("02 01 01 01") + b"79261234567\0" + b"\x02vip\0"
    assert body.startswith(b"USSD\0\x01\x01" + b"79261234567\0" + dests)
    resp = encode(PDU("submit_multi_resp", 0, 1, {"message_id": "9",
                                                  "unsuccess_sme": (UnsuccessSme(1, 1, "7", 0x0B),)}))  # fmt: skip
    assert resp[16:] == b"9\0" + b"\x01\x01\x01" + b"7\0" + bytes.fromhex("0000000B")


# -- malformed input --------------------------------------------------------------------------


def _frame(command_id: int, body: bytes, sequence: int = 7) -> bytes:
    return struct.pack(">IIII", 16 + len(body), command_id, 0, sequence) + body


def _status_of(data: bytes) -> int:
    with pytest.raises(RemoteProtocolError) as caught:
        decode(data)
    assert caught.value.sequence == 7
    return caught.value.status


def _submit_body(**changes) -> bytes:
    return encode(PDU("submit_sm", 0, 7, dict(SUBMIT, **changes)))[16:]


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"USSD", S.ESME_RINVMSGLEN),  # C-string cut short, no NUL
        (_submit_body()[:30], S.ESME_RINVMSGLEN),  # body ends among the fields
        (_submit_body(short_message=b"abc")[:-2], S.ESME_RINVMSGLEN),  # sm_length > rest
        (_submit_body() + b"\x05\x01\x00", S.ESME_RINVOPTPARSTREAM),  # TLV header cut
        (_submit_body() + bytes.fromhex("0501 0005 01"), S.ESME_RINVOPTPARSTREAM),  # runs past
        (_submit_body() + bytes.fromhex("0501 0002 0101"), S.ESME_RINVPARLEN),  # 2-octet op
        (_submit_body() + bytes.fromhex("001E 0002 4142"), S.ESME_RINVPARLEN),  # no NUL in TLV
        (b"USSDUSSD\0" + _submit_body()[5:], S.ESME_RINVSERTYP),  # service_type > 5
        (b"\0\1\1" + b"7" * 30 + b"\0" + _submit_body()[16:], S.ESME_RINVSRCADR),
    ],
)
def test_malformed_submit_sm_gets_its_status(body, status):
    assert _status_of(_frame(0x04, body)) == status


def test_over_long_system_id_and_password():
    assert _status_of(_frame(0x09, b"s" * 16 + b"\0pw\0\0\x34\0\0\0")) == S.ESME_RINVSYSID
    assert _status_of(_frame(0x09, b"sys\0" + b"p" * 9 + b"\0\0\x34\0\0\0")) == S.ESME_RINVPASWD


def test_sm_length_over_254():
    body = _submit_body(short_message=b"")[:-1] + b"\xff" + b"x" * 255
    assert _status_of(_frame(0x04, body)) == S.ESME_RINVMSGLEN


def test_bad_dest_flag():
    body = b"\0\1\1" + b"1\0" + b"\x01\x07"
    assert _status_of(_frame(0x21, body)) == S.ESME_RINVDESTFLAG


def test_unknown_command_id_carries_sequence():
    with pytest.raises(RemoteProtocolError) as caught:
        decode(_frame(0x0000_0099, b""))
    assert caught.value.status == S.ESME_RINVCMDID
    assert (caught.value.sequence, caught.value.command_id) == (7, 0x99)


def test_unknown_tlvs_are_kept_and_written_back():
    data = _frame(0x04, _submit_body() + bytes.fromhex("1401 0003 616263"))
    pdu = decode(data)
    assert pdu.params[UNKNOWN_TLVS] == ((0x1401, b"abc"),)
    assert encode(pdu) == data


def test_a_tlv_named_like_a_mandatory_field_stays_raw():
    # message_state is mandatory in query_sm_resp; its TLV must not overwrite it.
    body = b"1\0\0\x02\x00" + bytes.fromhex("0427 0001 05")
    pdu = decode(_frame(0x80000003, body))
    assert pdu.params["message_state"] == 2 and pdu.params[UNKNOWN_TLVS] == ((0x0427, b"\x05"),)


@pytest.mark.parametrize("length", [0, 15, 65537, 0xFFFFFFFF])
def test_framer_refuses_impossible_command_length(length):
    good = encode(PDU("enquire_link", 0, 1))
    bad = struct.pack(">IIII", length, 0x15, 0, 99)
    with pytest.raises(FramingError) as caught:
        PDUFramer().feed(good + bad)
    assert caught.value.status == S.ESME_RINVCMDLEN and caught.value.sequence == 99
    assert caught.value.frames == [good]  # what came before is still handled


def test_framer_stays_broken():
    framer = PDUFramer()
    with pytest.raises(FramingError):
        framer.feed(b"\0\0\0\1")
    with pytest.raises(FramingError):
        framer.feed(encode(PDU("enquire_link", 0, 1)))


def test_decode_checks_command_length_against_the_frame():
    with pytest.raises(RemoteProtocolError) as caught:
        decode(encode(PDU("enquire_link", 0, 7)) + b"\0")
    assert caught.value.status == S.ESME_RINVCMDLEN


@given(st.binary(max_size=300), st.integers(1, 64))
def test_random_bytes_raise_only_our_errors(data, chunk):
    framer = PDUFramer()
    with contextlib.suppress(FramingError):
        for i in range(0, len(data), chunk):
            for frame in framer.feed(data[i : i + chunk]):
                with contextlib.suppress(RemoteProtocolError):
                    decode(frame)


@given(any_pdu, st.data())
def test_corrupted_bodies_raise_only_remote_errors(pdu, data):
    frame = bytearray(encode(pdu))
    if len(frame) > 16:
        for _ in range(data.draw(st.integers(1, 4))):
            frame[data.draw(st.integers(16, len(frame) - 1))] = data.draw(_byte)
    cut = data.draw(st.integers(16, len(frame)))
    corrupted = bytes(frame[:cut])
    corrupted = struct.pack(">I", len(corrupted)) + corrupted[4:]
    with contextlib.suppress(RemoteProtocolError):
        decode(corrupted)


# -- what we refuse to send ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "pdu",
    [
        PDU("bind_transceiver_resp", 0, 1, {"system_id": "x" * 16}),
        PDU("submit_sm_resp", 0, 1, {"message_id": "Ж"}),  # not latin-1
        PDU("submit_sm", 0, 1, {"short_message": b"x" * 255}),
        PDU("submit_sm", 0, 1, {"ussd_service_op": 256}),
        PDU("submit_sm", 0, 1, {"no_such_field": 1}),
        PDU("submit_sm", 0, 1, {"source_addr": "7\0"}),  # a NUL would end the field early
        PDU("submit_sm", 0, 1, {"source_addr": None}),
        PDU("submit_sm", 0, 1, {"esm_class": "4"}),
        PDU("no_such_command", 0, 1),
        PDU("enquire_link", 0, 2**32),
    ],
)
def test_encode_refuses_what_smpp_cannot_carry(pdu):
    with pytest.raises(LocalProtocolError):
        encode(pdu)


def test_a_field_too_long_to_send_is_refused_with_its_own_status():
    with pytest.raises(LocalProtocolError) as caught:
        encode(PDU("deliver_sm", 0, 1, {"destination_addr": "7" * 21}))
    assert caught.value.status == S.ESME_RINVDSTADR and "does not fit 20 characters" in str(caught.value)
