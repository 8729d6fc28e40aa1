"""Live events per handset: what its screen would show now (new SMS, USSD screens, call
prompts, account changes), fanned out in process to whoever watches it (the WebSocket of
`/api/v1/handsets/{msisdn}/events`).

Events are JSON-ready dicts with a `type`. The channels publish after the fact (an SMS
once its transaction committed, a screen once it is the dialogue's); the hub keeps
nothing, so a watcher sees what happens while it watches and reads the rest from the API.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from core.ports import MessageRecord
from gateway.ivr.service import call_json
from gateway.ussd.records import iso_time

log = logging.getLogger(__name__)
Event = dict
Listener = Callable[[Event], None]


class EventHub:
    """Watchers by MSISDN; a failing watcher is dropped without disturbing the others."""

    def __init__(self) -> None:
        self._watchers: dict[str, list[Listener]] = {}
        # Several nodes: every event also goes to the others' watchers (gateway/cluster).
        self.relay: Callable[[str, Event], None] | None = None

    def subscribe(self, msisdn: str, listener: Listener) -> Callable[[], None]:
        """Watch one handset; returns the function that stops watching (safe to call twice)."""
        self._watchers.setdefault(msisdn, []).append(listener)

        def unsubscribe() -> None:
            watchers = self._watchers.get(msisdn, [])
            if listener in watchers:
                watchers.remove(listener)
            if not watchers:
                self._watchers.pop(msisdn, None)

        return unsubscribe

    def watchers(self, msisdn: str) -> int:
        return len(self._watchers.get(msisdn, ()))

    def publish(self, msisdn: str, event: Event) -> int:
        """Hand `event` to every watcher of `msisdn` (on every node); returns how many here took it."""
        if self.relay is not None:
            self.relay(msisdn, event)
        return self.deliver(msisdn, event)

    def deliver(self, msisdn: str, event: Event) -> int:
        """Hand `event` to this node's watchers of `msisdn`; returns how many took it."""
        taken = 0
        for listener in list(self._watchers.get(msisdn, ())):
            try:
                listener(event)
            except Exception:
                # A broken watcher (a socket gone half-way) must not cost the others their event.
                log.exception("event watcher of %s failed; dropped", msisdn)
                self._drop(msisdn, listener)
            else:
                taken += 1
        return taken

    def _drop(self, msisdn: str, listener: Listener) -> None:
        watchers = self._watchers.get(msisdn, [])
        if listener in watchers:
            watchers.remove(listener)

    # -- what the channels publish ---------------------------------------------------------

    def sms_arrived(self, message: MessageRecord) -> None:
        """An SMS reached the handset's inbox: the shape of a GET …/inbox item, typed `sms`."""
        if self.relay is None and message.msisdn not in self._watchers:
            return  # nobody to tell: not worth building (every MT of the SMSC comes here)
        self.publish(message.msisdn, {
            "type": "sms", "id": message.id, "from": message.peer, "text": message.text,
            "received_at": iso_time(message.created_at),
        })

    def ussd_shown(self, reply) -> None:
        """A USSD screen the handset did not ask for: a push, or the end of a timed-out or
        failed dialogue (`gateway.ussd.events.UssdReply`)."""
        if reply.released or not reply.msisdn:
            return
        self.publish(reply.msisdn, {"type": "ussd", **reply.as_json(), "service_code": reply.service_code})

    def call_changed(self, call) -> None:
        """A voice-menu call connected, moved to a new prompt or ended (`gateway.ivr.session.Call`)."""
        self.publish(call.msisdn, {"type": "call", **call_json(call)})

    def account_changed(self, summary: dict) -> None:
        """The subscriber's summary changed (roaming, switched on, balance): the GET
        /subscribers/{msisdn} body, typed `account`."""
        self.publish(summary["msisdn"], {"type": "account", **summary})
