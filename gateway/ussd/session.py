"""The table of open USSD dialogues: one per handset, with reply and total deadlines.

How it works: GSM allows one USSD transaction per subscriber (TS 24.090 §6.1), so the
table is keyed by MSISDN and a new dial replaces the open dialogue. Each dialogue has a
deadline for the subscriber's next reply and an absolute limit; `current(msisdn, now)`
treats an expired dialogue as gone. No clocks inside: callers pass `now`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace

from menus.engine import Cursor


@dataclass(frozen=True)
class Dialogue:
    session_id: str
    msisdn: str
    service_code: str
    cursor: Cursor
    started_at: float
    reply_deadline: float


class Dialogues:
    def __init__(self, screen_timeout: float = 30.0, dialogue_limit: float = 180.0) -> None:
        self.screen_timeout = screen_timeout
        self.dialogue_limit = dialogue_limit
        self._open: dict[str, Dialogue] = {}

    def current(self, msisdn: str, now: float) -> Dialogue | None:
        """The open dialogue of a handset, or None (never opened, ended or expired)."""
        dialogue = self._open.get(msisdn)
        if dialogue is None:
            return None
        if now >= dialogue.reply_deadline or now >= dialogue.started_at + self.dialogue_limit:
            del self._open[msisdn]
            return None
        return dialogue

    def open(self, msisdn: str, service_code: str, cursor: Cursor, now: float) -> Dialogue:
        """Start a dialogue, replacing any open one of the same handset."""
        dialogue = Dialogue(
            session_id=uuid.uuid4().hex, msisdn=msisdn, service_code=service_code,
            cursor=cursor, started_at=now, reply_deadline=now + self.screen_timeout,
        )
        self._open[msisdn] = dialogue
        return dialogue

    def advance(self, dialogue: Dialogue, cursor: Cursor, now: float) -> Dialogue:
        """The dialogue shows its next screen and waits for a reply again."""
        moved = replace(dialogue, cursor=cursor, reply_deadline=now + self.screen_timeout)
        self._open[dialogue.msisdn] = moved
        return moved

    def close(self, msisdn: str) -> Dialogue | None:
        return self._open.pop(msisdn, None)

    def __len__(self) -> int:
        return len(self._open)
