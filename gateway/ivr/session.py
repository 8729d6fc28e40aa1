"""Calls in progress and keypad digit collection with its timers (pure: `now` is an argument).

How it works: a call sits at a menu cursor and waits for the first digit. At a menu node
keys collect until the longest key's length (one key for a one-digit menu), the
terminator `#`, or the inter-digit timeout, whichever comes first; at an input node keys
collect until `#` (or `max_digits`, the cap on a typed answer). `press` turns one key into
either nothing yet or a string to hand to the menu engine; `shown` takes the engine's next
screen. `expire` runs a timer that fell due: no first digit (or an input left unfinished)
is a timeout and repeats the prompt with the reason, a menu key left half-typed is
submitted. A wrong key or input (the engine repeated its node with one more try) is a
failure. After `max_timeouts` timeouts or `max_failures` failures at one node the call
ends with a goodbye (FreeSWITCH ivr_menu's rules, PROTOCOLS.md §7). Keys typed at a
secret input are recorded as `*` in the call's path, so a call record never holds a
password (R04, R08).
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, replace

from gateway.ivr.errors import InvalidDtmf
from menus.engine import Cursor, Screen
from menus.render import fill
from menus.schema import Channel, Kind, MenuSet

TERMINATOR = "#"
_DTMF = re.compile(r"[0-9*#A-D]+")


class CallState(enum.Enum):
    ACTIVE = "active"
    ENDED = "ended"


class Waiting(enum.Enum):
    NOTHING = "nothing"  # an answer is being processed, or the call has ended
    FIRST_DIGIT = "first_digit"
    NEXT_DIGIT = "next_digit"


class EndReason(enum.Enum):
    COMPLETED = "completed"  # the menu said goodbye
    HUNG_UP = "hung_up"  # the caller hung up (BYE, CANCEL, DELETE)
    MAX_FAILURES = "max_failures"
    MAX_TIMEOUTS = "max_timeouts"
    CREDIT_LIMIT = "credit_limit"  # a paid call used up the balance it started with
    NOT_CONNECTED = "not_connected"  # refused before answering (R11)
    NO_ACK = "no_ack"  # SIP: the caller never acknowledged the 200 OK
    SHUTDOWN = "shutdown"


@dataclass(frozen=True)
class Timers:
    """Digit collection rules; defaults from PROTOCOLS.md §7.4 (FreeSWITCH, Asterisk)."""

    first_digit: float = 10.0  # seconds after a prompt for the first key
    inter_digit: float = 5.0  # seconds between keys of one answer
    max_digits: int = 20  # a typed answer is submitted when it reaches this length
    max_failures: int = 3  # wrong keys or inputs at one node before the call ends
    max_timeouts: int = 3  # timeouts at one node before the call ends


# Texts of menus.yaml the voice channel speaks on its own.
TEXT_NO_INPUT = "voice_no_input"
TEXT_INPUT_UNFINISHED = "voice_input_unfinished"
TEXT_MAX_TIMEOUTS = "voice_max_timeouts"
TEXT_MAX_FAILURES = "voice_max_failures"
TEXT_CREDIT_LIMIT = "voice_credit_limit"
TEXTS = (TEXT_NO_INPUT, TEXT_INPUT_UNFINISHED, TEXT_MAX_TIMEOUTS, TEXT_MAX_FAILURES, TEXT_CREDIT_LIMIT)


@dataclass(frozen=True, repr=False)
class Call:
    call_id: str
    msisdn: str
    number: str
    state: CallState
    prompt: str
    cursor: Cursor | None
    buffer: str = ""  # digits collected at a node; may be a secret
    path: tuple[str, ...] = ()  # keys pressed, masked at secret inputs
    answered_at: float | None = None
    started_at: float = 0.0
    ended_at: float | None = None
    end_reason: EndReason | None = None
    charge: int = 0  # kopecks, once ended
    transport: str = "api"  # api | sip
    repeat: str = ""  # the prompt a timeout repeats (without the timeout's reason)
    waiting: Waiting = Waiting.NOTHING
    deadline: float | None = None  # when the digit timer runs out
    timeouts: int = 0  # at the current node
    failures: int = 0  # at the current node
    limit_at: float | None = None  # a paid call is cut here (the balance runs out)
    locale: str = ""  # the caller's language, for speaking the prompts

    def __repr__(self) -> str:
        return f"Call({self.call_id}, {self.msisdn}->{self.number}, {self.state.value})"

    @property
    def next_timer(self) -> float | None:
        """When `expire` has something to do next, if ever."""
        times = [t for t in (self.deadline, self.limit_at) if t is not None]
        return min(times) if times and self.state is CallState.ACTIVE else None


def new_call(msisdn: str, number: str, now: float = 0.0, *, transport: str = "api",
             limit: float | None = None, locale: str = "", started: float | None = None) -> Call:
    """A call answered at `now` (placed at `started`); `limit` seconds of it are paid for (None: free)."""
    return Call(uuid.uuid4().hex, msisdn, number, CallState.ACTIVE, "", None, answered_at=now,
                started_at=now if started is None else started, transport=transport,
                limit_at=None if limit is None else now + limit, locale=locale)


def check_digits(digits: object) -> str:
    """Keypad tones as text: 0-9, *, #, A-D."""
    if not isinstance(digits, str) or not _DTMF.fullmatch(digits):
        raise InvalidDtmf("digits are keypad tones: 0-9, *, #, A-D")
    return digits


def engine_menus(menus: MenuSet) -> MenuSet:
    """The menus as the voice channel drives them: the engine repeats a node after a wrong
    answer however often, because the call core counts failures (its own limit)."""
    return replace(menus, max_tries=2**31)


def answer_length(menus: MenuSet, call: Call, timers: Timers) -> int:
    """How many keys make an answer at the call's node without a terminator."""
    assert call.cursor is not None
    node = menus.nodes[call.cursor.node]
    if node.kind is Kind.INPUT:
        return timers.max_digits
    nav = menus.navigation[Channel.VOICE]
    keys = [nav.back, nav.home, nav.more]
    if node.kind is Kind.MENU:
        keys += [item.key for item in node.items]
    elif node.kind is Kind.LIST:
        keys.append(str(len(call.cursor.choices)))
    else:
        keys += ["1", "2"]
    return max(1, *(len(key) for key in keys))


def _secret(menus: MenuSet, call: Call) -> bool:
    assert call.cursor is not None
    rule = menus.nodes[call.cursor.node].input
    return bool(rule and rule.secret)


def press(menus: MenuSet, call: Call, key: str, now: float = 0.0, timers: Timers = Timers()) -> tuple[Call, str | None]:
    """One key on an active call: the updated call and the answer to submit, if any."""
    assert call.cursor is not None
    masked = "*" if _secret(menus, call) and key != TERMINATOR else key
    call = replace(call, path=(*call.path, masked))
    if key == TERMINATOR:
        # At a menu a lone `#` is an answer of its own (no item has it: a failure).
        answer = call.buffer if call.buffer or menus.nodes[call.cursor.node].kind is Kind.INPUT else key
        return _submitted(call), answer
    buffer = call.buffer + key
    if len(buffer) >= answer_length(menus, call, timers):
        return _submitted(call), buffer
    return replace(call, buffer=buffer, waiting=Waiting.NEXT_DIGIT, deadline=now + timers.inter_digit), None


def _submitted(call: Call) -> Call:
    return replace(call, buffer="", waiting=Waiting.NOTHING, deadline=None)


def shown(menus: MenuSet, call: Call, screen: Screen, now: float, timers: Timers = Timers()) -> Call:
    """The engine's screen after an answer (or the first one): say it and wait for keys."""
    if screen.ended or screen.cursor is None:
        return ended(call, now, EndReason.COMPLETED, screen.text)
    before, after = call.cursor, screen.cursor
    same_node = before is not None and before.node == after.node
    failures = after.tries if same_node and before is not None and after.tries > before.tries else 0
    call = replace(call, cursor=after, failures=failures, timeouts=call.timeouts if same_node else 0)
    if failures >= timers.max_failures:
        return ended(call, now, EndReason.MAX_FAILURES, _text(menus, TEXT_MAX_FAILURES, call))
    return _waiting(call, screen.text, screen.text, now, timers)


def _waiting(call: Call, prompt: str, repeat: str, now: float, timers: Timers) -> Call:
    return replace(call, prompt=prompt, repeat=repeat, buffer="", waiting=Waiting.FIRST_DIGIT,
                   deadline=now + timers.first_digit)


def expire(menus: MenuSet, call: Call, now: float, timers: Timers = Timers()) -> tuple[Call, str | None]:
    """Run the timer due by `now`: the updated call and an answer to submit, if any."""
    if call.state is not CallState.ACTIVE:
        return call, None
    if call.limit_at is not None and now >= call.limit_at:
        return ended(call, now, EndReason.CREDIT_LIMIT, _text(menus, TEXT_CREDIT_LIMIT, call)), None
    if call.deadline is None or now < call.deadline or call.cursor is None:
        return call, None
    at_input = menus.nodes[call.cursor.node].kind is Kind.INPUT
    if call.waiting is Waiting.NEXT_DIGIT and not at_input:
        return _submitted(call), call.buffer  # a half-typed menu key: what there is
    reason = TEXT_INPUT_UNFINISHED if call.waiting is Waiting.NEXT_DIGIT else TEXT_NO_INPUT
    call = replace(call, timeouts=call.timeouts + 1)
    if call.timeouts >= timers.max_timeouts:
        return ended(call, now, EndReason.MAX_TIMEOUTS, _text(menus, TEXT_MAX_TIMEOUTS, call)), None
    prompt = "\n".join(part for part in (_text(menus, reason, call), call.repeat) if part)  # as the engine joins
    return _waiting(call, prompt, call.repeat, now, timers), None


def playing(call: Call, now: float, seconds: float, timers: Timers = Timers()) -> Call:
    """The prompt is being played for `seconds`: the first-digit timer starts after it."""
    if call.waiting is not Waiting.FIRST_DIGIT or call.state is not CallState.ACTIVE:
        return call
    return replace(call, deadline=now + seconds + timers.first_digit)


def ended(call: Call, now: float, reason: EndReason, prompt: str | None = None) -> Call:
    """The call over at `now`; `prompt` is its last words (None: as it was)."""
    if call.state is CallState.ENDED:
        return call
    return replace(call, state=CallState.ENDED, cursor=None, buffer="", ended_at=now, end_reason=reason,
                   prompt=call.prompt if prompt is None else prompt, waiting=Waiting.NOTHING, deadline=None)


def _text(menus: MenuSet, text_id: str, call: Call) -> str:
    locale = call.cursor.locale if call.cursor else menus.locales[0]
    return fill(menus.text(text_id), locale) if text_id in menus.texts else ""
