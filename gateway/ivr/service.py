"""Voice-menu calls for the API and SIP: connect, keypad tones, digit timers, hang up, records.

How it works: each active call has one timer on the injected clock, armed for the call
core's next deadline (gateway/ivr/session.py): first digit, next digit, or the end of a
paid call's money. Everything that changes a call — keys, a timer, a hang-up — runs on
that call's queue, one after the other, so an action still running in the store is
never overtaken. Observers (the SIP adapter, the live event stream) hear of every new
prompt and of the end. An ended call is charged and stored as a call record in one
transaction; its path masks secret inputs (R04, R08).
"""

from __future__ import annotations

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import replace

from twisted.internet.defer import Deferred, DeferredList, inlineCallbacks, succeed

from core import charging, subscribers, voice
from core.errors import DomainError, InsufficientFunds
from core.money import format_roubles
from core.numbers import is_msisdn, normalise_msisdn
from gateway.actions import Context
from gateway.ivr import session
from gateway.ivr.errors import UnknownCall, UnknownVoiceNumber
from gateway.ivr.session import Call, CallState, EndReason, Timers, check_digits, new_call
from gateway.menurunner import MenuRunner
from gateway.storework import StoreRunner
from gateway.ussd.records import iso_time as _iso
from menus import engine
from menus.schema import Channel

log = logging.getLogger(__name__)
KEEP_ENDED = 1000  # ended calls kept in memory; older ones are read from the call records
Observer = Callable[[Call], None]


class VoiceService:
    def __init__(self, runner: MenuRunner, store: StoreRunner, clock, otp_ttl: float,
                 timers: Timers | None = None) -> None:
        self._runner = runner
        self._store = store
        self._clock = clock
        self._otp_ttl = otp_ttl
        self.timers = timers or Timers()
        self.calls: dict[str, Call] = {}
        self._ended: OrderedDict[str, Call] = OrderedDict()  # the latest, for GET /calls/{id}
        self._timers: dict[str, object] = {}  # call id -> its IDelayedCall
        self._queues: dict[str, Deferred] = {}  # call id -> the tail of its work
        self._watchers: dict[str, Observer] = {}  # call id -> its channel (SIP)
        self.observers: list[Observer] = []  # every call's changes (the event stream)
        self._writes: set[Deferred] = set()

    def voice_number(self, dialled: str) -> str:
        """The menu number a dialled string reaches (`0505`, `+79221110505` in any form)."""
        numbers = self._runner.menus.voice.numbers
        if dialled in numbers:
            return dialled
        if is_msisdn(dialled):
            canonical = normalise_msisdn(dialled)
            for number in numbers:
                if is_msisdn(number) and normalise_msisdn(number) == canonical:
                    return number
        raise UnknownVoiceNumber(f"{dialled!r} is not a voice-menu number")

    @inlineCallbacks
    def start(self, msisdn: str, dialled: str, transport: str = "api") -> Deferred[Call]:
        """Place a call; raises voice.NotConnected for 0505 from roaming (R11)."""
        number = self.voice_number(dialled)
        started = self._clock.seconds()
        try:
            locale, limit = yield self._store.run(_connect, self._runner.offer, msisdn, number)
        except voice.NotConnected:
            self._record(_refused(msisdn, number, transport, started, self._clock.seconds()))
            raise
        call = new_call(msisdn, number, self._clock.seconds(), transport=transport, limit=limit, locale=locale,
                        started=started)
        menus = self._runner.menus
        screen = yield self._runner.drive(
            engine.start(session.engine_menus(menus), menus.voice.root, locale, Channel.VOICE),
            self._context(msisdn, locale),
        )
        call = yield self._show(session.shown(menus, call, screen, self._clock.seconds(), self.timers))
        log.info("call %s from %s to %s answered", call.call_id, msisdn, number)
        return call

    def dtmf(self, call_id: str, digits: str) -> Deferred[Call]:
        """Keypad tones on a call, processed in order after whatever the call is doing."""
        digits = check_digits(digits)
        self.get(call_id)
        return self._queue(call_id, lambda: self._keys(call_id, digits))

    def hang_up(self, call_id: str, reason: EndReason = EndReason.HUNG_UP) -> Deferred[Call]:
        """End a call now (the caller hung up, or the channel gave up on it)."""
        self.get(call_id)

        def end() -> Deferred[Call]:
            call = self.get(call_id)
            if call.state is CallState.ENDED:
                return succeed(call)
            log.info("call %s ended: %s", call_id, reason.value)
            return self._show(session.ended(call, self._clock.seconds(), reason))

        return self._queue(call_id, end)

    def playing(self, call_id: str, seconds: float) -> None:
        """The channel plays the current prompt for `seconds`: the first-digit timer waits for it."""
        call = self.calls.get(call_id)
        if call is not None:
            self._store_call(session.playing(call, self._clock.seconds(), seconds, self.timers))

    def watch(self, call_id: str, observer: Observer) -> None:
        """Tell `observer` of this call's next prompts and of its end (the SIP dialog)."""
        self._watchers[call_id] = observer

    def get(self, call_id: str) -> Call:
        call = self.calls.get(call_id) or self._ended.get(call_id)
        if call is None:
            raise UnknownCall(f"no call {call_id!r}")
        return call

    @inlineCallbacks
    def record(self, call_id: str) -> Deferred[dict]:
        """A call as the API shows it: live or recently ended from memory, else its record."""
        call = self.calls.get(call_id) or self._ended.get(call_id)
        if call is not None:
            return call_json(call)
        row = yield self._store.run(_stored_record, call_id)
        if row is None:
            raise UnknownCall(f"no call {call_id!r}")
        return row

    def records(self, msisdn: str, limit: int) -> Deferred[list[dict]]:
        """A handset's calls, newest first: the live ones, then the stored records."""
        live = sorted((c for c in self.calls.values() if c.msisdn == msisdn), key=lambda c: -c.started_at)

        def merged(rows: list[dict]) -> list[dict]:
            return ([call_json(c) for c in live] + rows)[:limit]

        return self._store.run(_stored_records, msisdn, limit).addCallback(merged)

    def close(self) -> Deferred:
        """Shutdown: end every active call and wait until every call record is written."""
        ending = [self.hang_up(call_id, EndReason.SHUTDOWN) for call_id in list(self.calls)]
        return DeferredList(ending, consumeErrors=True).addCallback(
            lambda _: DeferredList(list(self._writes), consumeErrors=True))

    # -- inside ---------------------------------------------------------------------------

    @inlineCallbacks
    def _keys(self, call_id: str, digits: str) -> Deferred[Call]:
        call = self.get(call_id)
        menus = self._runner.menus
        for key in digits:
            if call.state is CallState.ENDED:
                break
            call, answer = session.press(menus, call, key, self._clock.seconds(), self.timers)
            self._store_call(call)
            if answer is not None:
                call = yield self._answer(call, answer)
            else:
                self._arm(call)
        return call

    @inlineCallbacks
    def _answer(self, call: Call, answer: str) -> Deferred[Call]:
        assert call.cursor is not None
        menus = self._runner.menus
        ctx = self._context(call.msisdn, call.cursor.locale)
        screen = yield self._runner.drive(engine.step(session.engine_menus(menus), call.cursor, answer), ctx)
        current = self.get(call.call_id)
        if current.state is CallState.ENDED:
            return current  # ended while the action ran (money ran out): nothing more to say
        shown = yield self._show(session.shown(menus, current, screen, self._clock.seconds(), self.timers))
        return shown

    def _expire(self, call_id: str) -> None:
        self._timers.pop(call_id, None)
        if call_id not in self.calls:
            return

        def run() -> Deferred[Call]:
            call = self.calls.get(call_id)
            if call is None:
                return succeed(None)
            call, answer = session.expire(self._runner.menus, call, self._clock.seconds(), self.timers)
            if answer is not None:
                self._store_call(call)
                return self._answer(call, answer)
            if call is self.calls.get(call_id):  # not due after all (the deadline moved)
                self._arm(call)
                return succeed(call)
            if call.state is CallState.ACTIVE:
                log.info("call %s: no keys in time (%d)", call_id, call.timeouts)
            else:
                log.info("call %s ended: %s", call_id, call.end_reason.value if call.end_reason else "")
            return self._show(call)

        self._queue(call_id, run).addErrback(lambda f: log.error("call %s timer: %s", call_id, f.value))

    def _queue(self, call_id: str, work: Callable[[], Deferred]) -> Deferred:
        """Run `work` after everything queued before on this call; its result or failure."""
        result: Deferred = Deferred()
        tail = self._queues.get(call_id) or succeed(None)

        def step(_):
            d = work()
            d.chainDeferred(result)
            return d.addErrback(lambda f: None)

        tail = tail.addCallback(step)
        self._queues[call_id] = tail
        return result

    def _arm(self, call: Call) -> None:
        timer = self._timers.pop(call.call_id, None)
        if timer is not None and timer.active():
            timer.cancel()
        when = call.next_timer
        if when is not None:
            delay = max(0.0, when - self._clock.seconds())
            self._timers[call.call_id] = self._clock.callLater(delay, self._expire, call.call_id)

    def _store_call(self, call: Call) -> Call:
        if call.state is CallState.ACTIVE:
            self.calls[call.call_id] = call
            return call
        self.calls.pop(call.call_id, None)
        self._ended[call.call_id] = call
        while len(self._ended) > KEEP_ENDED:
            self._ended.popitem(last=False)
        return call

    def _show(self, call: Call) -> Deferred[Call]:
        """A new prompt or the end: keep it, arm its timer, tell the channel."""
        self._store_call(call)
        self._arm(call)
        if call.state is CallState.ENDED:
            return self._end(call)
        self._notify(call)
        return succeed(call)

    def _notify(self, call: Call) -> None:
        watcher = self._watchers.get(call.call_id)
        for observer in [*([watcher] if watcher else []), *self.observers]:
            try:
                observer(call)
            except Exception:  # a failing listener must not break the call
                log.exception("call observer failed")

    @inlineCallbacks
    def _end(self, call: Call) -> Deferred[Call]:
        """Charge the call (R11: +79221110505 from roaming) and store its record."""
        self._queues.pop(call.call_id, None)
        seconds = max(0.0, (call.ended_at or 0.0) - (call.answered_at or call.started_at))
        try:
            charged = yield self._track(self._store.run(_finish, self._runner.offer, call, seconds))
        except Exception as error:  # the record is lost, the call is still over
            log.error("call %s could not be recorded: %s", call.call_id, error)
            charged = 0
        if charged:
            log.info("call %s charged %d kopecks", call.call_id, charged)
        call = self._store_call(_with_charge(call, charged))
        self._notify(call)
        self._watchers.pop(call.call_id, None)
        return call

    def _record(self, row: Mapping[str, object]) -> None:
        d = self._track(self._store.run(_add_record, row))
        d.addErrback(lambda f: log.error("call record not stored: %s", f.value))

    def _track(self, d: Deferred) -> Deferred:
        """Keep a record write in sight until it is done (shutdown waits for it)."""
        waiter: Deferred = Deferred()
        self._writes.add(waiter)

        def done(result):
            self._writes.discard(waiter)
            waiter.callback(None)
            return result

        return d.addBoth(done)

    def _context(self, msisdn: str, locale: str) -> Context:
        return Context(msisdn=msisdn, now=self._clock.seconds(), locale=locale, channel="voice", otp_ttl=self._otp_ttl)


def _with_charge(call: Call, charge: int) -> Call:
    return replace(call, charge=charge)


def _connect(uow, offer, msisdn: str, number: str) -> tuple[str, float | None]:
    """R11: 0505 from roaming does not connect; a paid call needs a minute's money. The
    locale and the seconds the balance pays for (None: free)."""
    subscribers.require_on(uow, msisdn)  # a switched-off handset calls nobody
    locale = voice.connect(uow, msisdn, number)
    try:
        limit = charging.call_limit(uow, offer, msisdn, number)
    except InsufficientFunds as error:
        raise voice.NotConnected("not enough money for a minute of a roaming call") from error
    return locale, limit


def _finish(uow, offer, call: Call, seconds: float) -> int:
    """Charge a finished call and store its record, in one transaction; kopecks charged."""
    try:
        charged = charging.charge_call(uow, offer, call.msisdn, call.number, seconds,
                                       call.ended_at or call.started_at, ref=f"call:{call.call_id}")
    except DomainError as error:  # refused before any write (a blocked SIM)
        log.warning("call %s could not be charged: %s", call.call_id, error.code)
        charged = 0
    _add_record(uow, record_of(call, charged))
    return charged


def _add_record(uow, row: Mapping[str, object]) -> None:
    if uow.subscribers.get(str(row["msisdn"])) is not None:
        uow.calls.add(row)


def _refused(msisdn: str, number: str, transport: str, started: float, now: float) -> dict[str, object]:
    return {"id": new_call(msisdn, number).call_id, "msisdn": msisdn, "number": number, "transport": transport,
            "started_at": started, "answered_at": None, "ended_at": now, "path": "[]", "charge": 0,
            "end_reason": EndReason.NOT_CONNECTED.value}


def record_of(call: Call, charge: int) -> dict[str, object]:
    """The call record row of a finished call (its path already masked)."""
    return {
        "id": call.call_id, "msisdn": call.msisdn, "number": call.number, "transport": call.transport,
        "started_at": call.started_at, "answered_at": call.answered_at,
        "ended_at": call.ended_at if call.ended_at is not None else call.started_at,
        "path": json.dumps(list(call.path)), "charge": charge,
        "end_reason": (call.end_reason or EndReason.COMPLETED).value,
    }


def _stored_record(uow, call_id: str) -> dict | None:
    row = uow.calls.get(call_id)
    return _row_json(row) if row is not None else None


def _stored_records(uow, msisdn: str, limit: int) -> list[dict]:
    return [_row_json(row) for row in uow.calls.of(normalise_msisdn(msisdn), limit)]


def _row_json(row) -> dict:
    return {
        "call_id": row.id, "msisdn": row.msisdn, "to": row.number, "prompt": None,
        "state": CallState.ENDED.value, "path": json.loads(row.path), "transport": row.transport,
        "started_at": iso_time(row.started_at), "answered_at": iso_time(row.answered_at),
        "ended_at": iso_time(row.ended_at), "charge": _roubles(row.charge), "end_reason": row.end_reason,
    }


def call_json(call: Call) -> dict:
    return {
        "call_id": call.call_id,
        "msisdn": call.msisdn,
        "to": call.number,
        "prompt": call.prompt,
        "state": call.state.value,
        "path": list(call.path),
        "transport": call.transport,
        "started_at": iso_time(call.started_at),
        "answered_at": iso_time(call.answered_at),
        "ended_at": iso_time(call.ended_at),
        "charge": _roubles(call.charge) if call.state is CallState.ENDED else None,
        "end_reason": call.end_reason.value if call.end_reason else None,
    }


def _roubles(kopecks: int) -> str:
    return format_roubles(kopecks)


def iso_time(seconds: float | None) -> str | None:
    return _iso(seconds) if seconds is not None else None
