"""SMPP 3.4 PDU layouts: command ids, mandatory body fields and TLV tags, as data for the codec."""

from __future__ import annotations

import enum
import struct
from dataclasses import dataclass
from typing import NamedTuple

from gateway.sms.errors import CommandStatus as S

RESPONSE_BIT = 0x80000000
HEADER = struct.Struct(">IIII")
HEADER_SIZE = 16
MAX_PDU_SIZE = 65536
MAX_SHORT_MESSAGE = 254
UNKNOWN_TLVS = "unknown_tlvs"  # params key: tuple of (tag, raw value) the codec does not know


class CommandId(enum.IntEnum):
    """command_id values of SMPP 3.4 (table 5-1)."""

    generic_nack = 0x80000000
    bind_receiver = 0x00000001
    bind_receiver_resp = 0x80000001
    bind_transmitter = 0x00000002
    bind_transmitter_resp = 0x80000002
    query_sm = 0x00000003
    query_sm_resp = 0x80000003
    submit_sm = 0x00000004
    submit_sm_resp = 0x80000004
    deliver_sm = 0x00000005
    deliver_sm_resp = 0x80000005
    unbind = 0x00000006
    unbind_resp = 0x80000006
    replace_sm = 0x00000007
    replace_sm_resp = 0x80000007
    cancel_sm = 0x00000008
    cancel_sm_resp = 0x80000008
    bind_transceiver = 0x00000009
    bind_transceiver_resp = 0x80000009
    outbind = 0x0000000B
    enquire_link = 0x00000015
    enquire_link_resp = 0x80000015
    submit_multi = 0x00000021
    submit_multi_resp = 0x80000021
    alert_notification = 0x00000102
    data_sm = 0x00000103
    data_sm_resp = 0x80000103


class SmeAddress(NamedTuple):
    """One submit_multi destination of dest_flag 1 (an SME address)."""

    ton: int
    npi: int
    address: str


class DistributionList(NamedTuple):
    """One submit_multi destination of dest_flag 2 (a distribution list name)."""

    name: str


class UnsuccessSme(NamedTuple):
    """One entry of submit_multi_resp's unsuccess_sme list."""

    ton: int
    npi: int
    address: str
    error_status: int


# Step kinds of a body layout.
CSTR, INTS, OCTETS, DESTS, UNSUCCESS = range(5)


@dataclass(frozen=True)
class CommandSpec:
    """How one command's mandatory body is laid out; `steps` are precompiled for the codec."""

    name: str
    command_id: int
    steps: tuple[tuple, ...]
    field_names: frozenset[str]
    is_response: bool


@dataclass(frozen=True)
class TlvSpec:
    """One optional parameter: kind is "int" (fixed size), "cstr" or "octets" (min..max)."""

    tag: int
    name: str
    kind: str
    size: int = 0  # int width in octets
    min: int = 0
    max: int = 65535
    packer: struct.Struct | None = None


def _c(name: str, maxlen: int, status: int = S.ESME_RINVPARLEN) -> tuple:
    # maxlen counts the NUL, as the spec's tables do; status answers an over-long value.
    return ("c", name, maxlen, status)


def _u8(*names: str) -> tuple:
    return ("u8", names)


def _compile(name: str, fields: list[tuple]) -> CommandSpec:
    """Merge runs of 1-octet integers into one precompiled struct each."""
    steps: list[tuple] = []
    names: set[str] = set()
    for f in fields:
        if f[0] == "c":
            steps.append((CSTR, f[1], f[2], f[3]))
            names.add(f[1])
        elif f[0] == "u8":
            merged = steps.pop()[2] + f[1] if steps and steps[-1][0] == INTS else f[1]
            steps.append((INTS, struct.Struct(">" + "B" * len(merged)), merged))
            names.update(f[1])
        else:  # "sm", "dests", "unsuccess": the field name carries its own count octet
            kind = {"sm": OCTETS, "dests": DESTS, "unsuccess": UNSUCCESS}[f[0]]
            steps.append((kind, f[1]))
            names.add(f[1])
    cid = CommandId[name]
    return CommandSpec(name, cid, tuple(steps), frozenset(names), bool(cid & RESPONSE_BIT))


_ADDR = 21
_BIND = [
    _c("system_id", 16, S.ESME_RINVSYSID),
    _c("password", 9, S.ESME_RINVPASWD),
    _c("system_type", 13, S.ESME_RINVSYSTYP),
    _u8("interface_version", "addr_ton", "addr_npi"),
    _c("address_range", 41),
]
_BIND_RESP = [_c("system_id", 16, S.ESME_RINVSYSID)]
_SM = [  # submit_sm and deliver_sm share one body
    _c("service_type", 6, S.ESME_RINVSERTYP),
    _u8("source_addr_ton", "source_addr_npi"),
    _c("source_addr", _ADDR, S.ESME_RINVSRCADR),
    _u8("dest_addr_ton", "dest_addr_npi"),
    _c("destination_addr", _ADDR, S.ESME_RINVDSTADR),
    _u8("esm_class", "protocol_id", "priority_flag"),
    _c("schedule_delivery_time", 17, S.ESME_RINVSCHED),
    _c("validity_period", 17, S.ESME_RINVEXPIRY),
    _u8("registered_delivery", "replace_if_present_flag", "data_coding", "sm_default_msg_id"),
    ("sm", "short_message"),
]
_MESSAGE_ID = [_c("message_id", 65, S.ESME_RINVMSGID)]

_LAYOUTS: dict[str, list[tuple]] = {
    "generic_nack": [],
    "bind_receiver": _BIND,
    "bind_receiver_resp": _BIND_RESP,
    "bind_transmitter": _BIND,
    "bind_transmitter_resp": _BIND_RESP,
    "bind_transceiver": _BIND,
    "bind_transceiver_resp": _BIND_RESP,
    "outbind": [_c("system_id", 16, S.ESME_RINVSYSID), _c("password", 9, S.ESME_RINVPASWD)],
    "unbind": [],
    "unbind_resp": [],
    "enquire_link": [],
    "enquire_link_resp": [],
    "submit_sm": _SM,
    "submit_sm_resp": _MESSAGE_ID,
    "deliver_sm": _SM,
    "deliver_sm_resp": _MESSAGE_ID,  # the spec says "unused, NULL"; accept an id anyway
    "data_sm": [
        _c("service_type", 6, S.ESME_RINVSERTYP),
        _u8("source_addr_ton", "source_addr_npi"),
        _c("source_addr", 65, S.ESME_RINVSRCADR),
        _u8("dest_addr_ton", "dest_addr_npi"),
        _c("destination_addr", 65, S.ESME_RINVDSTADR),
        _u8("esm_class", "registered_delivery", "data_coding"),
    ],
    "data_sm_resp": _MESSAGE_ID,
    "query_sm": [
        _c("message_id", 65, S.ESME_RINVMSGID),
        _u8("source_addr_ton", "source_addr_npi"),
        _c("source_addr", _ADDR, S.ESME_RINVSRCADR),
    ],
    "query_sm_resp": [
        _c("message_id", 65, S.ESME_RINVMSGID),
        _c("final_date", 17),
        _u8("message_state", "error_code"),
    ],
    "cancel_sm": [
        _c("service_type", 6, S.ESME_RINVSERTYP),
        _c("message_id", 65, S.ESME_RINVMSGID),
        _u8("source_addr_ton", "source_addr_npi"),
        _c("source_addr", _ADDR, S.ESME_RINVSRCADR),
        _u8("dest_addr_ton", "dest_addr_npi"),
        _c("destination_addr", _ADDR, S.ESME_RINVDSTADR),
    ],
    "cancel_sm_resp": [],
    "replace_sm": [
        _c("message_id", 65, S.ESME_RINVMSGID),
        _u8("source_addr_ton", "source_addr_npi"),
        _c("source_addr", _ADDR, S.ESME_RINVSRCADR),
        _c("schedule_delivery_time", 17, S.ESME_RINVSCHED),
        _c("validity_period", 17, S.ESME_RINVEXPIRY),
        _u8("registered_delivery", "sm_default_msg_id"),
        ("sm", "short_message"),
    ],
    "replace_sm_resp": [],
    "submit_multi": [
        _c("service_type", 6, S.ESME_RINVSERTYP),
        _u8("source_addr_ton", "source_addr_npi"),
        _c("source_addr", _ADDR, S.ESME_RINVSRCADR),
        ("dests", "dest_address"),
        _u8("esm_class", "protocol_id", "priority_flag"),
        _c("schedule_delivery_time", 17, S.ESME_RINVSCHED),
        _c("validity_period", 17, S.ESME_RINVEXPIRY),
        _u8("registered_delivery", "replace_if_present_flag", "data_coding", "sm_default_msg_id"),
        ("sm", "short_message"),
    ],
    "submit_multi_resp": [_c("message_id", 65, S.ESME_RINVMSGID), ("unsuccess", "unsuccess_sme")],
    "alert_notification": [
        _u8("source_addr_ton", "source_addr_npi"),
        _c("source_addr", 65, S.ESME_RINVSRCADR),
        _u8("esme_addr_ton", "esme_addr_npi"),
        _c("esme_addr", 65, S.ESME_RINVDSTADR),
    ],
}

COMMANDS_BY_NAME: dict[str, CommandSpec] = {n: _compile(n, f) for n, f in _LAYOUTS.items()}
COMMANDS_BY_ID: dict[int, CommandSpec] = {s.command_id: s for s in COMMANDS_BY_NAME.values()}

_INT_FORMATS = {1: struct.Struct(">B"), 2: struct.Struct(">H"), 4: struct.Struct(">I")}


def _int(tag: int, name: str, size: int) -> TlvSpec:
    return TlvSpec(tag, name, "int", size=size, min=size, max=size, packer=_INT_FORMATS[size])


TLVS = (
    _int(0x0019, "payload_type", 1),
    TlvSpec(0x001D, "additional_status_info_text", "cstr", min=1, max=256),
    TlvSpec(0x001E, "receipted_message_id", "cstr", min=1, max=65),
    _int(0x0201, "privacy_indicator", 1),
    _int(0x0204, "user_message_reference", 2),
    _int(0x0205, "user_response_code", 1),
    _int(0x020A, "source_port", 2),
    _int(0x020B, "destination_port", 2),
    _int(0x020C, "sar_msg_ref_num", 2),
    _int(0x020D, "language_indicator", 1),
    _int(0x020E, "sar_total_segments", 1),
    _int(0x020F, "sar_segment_seqnum", 1),
    _int(0x0210, "sc_interface_version", 1),
    TlvSpec(0x0381, "callback_num", "octets", min=4, max=19),
    _int(0x0420, "dpf_result", 1),
    _int(0x0421, "set_dpf", 1),
    _int(0x0422, "ms_availability_status", 1),
    TlvSpec(0x0423, "network_error_code", "octets", min=3, max=3),
    TlvSpec(0x0424, "message_payload", "octets"),
    _int(0x0425, "delivery_failure_reason", 1),
    _int(0x0426, "more_messages_to_send", 1),
    _int(0x0427, "message_state", 1),
    _int(0x0501, "ussd_service_op", 1),
    _int(0x1380, "its_reply_type", 1),
    _int(0x1383, "its_session_info", 2),
)
TLVS_BY_TAG: dict[int, TlvSpec] = {t.tag: t for t in TLVS}
TLVS_BY_NAME: dict[str, TlvSpec] = {t.name: t for t in TLVS}
