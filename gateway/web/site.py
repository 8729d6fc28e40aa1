"""The HTTP port's root: the web phone at `/`, its files under `/static/`, the events
WebSocket, and the JSON API (gateway/http/api.py) for every other path."""

from __future__ import annotations

from pathlib import Path

from autobahn.twisted.resource import WebSocketResource
from twisted.web.pages import notFound
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET
from twisted.web.static import File

from gateway.http.jsonio import write_json
from gateway.web.eventsocket import EVENTS_PATH, HandsetEventsFactory

STATIC = Path(__file__).resolve().parent / "static"


class StaticFiles(File):
    """The page's files; a folder is neither listed nor answered by its index."""

    indexNames: list[str] = []

    def directoryListing(self):
        return notFound()


class UpgradeRequired(Resource):
    """A plain HTTP request for the events socket: 426, in the API's JSON error form."""

    isLeaf = True

    def render(self, request):
        request.setHeader(b"upgrade", b"websocket")
        write_json(request, 426, {"error": "upgrade_required",
                                  "message": "this is a WebSocket: connect with Upgrade: websocket"})
        return NOT_DONE_YET


class Root(Resource):
    """Picks the resource by the whole path, so the API keeps its own regex routing."""

    def __init__(self, api: Resource, events: HandsetEventsFactory, static: Path = STATIC) -> None:
        super().__init__()
        self._api = api
        self._events = WebSocketResource(events)
        self._not_upgraded = UpgradeRequired()
        self._static = StaticFiles(str(static))
        self._index = StaticFiles(str(static / "index.html"))

    def getChildWithDefault(self, name: bytes, request):
        if request.path == b"/":
            return self._index
        if name == b"static":
            return self._static
        if EVENTS_PATH.fullmatch(request.path.decode("utf-8", "replace")):
            upgrade = (request.getHeader(b"upgrade") or b"").lower()
            return self._events if upgrade == b"websocket" else self._not_upgraded
        return self._api
