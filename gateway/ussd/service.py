"""USSD dialogues for every transport: who serves a code, whose turn it is, timers, records.

How it works
------------
Handset-side transports (the HTTP handset API, SMPP `mobile` binds, the inbound Africa's
Talking endpoint) call `dial`, `reply` (or `handle`, which picks by the text) and
`release`; each returns a Deferred firing with the screen that answers it. A dialled
service code is served by the built-in menus, else by the SMPP application owning it,
else by the HTTP app of its route. While the service waits for that server, the
handset's request is a Deferred in `_waiting`; the server's answer, a failure or a timer
fires it. Screens the handset did not ask for (pushes, the last screen of a timed-out
dialogue) go to the dialogue's terminal (an SMPP mobile bind), or wait for the HTTP
handset's `GET …/ussd` (`screen()`). One timer per open dialogue, on the injected clock,
enforces Dialogues.expiry(). Every finished dialogue goes to the DialogueLog.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable
from typing import Protocol

from twisted.internet.defer import Deferred, inlineCallbacks, succeed
from twisted.python.failure import Failure

from core import subscribers
from gateway.menurunner import MenuRunner
from gateway.metrics import Metrics
from gateway.storework import StoreRunner
from gateway.ussd.codec import MAX_LENGTH, UssdString, looks_like_ussd, parse
from gateway.ussd.errors import AppFailed, InvalidUssdString, NoDialogue, ScreenTooLong, UssdBusy
from gateway.ussd.events import (
    MASK,
    Initiator,
    Outcome,
    Phase,
    PushType,
    ScreenOut,
    Server,
    UssdReply,
)
from gateway.ussd.menuserver import MenuServer
from gateway.ussd.recorder import DialogueLog
from gateway.ussd.records import record_of
from gateway.ussd.session import Dialogue, Dialogues, Expiry
from menus import screen
from menus.engine import Continuation

log = logging.getLogger(__name__)
END, CONTINUE = Continuation.END, Continuation.CONTINUE
KEEP_UNREAD = 10_000  # ended screens kept for HTTP handsets that have not looked yet


class Terminal(Protocol):
    """A handset side that shows screens it did not ask for (an SMPP mobile bind)."""

    name: str

    def show(self, reply: UssdReply) -> None: ...


class SmppLink(Protocol):
    """The SMPP side of the service: applications owning codes, and mobile binds."""

    def owns(self, code: str) -> bool: ...
    def app_start(self, dialogue: Dialogue, dialled: str) -> Deferred[None]: ...
    def app_reply(self, dialogue: Dialogue, text: str) -> Deferred[None]: ...
    def app_end(self, dialogue: Dialogue) -> None: ...
    def offer(self, dialogue: Dialogue, reply: UssdReply, notify: bool) -> Terminal | None: ...


class HttpApps(Protocol):
    """Africa's Talking-style applications behind routes."""

    def ask(self, url: str, dialogue: Dialogue) -> Deferred[tuple[str, Continuation]]: ...


def check_screen(text: str) -> None:
    """Refuse a screen that does not fit one USSD string (182 septets / 80 UCS-2)."""
    used, limit = screen.size(text)
    if used > limit:
        raise ScreenTooLong(f"a screen of {used} characters, over the {limit} its alphabet allows")


class UssdService:
    def __init__(self, runner: MenuRunner, store: StoreRunner, dialogues: Dialogues, clock, otp_ttl: float,
                 routes: dict[str, str] | None = None, metrics: Metrics | None = None) -> None:
        self._metrics = metrics
        self._menus = MenuServer(runner, clock, otp_ttl)
        self._store = store
        self.dialogues = dialogues
        self._clock = clock
        self.routes: dict[str, str] = dict(routes or {})  # service code -> app URL
        self.records = DialogueLog(store, clock)
        self.smpp: SmppLink | None = None
        self.http_apps: HttpApps | None = None
        self._waiting: dict[str, Deferred[ScreenOut]] = {}  # session id -> the handset's request
        self._inflight: dict[str, Deferred] = {}  # session id -> a request to an HTTP app
        self._timers: dict[str, object] = {}  # session id -> its IDelayedCall
        self._unread: OrderedDict[str, UssdReply] = OrderedDict()
        self.on_screen: Callable[[UssdReply], None] = lambda reply: None  # unasked screens, live (gateway/events.py)
        self.shared = None  # several nodes: gateway/cluster/dialogues.SharedDialogues

    # -- the handset side ---------------------------------------------------------------

    def handle(self, msisdn: str, text: str, terminal: Terminal | None = None) -> Deferred[UssdReply]:
        """A handset dialled a string or answered the open dialogue's screen."""
        if self.shared is not None and terminal is None:  # the dialogue may stand on another node
            return self.shared.around(msisdn, self._handle, msisdn, text)
        return self._handle(msisdn, text, terminal)

    def _handle(self, msisdn: str, text: str, terminal: Terminal | None = None) -> Deferred[UssdReply]:
        if isinstance(text, str) and not looks_like_ussd(text) and self.dialogues.current(msisdn, self._now()):
            return self.reply(msisdn, text, terminal)
        return self.dial(msisdn, text, terminal)

    @inlineCallbacks
    def dial(self, msisdn: str, text: str, terminal: Terminal | None = None,
             accepted=None) -> Deferred[UssdReply]:
        """A handset dialled `text`; `accepted(dialogue)` is called once it is a dialogue."""
        if not isinstance(text, str):
            raise InvalidUssdString("input must be a string")
        dialled = parse(text)
        locale = yield self._store.run(_reachable_locale, msisdn)
        now = self._now()
        self._unread.pop(msisdn, None)
        self._end_previous(msisdn, now)
        server, app = self._route(dialled.service_code)
        d = self.dialogues.open(msisdn, dialled.service_code, now, server=server or Server.MENUS, locale=locale)
        d.app = app
        self._attach(d, terminal)
        if accepted is not None:
            accepted(d)
        if server is None:
            log.info("ussd *%s# from %s: no such service", dialled.service_code, msisdn)
            d.record(now, "dial", text.strip())
            return self._present(d, ScreenOut(self._menus.text("unknown_service_code", d.locale), END))
        log.info("ussd dial *%s# from %s (%s)", dialled.service_code, msisdn, d.session_id)
        if server is not Server.MENUS:
            d.record(now, "dial", text.strip())
            d.history = "*".join(dialled.info)
        self._arm(d)
        out = yield self._ask(d, dialled, start=True)
        return self._present(d, out)

    @inlineCallbacks
    def reply(self, msisdn: str, text: str, terminal: Terminal | None = None,
              session_id: str | None = None, accepted=None) -> Deferred[UssdReply]:
        """The handset answered the open dialogue's screen (of `session_id`, when given);
        `accepted(dialogue)` is called once the answer is taken."""
        if not isinstance(text, str):
            raise InvalidUssdString("input must be a string")
        now = self._now()
        d = self.dialogues.current(msisdn, now)
        if d is None or (session_id is not None and d.session_id != session_id):
            raise NoDialogue("no open USSD dialogue to answer")
        if d.phase is Phase.NETWORK:
            raise UssdBusy("the last input still awaits the network's answer")
        if len(text) > MAX_LENGTH:
            raise InvalidUssdString(f"a reply is at most {MAX_LENGTH} characters")
        secret = d.server is Server.MENUS and self._menus.secret_at(d.cursor)
        d.record(now, "secret" if secret else "reply", MASK if secret else text)
        self._attach(d, terminal)
        self.dialogues.answered(d, MASK if secret else text, now)
        self._arm(d)
        if accepted is not None:
            accepted(d)
        out = yield self._ask(d, text, start=False)
        return self._present(d, out)

    def release(self, msisdn: str) -> bool:
        """The handset released its dialogue (cancel, abort); True when one was open."""
        d = self.dialogues.get(msisdn)
        if d is None:
            return False
        now = self._now()
        if now >= self.dialogues.expiry(d)[0]:
            self._expire(d.session_id, msisdn)
            return False
        log.info("ussd dialogue %s released by %s", d.session_id, msisdn)
        return self._finish(d, now, Outcome.RELEASED, "release", "", notify_app=True, released=True)

    def cancel(self, msisdn: str):
        """The handset's cancel (HTTP DELETE): a release wherever its dialogue stands."""
        if self.shared is not None:
            return self.shared.around(msisdn, self.release, msisdn)
        return self.release(msisdn)

    def screen(self, msisdn: str) -> UssdReply | None:
        """What the handset shows: the open dialogue's screen, else an ended screen it has
        not seen yet (a notification, a timeout), once."""
        d = self.dialogues.current(msisdn, self._now())
        if d is not None:
            return self._reply(d, d.screen, CONTINUE)
        return self._unread.pop(msisdn, None)

    def locale_of(self, msisdn: str) -> Deferred[str]:
        """The subscriber's locale; fails with UnknownSubscriber for a number not served."""
        return self._store.run(_locale_of, msisdn)

    def now(self) -> float:
        return self._clock.seconds()

    def ended_text(self, locale: str = "") -> str:
        """What a handset shows when its input finds no dialogue any more."""
        return self._menus.text("session_ended", locale)

    def detach(self, is_gone) -> None:
        """The handset sides for which `is_gone(terminal)` is true went away: release their dialogues."""
        for d in self.dialogues:
            if d.terminal is not None and is_gone(d.terminal):
                log.info("ussd dialogue %s: the handset's bind is gone", d.session_id)
                self._finish(d, self._now(), Outcome.RELEASED, "release", "", notify_app=True, released=True)

    # -- the network side ---------------------------------------------------------------

    @inlineCallbacks
    def push(self, msisdn: str, text: str, kind: PushType, *, code: str = "",
             server: Server = Server.NETWORK, its_session: int | None = None) -> Deferred[UssdReply]:
        """Network-initiated USSD: a notification (USSN) or a request (USSR) to the handset."""
        check_screen(text)
        locale = yield self._store.run(_reachable_locale, msisdn)
        now = self._now()
        old = self.dialogues.get(msisdn)
        if old is not None:
            if now < self.dialogues.expiry(old)[0]:
                raise UssdBusy("the handset is in another USSD dialogue")
            self._expire(old.session_id, msisdn)
        d = self.dialogues.open(msisdn, code, now, server=server, initiator=Initiator.NETWORK, locale=locale)
        d.its_session = its_session
        self._unread.pop(msisdn, None)
        log.info("ussd %s pushed to %s (%s)", kind.value, msisdn, d.session_id)
        if kind is PushType.NOTIFY:
            d.record(now, "notify", text)
            reply = self._reply(d, text, END)
            self.on_screen(reply)
            self._attach(d, self.smpp.offer(d, reply, True) if self.smpp else None)
            self._keep_unread(reply)
            self._finish(d, now, Outcome.COMPLETED)
            return reply
        d.record(now, "push", text)
        self.dialogues.shown(d, text, now)
        reply = self._reply(d, text, CONTINUE)
        self.on_screen(reply)
        self._attach(d, self.smpp.offer(d, reply, False) if self.smpp else None)
        self._arm(d)
        return reply

    def from_app(self, code: str, msisdn: str, text: str, kind: Continuation | PushType,
                 its_session: int | None = None) -> Deferred[str]:
        """An SMPP application's screen (CONTINUE, END, or a NOTIFY) in its open dialogue; with
        none open, CONTINUE pushes a request and NOTIFY a notification. Fires with the id."""
        now = self._now()
        d = self.dialogues.current(msisdn, now)
        if d is None:
            if kind is END:
                raise NoDialogue(f"{msisdn} has no open USSD dialogue with *{code}#")
            push = PushType.NOTIFY if kind is PushType.NOTIFY else PushType.REQUEST
            pushed = self.push(msisdn, text, push, code=code, server=Server.SMPP_APP, its_session=its_session)
            return pushed.addCallback(lambda reply: reply.session_id)
        if d.server is not Server.SMPP_APP or d.service_code != code:
            raise UssdBusy(f"{msisdn} is in another USSD dialogue")
        waiting = self._waiting.get(d.session_id)
        if waiting is None:
            raise UssdBusy(f"dialogue {d.session_id} awaits the subscriber's reply, not a screen")
        if its_session is not None:
            d.its_session = its_session
        try:
            check_screen(text)
        except ScreenTooLong as error:
            self._app_error(d, str(error))
            raise
        continuation = END if kind in (END, PushType.NOTIFY) else CONTINUE
        self._resolve(d, ScreenOut(text, continuation))
        return succeed(d.session_id)

    def app_failed(self, dialogue: Dialogue, reason: str) -> None:
        """The application serving the dialogue is gone or refused it."""
        self._app_error(dialogue, reason)

    # -- serving a dialogue ---------------------------------------------------------------

    def _route(self, code: str) -> tuple[Server | None, str | None]:
        if self._menus.owns(code):
            return Server.MENUS, None
        if self.smpp is not None and self.smpp.owns(code):
            return Server.SMPP_APP, None
        if code in self.routes:
            return Server.HTTP_APP, self.routes[code]
        return None, None

    def _ask(self, d: Dialogue, payload: UssdString | str, *, start: bool) -> Deferred[ScreenOut]:
        """Ask the dialogue's server for its next screen."""
        waiting: Deferred[ScreenOut] = Deferred()
        self._waiting[d.session_id] = waiting
        try:
            if d.server is Server.MENUS:
                work = self._menus.start(d, payload) if start else self._menus.reply(d, payload)
            elif d.server is Server.SMPP_APP:
                assert self.smpp is not None
                # The application gets the string as dialled (recorded first), then each reply.
                work = self.smpp.app_start(d, d.steps[0].text) if start else self.smpp.app_reply(d, payload)
            elif d.server is Server.HTTP_APP:
                if self.http_apps is None:
                    raise AppFailed("no HTTP client for routed applications")
                work = self.http_apps.ask(d.app, d).addCallback(_checked)
                self._inflight[d.session_id] = work
            else:  # a push through the API: nobody answers, the reply ends it
                work = succeed(ScreenOut("", END))
        except Exception:
            work = Deferred()
            work.errback(Failure())
        work.addCallbacks(self._served, self._not_served, callbackArgs=(d,), errbackArgs=(d,))
        return waiting

    def _served(self, out: ScreenOut | None, d: Dialogue) -> None:
        self._inflight.pop(d.session_id, None)
        if out is not None:  # None: an SMPP application has its deliver_sm; its screen comes later
            self._resolve(d, out)

    def _not_served(self, failure: Failure, d: Dialogue) -> None:
        self._inflight.pop(d.session_id, None)
        if self.dialogues.get(d.msisdn) is not d:
            return  # already over (released, timed out): its cancelled request fails quietly
        if failure.check(AppFailed, ScreenTooLong):
            reason = failure.getErrorMessage()
        else:
            log.error("ussd dialogue %s failed: %s", d.session_id, failure.getTraceback())
            reason = "internal error"
        self._app_error(d, reason)

    def _resolve(self, d: Dialogue, out: ScreenOut) -> None:
        waiting = self._waiting.pop(d.session_id, None)
        if waiting is not None:
            waiting.callback(out)

    def _present(self, d: Dialogue, out: ScreenOut) -> UssdReply:
        """Turn a server's answer into the handset's screen, and the dialogue's next state."""
        if out.closed or self.dialogues.get(d.msisdn) is not d:
            text = out.text if out.closed else self._menus.text("session_ended", d.locale)
            return self._reply(d, text, END, released=out.released)
        now = self._now()
        if out.continuation is END:
            kind = "error" if out.outcome is Outcome.APP_ERROR else "end"
            self._finish(d, now, out.outcome, kind, out.text)
            return self._reply(d, out.text, END)
        self.dialogues.shown(d, out.text, now, out.cursor)
        d.record(now, "screen", out.text)
        self._arm(d)
        return self._reply(d, out.text, CONTINUE)

    # -- ends, timers -------------------------------------------------------------------------

    def _end_previous(self, msisdn: str, now: float) -> None:
        """A new dial replaces the open dialogue (one USSD transaction per handset)."""
        old = self.dialogues.get(msisdn)
        if old is None:
            return
        if now >= self.dialogues.expiry(old)[0]:
            self._expire(old.session_id, msisdn)
        else:
            log.info("ussd dialogue %s replaced by a new dial of %s", old.session_id, msisdn)
            self._finish(old, now, Outcome.RELEASED, "release", "", notify_app=True, released=True)

    def _arm(self, d: Dialogue) -> None:
        when, _ = self.dialogues.expiry(d)
        delay = max(0.0, when - self._now())
        timer = self._timers.get(d.session_id)
        if timer is not None and timer.active():
            timer.reset(delay)
        else:
            self._timers[d.session_id] = self._clock.callLater(delay, self._expire, d.session_id, d.msisdn)

    def _expire(self, session_id: str, msisdn: str) -> None:
        d = self.dialogues.get(msisdn)
        if d is None or d.session_id != session_id:
            self._timers.pop(session_id, None)
            return
        now = self._now()
        when, why = self.dialogues.expiry(d)
        if now < when:
            self._arm(d)
            return
        if self.shared is not None and not self.shared.may_expire(d, lambda: self._expire(session_id, msisdn)):
            return  # another node may hold it now: the shared store decides, then calls again
        self._timers.pop(session_id, None)
        if why is Expiry.APP:
            self._app_error(d, f"no answer within {self.dialogues.app_timeout:g} s")
            return
        log.info("ussd dialogue %s of %s timed out (%s)", d.session_id, msisdn, why.value)
        self._finish(d, now, Outcome.TIMED_OUT, "timeout", self._menus.text("ussd_timeout", d.locale, "session_ended"),
                     notify_app=True, notify_terminal=True)

    def forget(self, d: Dialogue) -> None:
        """Drop this node's copy of a dialogue another node has taken on or ended (it records it)."""
        if self.dialogues.discard(d):
            timer = self._timers.pop(d.session_id, None)
            if timer is not None and timer.active():
                timer.cancel()

    def supersede(self, d: Dialogue) -> bool:
        """End this node's copy of a dialogue that a dial on another node replaced without
        ending it (Redis had lost it): recorded as released, nothing shown to the handset."""
        log.info("ussd dialogue %s of %s replaced by a dial on another node", d.session_id, d.msisdn)
        return self._finish(d, self._now(), Outcome.RELEASED, "release", "", notify_app=True, released=True)

    def abandon(self, d: Dialogue) -> None:
        """End a dialogue taken on from another node that cannot go on here (it held a secret
        typed there): recorded as failed, the handset shown that it ended."""
        self.adopt(d)
        log.warning("ussd dialogue %s of %s cannot move nodes in the middle of a secret input", d.session_id,
                    d.msisdn)
        self._finish(d, self._now(), Outcome.APP_ERROR, "error", self._menus.text("session_ended", d.locale),
                     notify_terminal=True)

    def adopt(self, d: Dialogue) -> None:
        """Take on a dialogue from another node: this node's table and timer serve it now."""
        old = self.dialogues.adopt(d)
        if old is not None and old is not d:
            timer = self._timers.pop(old.session_id, None)
            if timer is not None and timer.active():
                timer.cancel()
        self._arm(d)

    def _app_error(self, d: Dialogue, reason: str) -> None:
        if self.dialogues.get(d.msisdn) is not d:
            return
        where = d.app if d.server is Server.HTTP_APP else d.server.value
        log.warning("ussd dialogue %s on *%s#: application %s failed: %s", d.session_id, d.service_code, where, reason)
        text = self._menus.text("ussd_app_error", d.locale, "error.default")
        self._finish(d, self._now(), Outcome.APP_ERROR, "error", text, notify_app=True, notify_terminal=True)

    def _finish(self, d: Dialogue, now: float, outcome: Outcome, kind: str | None = None, text: str = "", *,
                notify_app: bool = False, notify_terminal: bool = False, released: bool = False) -> bool:
        """End the dialogue: stop its timer and requests, answer whoever waits, record it."""
        if not self.dialogues.discard(d):
            return False
        sid = d.session_id
        timer = self._timers.pop(sid, None)
        if timer is not None and timer.active():
            timer.cancel()
        if kind is not None:
            d.record(now, kind, text)
        waiting = self._waiting.pop(sid, None)
        inflight = self._inflight.pop(sid, None)
        if inflight is not None:
            inflight.cancel()
        if waiting is not None:
            waiting.callback(ScreenOut(text, END, outcome=outcome, closed=True, released=released))
        elif notify_terminal and not released:
            reply = self._reply(d, text, END)
            self.on_screen(reply)
            if d.terminal is not None:
                d.terminal.show(reply)
            elif text:
                self._keep_unread(reply)
        if notify_app and d.server is Server.SMPP_APP and self.smpp is not None:
            self.smpp.app_end(d)
        self.records.add(record_of(d, now, outcome))
        if self._metrics is not None:
            self._metrics.dialogues.labels(outcome.value).inc()
        log.info("ussd dialogue %s of %s on *%s# %s after %.1f s", sid, d.msisdn, d.service_code or "-",
                 outcome.value, now - d.started_at)
        return True

    # -- helpers --------------------------------------------------------------------------------

    def _now(self) -> float:
        return self._clock.seconds()

    def _attach(self, d: Dialogue, terminal: Terminal | None) -> None:
        if terminal is not None:
            d.terminal = terminal
            d.transport = terminal.name

    def _reply(self, d: Dialogue, text: str, continuation: Continuation, *, released: bool = False) -> UssdReply:
        return UssdReply(d.session_id, text, continuation, released, d.msisdn, d.service_code)

    def _keep_unread(self, reply: UssdReply) -> None:
        self._unread[reply.msisdn] = reply
        self._unread.move_to_end(reply.msisdn)
        while len(self._unread) > KEEP_UNREAD:
            self._unread.popitem(last=False)


def _checked(answer: tuple[str, Continuation]) -> ScreenOut:
    text, continuation = answer
    check_screen(text)
    return ScreenOut(text, continuation)


def _locale_of(uow, msisdn: str) -> str:
    return subscribers.require(uow, msisdn).locale


def _reachable_locale(uow, msisdn: str) -> str:
    """A switched-off handset neither dials nor gets pushes (subscribers.SwitchedOff)."""
    return subscribers.require_on(uow, msisdn).locale
