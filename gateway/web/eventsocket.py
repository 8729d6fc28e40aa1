"""The WebSocket `/api/v1/handsets/{msisdn}/events`: a handset's live events as JSON text
frames, one event a frame, server to client only.

The first frame is `{"type": "subscribed", "msisdn"}`, sent once the socket watches the
handset, so a client knows that what happens from then on reaches it. An unknown number
is refused in the handshake (404), a malformed one with 400.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny
from twisted.internet.defer import Deferred, inlineCallbacks

from core.errors import DomainError, UnknownSubscriber
from core.numbers import normalise_msisdn
from gateway.events import Event, EventHub

log = logging.getLogger(__name__)
EVENTS_PATH = re.compile(r"/api/v1/handsets/(?P<msisdn>[^/]+)/events/?")
PING_INTERVAL, PING_TIMEOUT = 30.0, 10.0  # a dead client is noticed within 40 s


class HandsetEvents(WebSocketServerProtocol):
    """One watcher of one handset."""

    msisdn = ""
    _unsubscribe: Callable[[], None] | None = None

    @inlineCallbacks
    def onConnect(self, request) -> Deferred[None]:
        match = EVENTS_PATH.fullmatch(request.path)
        if match is None:
            raise ConnectionDeny(ConnectionDeny.NOT_FOUND, "no such resource")
        try:
            msisdn = normalise_msisdn(match["msisdn"])
        except DomainError as error:
            raise ConnectionDeny(ConnectionDeny.BAD_REQUEST, str(error)) from error
        try:
            yield self.factory.known(msisdn)
        except UnknownSubscriber as error:
            raise ConnectionDeny(ConnectionDeny.NOT_FOUND, f"no subscriber {msisdn}") from error
        self.msisdn = msisdn
        return None

    def onOpen(self) -> None:
        self._unsubscribe = self.factory.hub.subscribe(self.msisdn, self.send_event)
        log.info("events of %s watched from %s", self.msisdn, self.peer)
        self.send_event({"type": "subscribed", "msisdn": self.msisdn})

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        """Clients have nothing to say on this socket; what they send is ignored."""

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
            log.info("events of %s no longer watched from %s", self.msisdn, self.peer)

    def send_event(self, event: Event) -> None:
        if self.state != self.STATE_OPEN:
            return  # closing: onClose unsubscribes
        self.sendMessage(json.dumps(event, ensure_ascii=False).encode("utf-8"), isBinary=False)


class HandsetEventsFactory(WebSocketServerFactory):
    """Builds a HandsetEvents per socket; `known(msisdn)` fails with UnknownSubscriber for a
    number the gateway does not serve."""

    protocol = HandsetEvents

    def __init__(self, hub: EventHub, known: Callable[[str], Deferred], reactor) -> None:
        super().__init__(server="channel-gateway", reactor=reactor)
        self.hub = hub
        self.known = known
        self.setProtocolOptions(autoPingInterval=PING_INTERVAL, autoPingTimeout=PING_TIMEOUT, webStatus=False)
