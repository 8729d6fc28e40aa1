"""The built-in menus as a USSD server: a dial or a reply in, the engine's next screen out."""

from __future__ import annotations

from twisted.internet.defer import Deferred, inlineCallbacks

from gateway.actions import Context
from gateway.menurunner import MenuRunner
from gateway.ussd.codec import UssdString
from gateway.ussd.events import MASK, ScreenOut
from gateway.ussd.session import Dialogue
from menus import engine
from menus.render import fill
from menus.schema import Kind


class MenuServer:
    def __init__(self, runner: MenuRunner, clock, otp_ttl: float) -> None:
        self._runner = runner
        self._clock = clock
        self._otp_ttl = otp_ttl

    def owns(self, code: str) -> bool:
        return code in self._runner.menus.ussd

    @inlineCallbacks
    def start(self, d: Dialogue, dialled: UssdString) -> Deferred[ScreenOut]:
        """The first screen of a dialled code; records the dial, a secret typed in it masked."""
        menus = self._runner.menus
        service = menus.ussd[dialled.service_code]
        shortcut = service.shortcuts.get("*".join(dialled.info)) if dialled.info else None
        keys = list(dialled.info)
        if shortcut:
            shown = yield self._runner.drive(engine.start(menus, shortcut, d.locale), self._context(d))
        else:
            # Direct dial: *105*1*2# lands where pressing 1 then 2 would.
            shown = yield self._runner.drive(engine.start(menus, service.root, d.locale), self._context(d))
            for i, key in enumerate(dialled.info):
                if shown.ended:
                    break
                if self.secret_at(shown.cursor):
                    keys[i] = MASK
                shown = yield self._runner.drive(engine.step(menus, shown.cursor, key), self._context(d))
        d.record(d.started_at, "dial", "*" + "*".join((dialled.service_code, *keys)) + "#")
        return ScreenOut(shown.text, shown.continuation, shown.cursor)

    @inlineCallbacks
    def reply(self, d: Dialogue, text: str) -> Deferred[ScreenOut]:
        shown = yield self._runner.drive(engine.step(self._runner.menus, d.cursor, text), self._context(d))
        return ScreenOut(shown.text, shown.continuation, shown.cursor)

    def secret_at(self, cursor: engine.Cursor | None) -> bool:
        """True when the screen at `cursor` takes a secret input (a password)."""
        if cursor is None or cursor.pages or not cursor.ending:
            return False
        node = self._runner.menus.nodes.get(cursor.node)
        return bool(node and node.kind is Kind.INPUT and node.input and node.input.secret)

    def text(self, text_id: str, locale: str = "", fallback: str | None = None) -> str:
        """A system screen from menus.yaml's texts, or its fallback while the text is missing."""
        menus = self._runner.menus
        chosen = text_id if text_id in menus.texts or fallback is None else fallback
        return fill(menus.texts[chosen], locale or menus.locales[0]) if chosen in menus.texts else ""

    def _context(self, d: Dialogue) -> Context:
        return Context(msisdn=d.msisdn, now=self._clock.seconds(), locale=d.locale, channel="ussd",
                       otp_ttl=self._otp_ttl)
