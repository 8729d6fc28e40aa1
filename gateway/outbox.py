"""Fan-out of SMS that reached a handset's inbox to whoever delivers them live."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from core.ports import MessageRecord

Listener = Callable[[MessageRecord], None]


class Outbox:
    """After a transaction commits, its new MT messages are published here."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def publish(self, sent: Iterable[MessageRecord]) -> None:
        for message in sent:
            for listener in self._listeners:
                listener(message)
