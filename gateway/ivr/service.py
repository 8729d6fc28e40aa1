"""Voice-menu calls: connect, keypad tones, hang up; for the API and (later) SIP."""

from __future__ import annotations

import logging
from collections import OrderedDict
from dataclasses import replace

from twisted.internet.defer import Deferred, inlineCallbacks, succeed

from core import charging, voice
from core.errors import DomainError, InsufficientFunds
from core.numbers import is_msisdn, normalise_msisdn
from gateway.actions import Context
from gateway.ivr.errors import UnknownCall, UnknownVoiceNumber
from gateway.ivr.session import Call, CallState, check_digits, new_call, press
from gateway.menurunner import MenuRunner
from gateway.storework import StoreRunner
from menus import engine
from menus.schema import Channel

log = logging.getLogger(__name__)
KEEP_ENDED = 1000  # ended calls still answerable by id; call records come with the voice issue


class VoiceService:
    def __init__(self, runner: MenuRunner, store: StoreRunner, clock, otp_ttl: float) -> None:
        self._runner = runner
        self._store = store
        self._clock = clock
        self._otp_ttl = otp_ttl
        self.calls: dict[str, Call] = {}
        self._ended: OrderedDict[str, Call] = OrderedDict()  # the latest, for GET /calls/{id}

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
    def start(self, msisdn: str, dialled: str) -> Deferred[Call]:
        """Place a call; raises voice.NotConnected for 0505 from roaming (R11)."""
        number = self.voice_number(dialled)
        locale = yield self._store.run(_connect, self._runner.offer, msisdn, number)
        call = new_call(msisdn, number, self._clock.seconds())
        menus = self._runner.menus
        screen = yield self._runner.drive(
            engine.start(menus, menus.voice.root, locale, Channel.VOICE), self._context(msisdn, locale)
        )
        call = yield self._show(call, screen)
        log.info("call %s from %s to %s answered", call.call_id, msisdn, number)
        return call

    @inlineCallbacks
    def dtmf(self, call_id: str, digits: str) -> Deferred[Call]:
        """Keypad tones on a call, processed in order."""
        digits = check_digits(digits)
        call = self.get(call_id)
        menus = self._runner.menus
        for key in digits:
            if call.state is CallState.ENDED:
                break
            call, answer = press(menus, call, key)
            self._store_call(call)
            if answer is None:
                continue
            assert call.cursor is not None
            ctx = self._context(call.msisdn, call.cursor.locale)
            screen = yield self._runner.drive(engine.step(menus, call.cursor, answer), ctx)
            call = yield self._show(call, screen)
        return call

    @inlineCallbacks
    def hang_up(self, call_id: str) -> Deferred[Call]:
        call = self.get(call_id)
        if call.state is CallState.ENDED:
            return call
        log.info("call %s hung up", call_id)
        ended = yield self._end(replace(call, state=CallState.ENDED, cursor=None, buffer=""))
        return ended

    def get(self, call_id: str) -> Call:
        call = self.calls.get(call_id) or self._ended.get(call_id)
        if call is None:
            raise UnknownCall(f"no call {call_id!r}")
        return call

    def _store_call(self, call: Call) -> Call:
        if call.state is CallState.ACTIVE:
            self.calls[call.call_id] = call
            return call
        self.calls.pop(call.call_id, None)
        self._ended[call.call_id] = call
        while len(self._ended) > KEEP_ENDED:
            self._ended.popitem(last=False)
        return call

    def _context(self, msisdn: str, locale: str) -> Context:
        return Context(msisdn=msisdn, now=self._clock.seconds(), locale=locale, channel="voice", otp_ttl=self._otp_ttl)

    def _show(self, call: Call, screen: engine.Screen) -> Deferred[Call]:
        state = CallState.ENDED if screen.ended else CallState.ACTIVE
        shown = replace(call, prompt=screen.text, cursor=screen.cursor, state=state, buffer="")
        if state is CallState.ENDED:
            return self._end(shown)  # the menu said goodbye: the network hangs up
        return succeed(self._store_call(shown))

    @inlineCallbacks
    def _end(self, call: Call) -> Deferred[Call]:
        """Record the end of a call and charge it (R11: +79221110505 from roaming)."""
        self._store_call(call)
        seconds = max(0.0, self._clock.seconds() - call.answered_at)
        try:
            charged = yield self._store.run(charging.charge_call, self._runner.offer, call.msisdn, call.number,
                                            seconds, self._clock.seconds(), ref=f"call:{call.call_id}")
        except DomainError as error:
            log.warning("call %s could not be charged: %s", call.call_id, error.code)
        else:
            if charged:
                log.info("call %s charged %d kopecks", call.call_id, charged)
        return call


def _connect(uow, offer, msisdn: str, number: str) -> str:
    """R11: 0505 from roaming does not connect; a paid call needs a minute's money."""
    locale = voice.connect(uow, msisdn, number)
    try:
        charging.call_limit(uow, offer, msisdn, number)
    except InsufficientFunds as error:
        raise voice.NotConnected("not enough money for a minute of a roaming call") from error
    return locale


def call_json(call: Call) -> dict:
    return {
        "call_id": call.call_id,
        "msisdn": call.msisdn,
        "to": call.number,
        "prompt": call.prompt,
        "state": call.state.value,
        "path": list(call.path),
    }
