"""`POST /api/v1/scenarios/record`: the web phone's recorded events as scenario YAML.

The page only collects what happened; the rules that keep secrets out of the file are
gateway/scenario/record.py's, the same the terminal phone records with.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from core.numbers import normalise_msisdn
from gateway.http.errors import BadRequest
from gateway.http.jsonio import field, read_json
from gateway.http.ussdapi import RawBody
from gateway.scenario.format import ScenarioError, parse_scenario
from gateway.scenario.record import InvalidEvents, from_events, password_templates
from menus.schema import MenuSet

YAML = b"application/yaml; charset=utf-8"


class RecordApi:
    def __init__(self, menus: Callable[[], MenuSet]) -> None:
        self._menus = menus

    def routes(self, prefix: str) -> list[tuple[bytes, re.Pattern, object]]:
        return [(b"POST", re.compile(prefix + r"/scenarios/record"), self.record)]

    def record(self, request):
        """`{"msisdn", "events": [...]}` → 200 the scenario (application/yaml); 400
        `invalid_events` saying which event is wrong. Nothing is stored or logged."""
        body = read_json(request)
        msisdn = normalise_msisdn(field(body, "msisdn", str))
        events = body.get("events")
        try:
            recording = from_events(msisdn, events, password_templates(self._menus().texts),
                                    source="the web phone's Record")
        except InvalidEvents as error:
            raise BadRequest("invalid_events", str(error)) from error
        text = recording.text()
        try:
            parse_scenario(text, "recording")  # what `gateway scenario run` will accept
        except ScenarioError as error:
            raise BadRequest("invalid_events", "; ".join(error.problems)) from error
        return 200, RawBody(YAML, text.encode("utf-8"))
