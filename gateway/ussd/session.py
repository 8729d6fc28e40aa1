"""The table of open USSD dialogues: one per handset, whose turn it is, and its deadlines.

How it works: GSM allows one USSD transaction per subscriber (TS 24.090 §6.1), so the
table is keyed by MSISDN and a new dial replaces the open dialogue. A dialogue is in one
of two phases: HANDSET (a screen is shown, the subscriber has `screen_timeout` seconds
to answer) or NETWORK (the subscriber dialled or answered; an external application has
`app_timeout` seconds to send the next screen, the built-in menus have no such limit).
Every dialogue also ends `dialogue_limit` seconds after it started. `expiry()` says when
and why the dialogue runs out; the adapter arms a timer for it, and `current()` treats an
expired dialogue as gone even before that timer fired. No clocks inside: callers pass
`now`. Dialogues are mutable and slotted: the table may hold many thousands.
"""

from __future__ import annotations

import enum
import math
import uuid
from dataclasses import dataclass, field

from gateway.ussd.events import Initiator, Phase, Server, Step
from menus.engine import Cursor


class Expiry(enum.Enum):
    SCREEN = "screen"  # the subscriber did not answer the screen in time
    APP = "app"  # the application did not send the next screen in time
    LIMIT = "limit"  # the whole dialogue took too long


@dataclass(slots=True, eq=False)
class Dialogue:
    session_id: str
    msisdn: str
    service_code: str
    server: Server
    initiator: Initiator
    locale: str
    started_at: float
    phase: Phase = Phase.NETWORK
    deadline: float = math.inf  # end of the current phase
    cursor: Cursor | None = None  # where the built-in menus stand
    screen: str = ""  # the last screen shown
    history: str = ""  # the inputs after the dial, `*`-joined (Africa's Talking `text`)
    steps: list[Step] = field(default_factory=list)
    transport: str = "http"  # the handset side: http | smpp | africastalking
    terminal: object | None = None  # the adapter that shows screens the handset did not ask for
    app: object | None = None  # the application's address: a route URL
    its_session: int | None = None  # the SMPP application's its_session_info, echoed back

    def record(self, now: float, kind: str, text: str) -> None:
        self.steps.append(Step(round(now - self.started_at, 3), kind, text))


class Dialogues:
    def __init__(self, screen_timeout: float = 30.0, dialogue_limit: float = 180.0,
                 app_timeout: float = 10.0) -> None:
        self.screen_timeout = screen_timeout
        self.dialogue_limit = dialogue_limit
        self.app_timeout = app_timeout
        self._open: dict[str, Dialogue] = {}

    def get(self, msisdn: str) -> Dialogue | None:
        """The handset's dialogue, even one already past its deadline."""
        return self._open.get(msisdn)

    def current(self, msisdn: str, now: float) -> Dialogue | None:
        """The open dialogue of a handset, or None (never opened, ended or expired)."""
        dialogue = self._open.get(msisdn)
        if dialogue is None or now >= self.expiry(dialogue)[0]:
            return None
        return dialogue

    def open(self, msisdn: str, service_code: str, now: float, *, server: Server = Server.MENUS,
             initiator: Initiator = Initiator.MOBILE, locale: str = "ru") -> Dialogue:
        """Start a dialogue waiting for its first screen, replacing any of the same handset."""
        dialogue = Dialogue(
            session_id=uuid.uuid4().hex, msisdn=msisdn, service_code=service_code, server=server,
            initiator=initiator, locale=locale, started_at=now,
        )
        self._waiting_for_network(dialogue, now)
        self._open[msisdn] = dialogue
        return dialogue

    def shown(self, dialogue: Dialogue, text: str, now: float, cursor: Cursor | None = None) -> Dialogue:
        """A screen went to the handset: its reply is awaited for `screen_timeout`."""
        dialogue.phase = Phase.HANDSET
        dialogue.deadline = now + self.screen_timeout
        dialogue.screen = text
        dialogue.cursor = cursor
        return dialogue

    def answered(self, dialogue: Dialogue, text: str, now: float) -> Dialogue:
        """The handset answered: the next screen is awaited."""
        dialogue.history = f"{dialogue.history}*{text}" if dialogue.history else text
        self._waiting_for_network(dialogue, now)
        return dialogue

    def expiry(self, dialogue: Dialogue) -> tuple[float, Expiry]:
        """When the dialogue runs out, and why."""
        limit = dialogue.started_at + self.dialogue_limit
        if dialogue.deadline < limit:
            return dialogue.deadline, Expiry.SCREEN if dialogue.phase is Phase.HANDSET else Expiry.APP
        return limit, Expiry.LIMIT

    def close(self, msisdn: str) -> Dialogue | None:
        return self._open.pop(msisdn, None)

    def discard(self, dialogue: Dialogue) -> bool:
        """Remove this very dialogue if it is still the handset's; True when it was."""
        if self._open.get(dialogue.msisdn) is dialogue:
            del self._open[dialogue.msisdn]
            return True
        return False

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self):
        return iter(list(self._open.values()))

    def _waiting_for_network(self, dialogue: Dialogue, now: float) -> None:
        dialogue.phase = Phase.NETWORK
        external = dialogue.server in (Server.SMPP_APP, Server.HTTP_APP)
        dialogue.deadline = now + self.app_timeout if external else math.inf
