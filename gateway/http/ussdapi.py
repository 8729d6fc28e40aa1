"""The USSD part of the HTTP API: the handset's screen, pushes, dialogue records, and the
Africa's Talking-style endpoint. Api (api.py) routes to these handlers."""

from __future__ import annotations

import re
from dataclasses import dataclass

from twisted.internet.defer import inlineCallbacks

from core.numbers import normalise_msisdn
from gateway.http.africastalking import AfricasTalkingInbound
from gateway.http.errors import BadRequest
from gateway.http.jsonio import field, read_json
from gateway.ussd.events import PushType
from gateway.ussd.records import open_record, record_json, scenario_yaml
from gateway.ussd.service import UssdService

DEFAULT_LIMIT, MAX_LIMIT = 50, 500


@dataclass(frozen=True)
class RawBody:
    """A response body that is not JSON (text/plain for Africa's Talking, YAML scenarios)."""

    content_type: bytes
    data: bytes

    def write(self, request, status: int) -> None:
        request.setResponseCode(status)
        request.setHeader(b"content-type", self.content_type)
        request.setHeader(b"content-length", str(len(self.data)).encode())
        request.write(self.data)
        request.finish()


class UssdApi:
    def __init__(self, service: UssdService) -> None:
        self._service = service
        self.africastalking = AfricasTalkingInbound(service)

    def routes(self, prefix: str, msisdn: str) -> list[tuple[bytes, re.Pattern, object]]:
        dialogue = r"/dialogues/(?P<dialogue_id>[0-9a-f]{1,32})"
        return [
            (b"GET", re.compile(prefix + r"/handsets/" + msisdn + r"/ussd"), self.screen),
            (b"POST", re.compile(prefix + r"/handsets/" + msisdn + r"/ussd/push"), self.push),
            (b"GET", re.compile(prefix + r"/handsets/" + msisdn + r"/dialogues"), self.dialogues),
            (b"GET", re.compile(prefix + dialogue), self.dialogue),
            (b"GET", re.compile(prefix + dialogue + r"/scenario"), self.scenario),
            (b"POST", re.compile(r"/ussd/africastalking"), self.inbound),
        ]

    @inlineCallbacks
    def screen(self, request, msisdn):
        msisdn = normalise_msisdn(msisdn)
        yield self._service.locale_of(msisdn)  # 404 for an unknown number
        reply = self._service.screen(msisdn)
        return (204, None) if reply is None else (200, reply.as_json())

    @inlineCallbacks
    def push(self, request, msisdn):
        body = read_json(request)
        text = field(body, "text", str)
        if not text.strip():
            raise BadRequest("invalid_field", "text must not be empty")
        kind = field(body, "type", str, required=False, default=PushType.NOTIFY.value)
        try:
            push_type = PushType(kind)
        except ValueError as error:
            raise BadRequest("invalid_field", "type is notify or request") from error
        reply = yield self._service.push(normalise_msisdn(msisdn), text, push_type)
        return 200, reply.as_json()

    @inlineCallbacks
    def dialogues(self, request, msisdn):
        msisdn = normalise_msisdn(msisdn)
        raw = request.args.get(b"limit", [str(DEFAULT_LIMIT).encode()])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
            raise BadRequest("invalid_field", f"limit is a number from 1 to {MAX_LIMIT}")
        rows = yield self._service.records.of(msisdn, int(raw))
        current = self._service.dialogues.current(msisdn, self._service.now())
        listing = [record_json(open_record(current))] if current is not None else []
        return 200, listing + [record_json(row) for row in rows]

    @inlineCallbacks
    def dialogue(self, request, dialogue_id):
        row = yield self._service.records.get(dialogue_id)
        return 200, record_json(row)

    @inlineCallbacks
    def scenario(self, request, dialogue_id):
        row = yield self._service.records.get(dialogue_id)
        return 200, RawBody(b"application/yaml; charset=utf-8", scenario_yaml(row).encode("utf-8"))

    @inlineCallbacks
    def inbound(self, request):
        text = yield self.africastalking.handle(request)
        return 200, RawBody(b"text/plain; charset=utf-8", text.encode("utf-8"))
