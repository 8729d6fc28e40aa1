"""What crosses the USSD channel's edges: screens for handsets, record steps, outcomes."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import NamedTuple

from menus.engine import Continuation, Cursor


class Server(enum.Enum):
    """Who writes a dialogue's screens."""

    MENUS = "menus"  # the built-in menus (menus.yaml)
    SMPP_APP = "smpp_app"  # an SMPP `application` account owning the service code
    HTTP_APP = "http_app"  # an Africa's Talking-style app behind a configured route
    NETWORK = "network"  # a push through the HTTP API: nobody answers the reply


class Initiator(enum.Enum):
    MOBILE = "mobile"  # the subscriber dialled (PSSR)
    NETWORK = "network"  # pushed to the handset (USSR / USSN)


class Phase(enum.Enum):
    """Whose turn it is in an open dialogue."""

    HANDSET = "handset"  # a screen is shown; the subscriber's reply is awaited
    NETWORK = "network"  # the subscriber dialled or answered; the next screen is awaited


class Outcome(enum.Enum):
    COMPLETED = "completed"  # the menus or the application ended it with a last screen
    RELEASED = "released"  # the handset released it (cancel, abort, a new dial)
    TIMED_OUT = "timed_out"  # no reply in time, or the whole-dialogue limit
    APP_ERROR = "app_error"  # the application failed: not bound, no answer, bad answer


class PushType(enum.Enum):
    NOTIFY = "notify"  # USSN: text only, nothing to answer
    REQUEST = "request"  # USSR: the handset's next input answers it


class Step(NamedTuple):
    """One line of a dialogue record: seconds since the start, what happened, its text."""

    at: float
    kind: str  # dial | reply | secret | screen | end | push | notify | release | timeout | error
    text: str


MASK = "***"  # what a secret input is recorded as


@dataclass(frozen=True)
class UssdReply:
    """A screen for the handset: what it shows and whether the dialogue goes on."""

    session_id: str
    text: str
    continuation: Continuation
    released: bool = False  # ended because the handset itself released it: nothing to show
    msisdn: str = ""
    service_code: str = ""

    @property
    def ended(self) -> bool:
        return self.continuation is Continuation.END

    def as_json(self) -> dict:
        return {"session_id": self.session_id, "text": self.text, "end": self.ended}


class ScreenOut(NamedTuple):
    """A server's answer inside the service: the next screen and, when it ends, why."""

    text: str
    continuation: Continuation
    cursor: Cursor | None = None
    outcome: Outcome = Outcome.COMPLETED
    closed: bool = False  # the dialogue is already finished; just show the text
    released: bool = False
