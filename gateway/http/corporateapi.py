"""Operator-side set-up of corporate clients (R29): what a sales office does before a
client's numbers can register the corporate account by SMS (R30). Api routes here."""

from __future__ import annotations

import re

from twisted.internet.defer import inlineCallbacks

from core.corporate import clients
from gateway.http.errors import BadRequest
from gateway.http.jsonio import field, read_json
from gateway.storework import StoreRunner


class CorporateApi:
    def __init__(self, store: StoreRunner, clock) -> None:
        self._store = store
        self._clock = clock

    def routes(self, prefix: str) -> list[tuple[bytes, re.Pattern, object]]:
        return [
            (b"POST", re.compile(prefix + r"/corporate/clients"), self.create_client),
            (b"GET", re.compile(prefix + r"/corporate/clients/(?P<client_id>[0-9]{1,18})"), self.get_client),
        ]

    @inlineCallbacks
    def create_client(self, request):
        """`{"name", "kind", "regions": [...], "members": [...], "contacts"?: [...],
        "secret_question"?, "secret_answer"?}` → 201 with the client."""
        body = read_json(request)
        view = yield self._store.run(
            clients.create_client, field(body, "name", str), field(body, "kind", str),
            _strings(body, "regions"), self._clock.seconds(), members=_strings(body, "members"),
            contacts=_strings(body, "contacts", required=False),
            secret_question=field(body, "secret_question", str, required=False),
            secret_answer=field(body, "secret_answer", str, required=False),
        )
        return 201, client_json(view)

    @inlineCallbacks
    def get_client(self, request, client_id):
        view = yield self._store.run(clients.client, int(client_id))
        return 200, client_json(view)


def client_json(view: clients.ClientView) -> dict:
    """A client as the API shows it; never the secret answer (only whether a question is set)."""
    return {"id": view.id, "name": view.name, "kind": view.kind.value, "federal": view.federal,
            "regions": list(view.regions), "members": list(view.members), "contacts": list(view.contacts),
            "login": view.login, "secret_question": view.secret_question}


def _strings(body: dict, name: str, *, required: bool = True) -> list[str]:
    values = field(body, name, list, required=required, default=[])
    if not all(isinstance(value, str) for value in values):
        raise BadRequest("invalid_field", f"field {name!r} is a list of strings")
    return values
