"""Calls in progress and keypad digit collection (pure, no clocks inside).

How it works: a call sits at a menu cursor. At a menu node each key is an answer on
its own; at an input node keys collect into a buffer until the terminator `#`, which
submits the buffer. `press` turns one key into either nothing yet (still collecting)
or a string to hand to the menu engine. Keys typed at a secret input are recorded as
`*` in the call's path, so a call record never holds a password (R04, R08).
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, replace

from gateway.ivr.errors import InvalidDtmf
from menus.engine import Cursor
from menus.schema import Kind, MenuSet

TERMINATOR = "#"
_DTMF = re.compile(r"[0-9*#A-D]+")


class CallState(enum.Enum):
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(frozen=True, repr=False)
class Call:
    call_id: str
    msisdn: str
    number: str
    state: CallState
    prompt: str
    cursor: Cursor | None
    buffer: str = ""  # digits collected at an input node; may be a secret
    path: tuple[str, ...] = ()  # keys pressed, masked at secret inputs
    answered_at: float = 0.0

    def __repr__(self) -> str:
        return f"Call({self.call_id}, {self.msisdn}->{self.number}, {self.state.value})"


def new_call(msisdn: str, number: str, now: float = 0.0) -> Call:
    return Call(uuid.uuid4().hex, msisdn, number, CallState.ACTIVE, "", None, answered_at=now)


def check_digits(digits: object) -> str:
    """Keypad tones as text: 0-9, *, #, A-D."""
    if not isinstance(digits, str) or not _DTMF.fullmatch(digits):
        raise InvalidDtmf("digits are keypad tones: 0-9, *, #, A-D")
    return digits


def press(menus: MenuSet, call: Call, key: str) -> tuple[Call, str | None]:
    """One key on an active call: the updated call and the answer to submit, if any."""
    assert call.cursor is not None
    node = menus.nodes[call.cursor.node]
    if node.kind is Kind.INPUT:
        secret = bool(node.input and node.input.secret)
        masked = "*" if secret and key != TERMINATOR else key
        call = replace(call, path=(*call.path, masked))
        if key == TERMINATOR:
            return replace(call, buffer=""), call.buffer
        return replace(call, buffer=call.buffer + key), None
    return replace(call, path=(*call.path, key)), key
