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

Several nodes (gateway/cluster): the table stays each node's working set; `state_of` and
`dialogue_of` turn a dialogue into plain JSON-ready data and back so that another node can
take it on, and `adopt` puts such a dialogue into the table. Values typed at secret inputs
never go into that data: `state_of` leaves them out and lists their names in `secrets`.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Collection
from dataclasses import dataclass, field, replace

from gateway.ussd.events import Initiator, Phase, Server, Step
from menus.engine import Cursor
from menus.schema import Channel


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
    version: int = 0  # bumped each time the dialogue is written to the shared store

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

    def adopt(self, dialogue: Dialogue) -> Dialogue | None:
        """Put a dialogue taken on from another node into the table; returns the one it replaced."""
        old = self._open.get(dialogue.msisdn)
        self._open[dialogue.msisdn] = dialogue
        return old

    def __len__(self) -> int:
        return len(self._open)

    def __iter__(self):
        return iter(list(self._open.values()))

    def _waiting_for_network(self, dialogue: Dialogue, now: float) -> None:
        dialogue.phase = Phase.NETWORK
        external = dialogue.server in (Server.SMPP_APP, Server.HTTP_APP)
        dialogue.deadline = now + self.app_timeout if external else math.inf


def state_of(d: Dialogue, secret_names: Collection[str] = ()) -> dict:
    """The dialogue as JSON-ready data for the shared store, without its terminal (a bind of
    this node) and without the values of `secret_names` (their names are listed instead)."""
    cursor = None
    secrets: list[str] = []
    if d.cursor is not None:
        c = d.cursor
        kept = [[name, value] for name, value in c.values if name not in secret_names]
        secrets = [name for name, _ in c.values if name in secret_names]
        cursor = {"node": c.node, "locale": c.locale, "channel": c.channel.value, "tries": c.tries,
                  "values": kept, "trail": list(c.trail), "page": c.page,
                  "choices": [list(pair) for pair in c.choices], "header": c.header,
                  "pages": list(c.pages), "ending": c.ending}
    return {
        "session_id": d.session_id, "msisdn": d.msisdn, "service_code": d.service_code,
        "server": d.server.value, "initiator": d.initiator.value, "locale": d.locale,
        "started_at": d.started_at, "phase": d.phase.value,
        "deadline": None if math.isinf(d.deadline) else d.deadline, "cursor": cursor, "secrets": secrets,
        "screen": d.screen, "history": d.history, "steps": [list(step) for step in d.steps],
        "transport": d.transport, "app": d.app, "its_session": d.its_session, "version": d.version,
    }


def dialogue_of(state: dict, secrets: dict[str, str] | None = None) -> Dialogue:
    """A dialogue from `state_of` data; `secrets` gives the values left out (None: none known,
    and then the state must hold no secret: KeyError otherwise)."""
    cursor = None
    raw = state.get("cursor")
    if raw is not None:
        missing = [name for name in state.get("secrets", ()) if name not in (secrets or {})]
        if missing:
            raise KeyError(f"secret inputs typed on another node: {', '.join(missing)}")
        values = tuple((name, value) for name, value in raw["values"])
        values += tuple((name, (secrets or {})[name]) for name in state.get("secrets", ()))
        cursor = replace(Cursor(node=raw["node"], locale=raw["locale"]), channel=Channel(raw["channel"]),
                         tries=raw["tries"], values=values, trail=tuple(raw["trail"]), page=raw["page"],
                         choices=tuple(tuple(pair) for pair in raw["choices"]), header=raw["header"],
                         pages=tuple(raw["pages"]), ending=raw["ending"])
    return Dialogue(
        session_id=state["session_id"], msisdn=state["msisdn"], service_code=state["service_code"],
        server=Server(state["server"]), initiator=Initiator(state["initiator"]), locale=state["locale"],
        started_at=state["started_at"], phase=Phase(state["phase"]),
        deadline=math.inf if state["deadline"] is None else state["deadline"], cursor=cursor,
        screen=state["screen"], history=state["history"], steps=[Step(*step) for step in state["steps"]],
        transport=state["transport"], app=state["app"], its_session=state["its_session"],
        version=state["version"],
    )
