"""USSD dialogues over the menus: dial, reply, cancel, for any transport that carries them."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from twisted.internet.defer import Deferred, inlineCallbacks

from core import subscribers
from gateway.actions import Context
from gateway.menurunner import MenuRunner
from gateway.storework import StoreRunner
from gateway.ussd.codec import looks_like_ussd, parse
from gateway.ussd.errors import InvalidUssdString
from gateway.ussd.session import Dialogues
from menus import engine
from menus.render import fill

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class UssdReply:
    session_id: str
    text: str
    continuation: engine.Continuation

    def as_json(self) -> dict:
        return {
            "session_id": self.session_id,
            "text": self.text,
            "end": self.continuation is engine.Continuation.END,
        }


class UssdService:
    def __init__(self, runner: MenuRunner, store: StoreRunner, dialogues: Dialogues, clock, otp_ttl: float) -> None:
        self._runner = runner
        self._store = store
        self.dialogues = dialogues
        self._clock = clock
        self._otp_ttl = otp_ttl

    @inlineCallbacks
    def handle(self, msisdn: str, text: str) -> Deferred[UssdReply]:
        """A handset dialled a string or answered the open dialogue's screen."""
        if not isinstance(text, str):
            raise InvalidUssdString("input must be a string")
        now = self._clock.seconds()
        dialogue = self.dialogues.current(msisdn, now)
        if dialogue is not None and not looks_like_ussd(text):
            if len(text) > 182:
                raise InvalidUssdString("a reply is at most 182 characters")
            ctx = self._context(msisdn, dialogue.cursor.locale, now)
            screen = yield self._runner.drive(engine.step(self._runner.menus, dialogue.cursor, text), ctx)
            return self._settle(msisdn, dialogue.session_id, dialogue.service_code, screen, now)
        dialled = parse(text)
        locale = yield self._store.run(_locale_of, msisdn)
        menus = self._runner.menus
        service = menus.ussd.get(dialled.service_code)
        self.dialogues.close(msisdn)  # a new dial replaces any open dialogue
        if service is None:
            log.info("ussd %s from %s: no such service", dialled.dialled, msisdn)
            screen = engine.Screen(fill(menus.text("unknown_service_code"), locale), engine.Continuation.END, None)
            return self._settle(msisdn, None, dialled.service_code, screen, now)
        ctx = self._context(msisdn, locale, now)
        shortcut = service.shortcuts.get("*".join(dialled.info)) if dialled.info else None
        if shortcut:
            screen = yield self._runner.drive(engine.start(menus, shortcut, locale), ctx)
        else:
            # Direct dial: *105*1*2# lands where pressing 1 then 2 would.
            screen = yield self._runner.drive(engine.start(menus, service.root, locale), ctx)
            for key in dialled.info:
                if screen.ended:
                    break
                screen = yield self._runner.drive(engine.step(menus, screen.cursor, key), ctx)
        log.info("ussd dial *%s# from %s", dialled.service_code, msisdn)
        return self._settle(msisdn, None, dialled.service_code, screen, now)

    def cancel(self, msisdn: str) -> bool:
        """The handset released the dialogue; True when one was open."""
        return self.dialogues.close(msisdn) is not None

    def _context(self, msisdn: str, locale: str, now: float) -> Context:
        return Context(msisdn=msisdn, now=now, locale=locale, channel="ussd", otp_ttl=self._otp_ttl)

    def _settle(self, msisdn: str, session_id: str | None, code: str, screen: engine.Screen, now: float) -> UssdReply:
        if screen.ended or screen.cursor is None:
            closed = self.dialogues.close(msisdn)
            sid = session_id or (closed.session_id if closed else None) or _fresh_id()
            return UssdReply(sid, screen.text, engine.Continuation.END)
        current = self.dialogues.current(msisdn, now)
        if current is not None and current.session_id == session_id:
            dialogue = self.dialogues.advance(current, screen.cursor, now)
        else:
            dialogue = self.dialogues.open(msisdn, code, screen.cursor, now)
        return UssdReply(dialogue.session_id, screen.text, engine.Continuation.CONTINUE)


def _locale_of(uow, msisdn: str) -> str:
    return subscribers.require(uow, msisdn).locale


def _fresh_id() -> str:
    return uuid.uuid4().hex
