"""The handset JSON API of CONTRACT.md (/api/v1) and /healthz, on twisted.web."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from twisted.internet.defer import inlineCallbacks, maybeDeferred
from twisted.python.failure import Failure
from twisted.web.resource import Resource
from twisted.web.server import NOT_DONE_YET

from core import autopay, credentials, messages, subscribers
from core.access import Actor
from core.errors import CaptchaRequired, DomainError, LoginLocked, WrongPassword
from core.money import format_roubles, parse_roubles
from core.numbers import normalise_msisdn
from gateway.actions import login_time
from gateway.http.corporateapi import CorporateApi
from gateway.http.errors import BadRequest, error_response
from gateway.http.jsonio import field, read_json, write_json
from gateway.http.ratelimit import Door
from gateway.http.ussdapi import RawBody, UssdApi
from gateway.ivr.service import VoiceService, call_json
from gateway.metrics import CONTENT_TYPE, Metrics
from gateway.outbox import Outbox
from gateway.sms.service import SmsService
from gateway.sms.simulation import Behaviour
from gateway.storework import StoreRunner
from gateway.testclock import InvalidAdvance, check_advance
from gateway.ussd.records import iso_time
from gateway.ussd.service import UssdService
from gateway.web.recordapi import RecordApi
from gateway.web.texts import TextsApi
from menus.render import fill

log = logging.getLogger(__name__)
Handler = Callable[..., object]


class Api(Resource):
    """Routes every request by method and path; handlers return (status, body)."""

    isLeaf = True

    def __init__(self, store: StoreRunner, ussd: UssdService, sms: SmsService, voice: VoiceService,
                 outbox: Outbox, menus, clock, ready: Callable[[], bool], metrics: Metrics | None = None) -> None:
        super().__init__()
        self._metrics = metrics
        self._store = store
        self._ussd = ussd
        self._sms = sms
        self._voice = voice
        self._outbox = outbox
        self._menus = menus
        self._clock = clock
        self._ready = ready
        self.on_account: Callable[[dict], None] = lambda summary: None  # handset changes, live (gateway/events.py)
        self.advance_clock: Callable[[float], object] | None = None  # set when the gateway runs a test clock
        self.door = Door()  # rate limit, body size, admin token (gateway/http/ratelimit.py)
        self.catalogue: Callable[[], object] | None = None  # the offer, for the names of tariffs and options
        p = r"/api/v1"
        n = r"(?P<msisdn>[^/]+)"
        self._routes: list[tuple[bytes, re.Pattern, Handler]] = [
            (b"GET", re.compile(r"/healthz"), self.healthz),
            (b"GET", re.compile(r"/metrics"), self.metrics),
            (b"POST", re.compile(p + r"/subscribers"), self.create_subscriber),
            (b"GET", re.compile(p + r"/subscribers/" + n), self.get_subscriber),
            (b"PATCH", re.compile(p + r"/handsets/" + n), self.patch_handset),
            (b"POST", re.compile(p + r"/handsets/" + n + r"/ussd"), self.ussd_input),
            (b"DELETE", re.compile(p + r"/handsets/" + n + r"/ussd"), self.ussd_cancel),
            (b"POST", re.compile(p + r"/handsets/" + n + r"/sms"), self.send_sms),
            (b"GET", re.compile(p + r"/handsets/" + n + r"/inbox"), self.inbox),
            (b"GET", re.compile(p + r"/simulation/sms"), self.get_sms_simulation),
            (b"PUT", re.compile(p + r"/simulation/sms"), self.put_sms_simulation),
            (b"DELETE", re.compile(p + r"/simulation/sms/(?P<destination>[^/]+)"), self.delete_sms_simulation),
            (b"POST", re.compile(p + r"/handsets/" + n + r"/calls"), self.start_call),
            (b"GET", re.compile(p + r"/handsets/" + n + r"/calls"), self.list_calls),
            (b"GET", re.compile(p + r"/calls/(?P<call_id>[^/]+)"), self.get_call),
            (b"POST", re.compile(p + r"/calls/(?P<call_id>[^/]+)/dtmf"), self.dtmf),
            (b"DELETE", re.compile(p + r"/calls/(?P<call_id>[^/]+)"), self.hang_up),
            (b"POST", re.compile(p + r"/login"), self.login),
            (b"POST", re.compile(p + r"/account/password"), self.change_password),
            (b"PATCH", re.compile(p + r"/account/settings"), self.account_settings),
            (b"POST", re.compile(p + r"/account/autopay"), self.create_autopay),
            (b"GET", re.compile(p + r"/account/autopay"), self.list_autopay),
            (b"GET", re.compile(p + r"/clock"), self.get_clock),
            (b"POST", re.compile(p + r"/clock/advance"), self.clock_advance),
        ]
        self.ussd_api = UssdApi(ussd)  # screen, push, dialogue records, /ussd/africastalking
        self._routes += self.ussd_api.routes(p, n)
        self._routes += TextsApi(menus).routes(p)  # the web phone's labels from menus.yaml
        self._routes += RecordApi(menus).routes(p)  # the web phone's Record: events to scenario YAML
        self._routes += CorporateApi(store, clock).routes(p)

    def add_routes(self, routes: list[tuple[bytes, re.Pattern, Handler]]) -> None:
        """More (method, path pattern, handler) routes, e.g. the status page's."""
        self._routes += routes

    def render(self, request):
        path = request.path.decode("utf-8", "replace").rstrip("/") or "/"
        refusal = self.door.refusal(request, path)
        if refusal is not None:
            write_json(request, *refusal)
            return NOT_DONE_YET
        allowed = []
        for method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if method != request.method:
                allowed.append(method)
                continue
            started = time.perf_counter()
            d = maybeDeferred(handler, request, **match.groupdict())
            d.addCallbacks(lambda result: self._respond(request, result), lambda f: self._fail(request, f))
            d.addBoth(self._observe, request, handler.__name__, started)
            return NOT_DONE_YET
        if allowed:
            write_json(request, 405, {"error": "method_not_allowed", "message": f"use {b', '.join(allowed).decode()}"})
        else:
            write_json(request, 404, {"error": "not_found", "message": f"no resource {path}"})
        return NOT_DONE_YET

    def _observe(self, _result, request, route: str, started: float) -> None:
        if self._metrics is not None:
            self._metrics.http_requests.labels(route, str(request.code)).inc()
            self._metrics.http_seconds.labels(route).observe(time.perf_counter() - started)

    def _respond(self, request, result) -> None:
        status, body = result
        if request._disconnected:
            return
        if isinstance(body, RawBody):
            body.write(request, status)
        else:
            write_json(request, status, body)

    def _fail(self, request, failure: Failure) -> None:
        answer = error_response(failure.value)
        if answer is None:
            log.error("unhandled error on %s %s: %s", request.method.decode(), request.path.decode(),
                      failure.getTraceback())
            answer = 500, {"error": "internal_error", "message": "the gateway failed; see its log"}
            if self._metrics is not None:
                self._metrics.errors.labels("http").inc()
        elif answer[0] == 503:
            log.warning("store unavailable on %s %s: %s", request.method.decode(), request.path.decode(),
                        type(failure.value).__name__)
        if not request._disconnected:
            write_json(request, *answer)

    # -- handlers ------------------------------------------------------------------

    def metrics(self, request):
        """Prometheus text exposition of this process's metrics."""
        if self._metrics is None:
            return 404, {"error": "not_found", "message": "metrics are off"}
        return 200, RawBody(CONTENT_TYPE, self._metrics.exposition())

    def healthz(self, request):
        if self._ready():
            return 200, {"status": "ok"}
        return 503, {"status": "starting"}

    @inlineCallbacks
    def create_subscriber(self, request):
        body = read_json(request)
        msisdn = field(body, "msisdn", str)
        tariff = field(body, "tariff", str, required=False, default=subscribers.DEFAULT_TARIFF)
        if self.catalogue is not None:
            self.catalogue().tariff(tariff)  # UnknownItem (400) before a subscriber on no tariff is stored
        balance = parse_roubles(field(body, "balance", (str, int), required=False, default="0"))
        roaming = field(body, "roaming", bool, required=False, default=False)
        locale = field(body, "locale", str, required=False, default="ru")
        account_of = field(body, "account_of", str, required=False)  # join that number's account (R28)
        summary = yield self._store.run(_create, msisdn, self._clock.seconds(), tariff, balance, roaming, locale,
                                        account_of)
        return 201, self._summary_json(summary)

    @inlineCallbacks
    def get_subscriber(self, request, msisdn):
        summary = yield self._store.run(subscribers.summary, normalise_msisdn(msisdn))
        return 200, self._summary_json(summary)

    def _summary_json(self, summary: subscribers.Summary) -> dict:
        """The summary with the catalogue's names (every locale) beside the codes."""
        body = summary.as_json()
        if self.catalogue is not None:
            offer = self.catalogue()
            body["tariff_name"] = _name_of(offer.tariffs, summary.tariff)
            body["option_names"] = [_name_of(offer.options, code) for code in summary.options]
            body["subscription_names"] = [_name_of(offer.subscriptions, code) for code in summary.subscriptions]
        return body

    @inlineCallbacks
    def patch_handset(self, request, msisdn):
        body = read_json(request)
        roaming = field(body, "roaming", bool, required=False)
        switched_on = field(body, "switched_on", bool, required=False)
        if roaming is None and switched_on is None:
            raise BadRequest("missing_field", "give roaming and/or switched_on")
        summary = yield self._store.run(
            _set_handset, normalise_msisdn(msisdn), roaming, switched_on
        )
        self.on_account(self._summary_json(summary))
        if switched_on:  # MT the SMSC held while it was off
            yield self._sms.handset_changed(normalise_msisdn(msisdn))
        return 200, self._summary_json(summary)

    def get_sms_simulation(self, request):
        return 200, self._sms.simulation.as_json()

    def put_sms_simulation(self, request):
        body = read_json(request)
        destination = field(body, "destination", str)
        try:
            behaviour = Behaviour(delay=field(body, "delay", (int, float), required=False, default=0.0),
                                  failure_rate=field(body, "failure_rate", (int, float), required=False, default=0.0),
                                  error_code=field(body, "error_code", int, required=False, default=0))
        except ValueError as error:
            raise BadRequest("invalid_field", str(error)) from error
        self._sms.simulation.set(destination if destination == "*" else normalise_msisdn(destination), behaviour)
        return 200, self._sms.simulation.as_json()

    def delete_sms_simulation(self, request, destination):
        key = destination if destination == "*" else normalise_msisdn(destination)
        if not self._sms.simulation.clear(key):
            raise BadRequest("not_found", f"no simulation for {destination!r}", 404)
        return 204, None

    @inlineCallbacks
    def ussd_input(self, request, msisdn):
        body = read_json(request)
        reply = yield self._ussd.handle(normalise_msisdn(msisdn), field(body, "input", str))
        return 200, reply.as_json()

    def ussd_cancel(self, request, msisdn):
        self._ussd.cancel(normalise_msisdn(msisdn))
        return 204, None

    @inlineCallbacks
    def send_sms(self, request, msisdn):
        body = read_json(request)
        yield self._store.run(subscribers.require_on, msisdn)  # a switched-off handset sends nothing
        message_id = yield self._sms.send_from_handset(
            normalise_msisdn(msisdn), field(body, "to", str), field(body, "text", str)
        )
        return 202, {"id": message_id}

    @inlineCallbacks
    def inbox(self, request, msisdn):
        since_raw = request.args.get(b"since", [None])[0]
        since = None
        if since_raw is not None:
            if not since_raw.isdigit():
                raise BadRequest("invalid_field", "since must be a message id")
            since = int(since_raw)
        listing = yield self._sms.inbox(normalise_msisdn(msisdn), since)
        return 200, listing

    @inlineCallbacks
    def start_call(self, request, msisdn):
        body = read_json(request)
        call = yield self._voice.start(normalise_msisdn(msisdn), field(body, "to", str))
        return 201, call_json(call)

    @inlineCallbacks
    def get_call(self, request, call_id):
        call = yield self._voice.record(call_id)
        return 200, call

    @inlineCallbacks
    def list_calls(self, request, msisdn):
        raw = request.args.get(b"limit", [b"20"])[0]
        if not raw.isdigit() or not 1 <= int(raw) <= 100:
            raise BadRequest("invalid_field", "limit is a number from 1 to 100")
        calls = yield self._voice.records(normalise_msisdn(msisdn), int(raw))
        return 200, calls

    @inlineCallbacks
    def dtmf(self, request, call_id):
        body = read_json(request)
        call = yield self._voice.dtmf(call_id, field(body, "digits", str))
        return 200, call_json(call)

    @inlineCallbacks
    def hang_up(self, request, call_id):
        call = yield self._voice.hang_up(call_id)
        return 200, call_json(call)

    @inlineCallbacks
    def login(self, request):
        body = read_json(request)
        login_name = field(body, "login", str)
        password = field(body, "password", str)
        captcha = (field(body, "captcha_id", str, required=False), field(body, "captcha_answer", str, required=False))
        outcome = yield self._store.run(_login, self._menus(), login_name, password, self._clock.seconds(), captcha)
        if isinstance(outcome, DomainError):
            log.info("login refused: %s", outcome.code)
            raise outcome
        token, sent = outcome
        self._outbox.publish(sent)
        return 200, {"token": token}

    @inlineCallbacks
    def change_password(self, request):
        msisdn = yield self._authenticated(request)
        body = read_json(request)
        outcome = yield self._store.run(
            _change_password, msisdn, field(body, "old_password", str), field(body, "new_password", str),
            self._clock.seconds(),
        )
        if isinstance(outcome, DomainError):
            raise outcome
        return 200, {"status": "ok"}

    @inlineCallbacks
    def account_settings(self, request):
        msisdn = yield self._authenticated(request)
        body = read_json(request)
        enabled = field(body, "login_notifications", bool)
        summary = yield self._store.run(_set_notifications, msisdn, enabled)
        return 200, self._summary_json(summary)

    @inlineCallbacks
    def create_autopay(self, request):
        """R20: a periodic or threshold top-up from a bank card token (never a card number)."""
        msisdn = yield self._authenticated(request)
        body = read_json(request)
        kind = field(body, "kind", str)
        token = field(body, "card_token", str)
        amount = parse_roubles(field(body, "amount", (str, int)))
        if kind == "periodic":
            args = (autopay.create_periodic, Actor.handset(msisdn), token, field(body, "every", str), amount)
        elif kind == "threshold":
            threshold = parse_roubles(field(body, "threshold", (str, int)))
            args = (autopay.create_threshold, Actor.handset(msisdn), token, threshold, amount)
        else:
            raise BadRequest("invalid_field", "kind is periodic or threshold")
        rule = yield self._store.run(*args, self._clock.seconds())
        return 201, autopay_json(rule)

    @inlineCallbacks
    def list_autopay(self, request):
        msisdn = yield self._authenticated(request)
        rules = yield self._store.run(autopay.rules, Actor.handset(msisdn))
        return 200, [autopay_json(rule) for rule in rules]

    def get_clock(self, request):
        now = self._clock.seconds()
        return 200, {"now": iso_time(now), "seconds": now, "test_clock": self.advance_clock is not None}

    @inlineCallbacks
    def clock_advance(self, request):
        """Test clock only: move time on by `seconds`, fire the timers due, run the periodic jobs."""
        if self.advance_clock is None:
            raise BadRequest("no_test_clock", "the gateway runs on real time; start it with --test-clock", 404)
        body = read_json(request)
        if "seconds" not in body:
            raise BadRequest("missing_field", "missing field 'seconds'")
        try:
            seconds = check_advance(body["seconds"])
        except InvalidAdvance as error:
            raise BadRequest("invalid_field", str(error)) from error
        now = yield self.advance_clock(seconds)
        return 200, {"now": iso_time(now), "seconds": now, "test_clock": True}

    def _authenticated(self, request):
        header = (request.getHeader(b"authorization") or b"").decode("latin-1")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        return self._store.run(credentials.authenticate, token)


def autopay_json(rule) -> dict:
    return {
        "id": rule.id, "kind": rule.kind.value, "every": rule.every.value if rule.every else None,
        "threshold": format_roubles(rule.threshold) if rule.threshold is not None else None,
        "amount": format_roubles(rule.amount), "card": f"…{rule.card_token[-4:]}", "status": rule.status.value,
    }


def _create(uow, msisdn, now, tariff, balance, roaming, locale, account_of=None):
    account_id = subscribers.require(uow, account_of).account_id if account_of is not None else None
    return subscribers.create(uow, msisdn, now, tariff=tariff, balance=balance, roaming=roaming, locale=locale,
                              account_id=account_id)


def _name_of(items, code: str) -> dict[str, str]:
    """An item's names by locale; the code itself for one the catalogue no longer has."""
    item = items.get(code)
    return dict(item.name) if item is not None else {"ru": code, "en": code}


def _set_handset(uow, msisdn, roaming, switched_on):
    return subscribers.set_handset(uow, msisdn, roaming=roaming, switched_on=switched_on)


def _set_notifications(uow, msisdn, enabled):
    credentials.set_login_notifications(uow, msisdn, enabled)
    return subscribers.summary(uow, msisdn)


def _login(uow, menus, login_name, password, now, captcha=(None, None)):
    # A wrong password must be counted even though the login fails, so the refusal is
    # returned (and the transaction commits) instead of raised (and rolled back).
    try:
        result = credentials.login(uow, login_name, password, now, captcha_id=captcha[0], captcha_answer=captcha[1])
    except (WrongPassword, LoginLocked, CaptchaRequired) as refusal:
        return refusal
    sent = []
    if result.notify:
        locale = subscribers.require(uow, result.msisdn).locale
        text = fill(menus.text("login_notification_sms"), locale, {"time": login_time(now)})
        sent.append(messages.store_mt(uow, result.msisdn, menus.sender, text, now))
    return result.token, sent


def _change_password(uow, msisdn, old, new, now):
    try:
        credentials.change_password(uow, msisdn, old, new, now)
    except (WrongPassword, LoginLocked) as refusal:
        return refusal
    return None
