"""Africa's Talking-style USSD over HTTP: the inbound endpoint and the client of routed apps.

The wire (PROTOCOLS.md §8.1): a form POST with `sessionId`, `serviceCode`, `phoneNumber`,
`networkCode` and `text`, every input of the session so far joined by `*` ("" on the
first request); the answer is text/plain starting `CON ` (the session goes on) or `END `.

Inbound, `POST /ussd/africastalking` plays the application side for an aggregator in
front of the simulator: the first request of a sessionId dials `serviceCode` (with the
`text` parts as direct-dial keys when there are some: `*105#` and "1*2" dial `*105*1*2#`),
later ones answer with what `text` adds to the previous request's.

Outbound, AfricasTalkingApps posts those fields to the URL of a routed service code and
reads CON/END back; anything else (a 4xx/5xx, a body starting otherwise, a refused
connection) fails the dialogue with AppFailed.
"""

from __future__ import annotations

from urllib.parse import urlencode

from twisted.internet.defer import CancelledError, Deferred, inlineCallbacks, succeed
from twisted.web.client import Agent, HTTPConnectionPool, readBody
from twisted.web.http_headers import Headers
from twisted.web.iweb import IBodyProducer
from zope.interface import implementer

from core.numbers import normalise_msisdn
from gateway.http.errors import BadRequest
from gateway.ussd.errors import AppFailed, NoDialogue
from gateway.ussd.events import UssdReply
from gateway.ussd.service import UssdService
from gateway.ussd.session import Dialogue
from menus.engine import Continuation

FIELDS = ("sessionId", "serviceCode", "phoneNumber", "text")
MAX_ANSWER = 16 * 1024  # octets of an application's answer we read
KEEP_SESSIONS = 100_000


# -- the wire format (pure) ------------------------------------------------------------------


def answer_text(reply: UssdReply) -> str:
    """The body that answers an inbound request."""
    return ("END " if reply.ended else "CON ") + reply.text


def parse_answer(status: int, body: bytes) -> tuple[str, Continuation]:
    """An application's answer: (screen, continue or end); AppFailed when it is not one."""
    if not 200 <= status < 300:
        raise AppFailed(f"answered HTTP {status}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise AppFailed("answered text that is not UTF-8") from error
    text = text.replace("\r\n", "\n")
    for prefix, continuation in (("CON", Continuation.CONTINUE), ("END", Continuation.END)):
        if text == prefix or text.startswith(prefix + " ") or text.startswith(prefix + "\n"):
            return text[len(prefix) + 1:], continuation
    raise AppFailed("answered a body that starts with neither CON nor END")


def request_fields(dialogue: Dialogue, network_code: str) -> dict[str, str]:
    """The form fields of a request to a routed application."""
    return {
        "sessionId": dialogue.session_id,
        "serviceCode": f"*{dialogue.service_code}#",
        "phoneNumber": "+" + dialogue.msisdn,
        "networkCode": network_code,
        "text": dialogue.history,
    }


def dial_of(service_code: str, text: str) -> str:
    """The string a first request dials: the service code, `text` parts as direct keys."""
    code = service_code.strip()
    if code and code[0] not in "*#":
        code = f"*{code}#"  # lenient: `105` for `*105#`
    if not text:
        return code
    return code[:-1] + "*" + text + "#" if code.endswith("#") else code


def added_input(before: str, text: str) -> str | None:
    """What `text` adds to the previous request's `before`, or None when it does not extend it."""
    if not before:
        return text if text else None
    if text.startswith(before + "*"):
        return text[len(before) + 1:]
    return None


# -- inbound: POST /ussd/africastalking ------------------------------------------------------


class AfricasTalkingInbound:
    """Serves the endpoint; also the Terminal of the dialogues it started."""

    name = "africastalking"

    def __init__(self, service: UssdService) -> None:
        self._service = service
        self._sessions: dict[str, tuple[str, str, str]] = {}  # sessionId -> (msisdn, dialogue id, text)
        self._of_handset: dict[str, str] = {}  # msisdn -> its latest sessionId

    @inlineCallbacks
    def handle(self, request) -> Deferred[str]:
        fields = _form(request)
        session, text = fields["sessionId"], fields["text"]
        msisdn = normalise_msisdn(fields["phoneNumber"])
        known = self._sessions.get(session)
        if known is not None and known[0] == msisdn:
            _, dialogue_id, before = known
            if text == before:
                raise BadRequest("repeated_input", "text adds no input to the previous request")
            added = added_input(before, text)
            if added is None:
                raise BadRequest("invalid_field", "text must extend the previous request's text with *")
            try:
                reply = yield self._service.reply(msisdn, added, self, session_id=dialogue_id)
            except NoDialogue:
                self._forget(session)
                return "END " + self._service.ended_text()
        else:
            reply = yield self._service.dial(msisdn, dial_of(fields["serviceCode"], text), self)
        if reply.ended:
            self._forget(session)
        else:
            self._remember(session, msisdn, reply.session_id, text)
        return answer_text(reply)

    def show(self, reply: UssdReply) -> None:
        """A dialogue of ours ended on the network side (a timeout): forget its session."""
        session = self._of_handset.get(reply.msisdn)
        if session is not None and self._sessions.get(session, ("", "", ""))[1] == reply.session_id:
            self._forget(session)

    def _remember(self, session: str, msisdn: str, dialogue_id: str, text: str) -> None:
        previous = self._of_handset.get(msisdn)
        if previous is not None and previous != session:
            self._sessions.pop(previous, None)
        self._sessions[session] = (msisdn, dialogue_id, text)
        self._of_handset[msisdn] = session
        while len(self._sessions) > KEEP_SESSIONS:  # dicts keep insertion order: drop the oldest
            self._forget(next(iter(self._sessions)))

    def _forget(self, session: str) -> None:
        known = self._sessions.pop(session, None)
        if known is not None and self._of_handset.get(known[0]) == session:
            del self._of_handset[known[0]]


def _form(request) -> dict[str, str]:
    args = request.args or {}
    fields: dict[str, str] = {}
    for name in FIELDS:
        values = args.get(name.encode())
        if values is None:
            raise BadRequest("missing_field", f"missing form field {name!r}")
        try:
            fields[name] = values[0].decode("utf-8").strip()
        except UnicodeDecodeError as error:
            raise BadRequest("invalid_field", f"form field {name!r} is not UTF-8") from error
    if not fields["sessionId"]:
        raise BadRequest("invalid_field", "sessionId is empty")
    return fields


# -- outbound: routed applications -------------------------------------------------------------


@implementer(IBodyProducer)
class _Form:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self.length = len(data)

    def startProducing(self, consumer) -> Deferred[None]:
        consumer.write(self._data)
        return succeed(None)

    def pauseProducing(self) -> None:
        pass

    def resumeProducing(self) -> None:
        pass

    def stopProducing(self) -> None:
        pass


class AfricasTalkingApps:
    """The HttpApps of the USSD service: posts to routed applications over persistent HTTP."""

    def __init__(self, reactor, network_code: str, connect_timeout: float) -> None:
        self.pool = HTTPConnectionPool(reactor, persistent=True)
        self.pool.maxPersistentPerHost = 16
        self._agent = Agent(reactor, connectTimeout=connect_timeout, pool=self.pool)
        self._network_code = network_code

    def ask(self, url: str, dialogue: Dialogue) -> Deferred[tuple[str, Continuation]]:
        body = urlencode(request_fields(dialogue, self._network_code)).encode()
        headers = Headers({
            b"content-type": [b"application/x-www-form-urlencoded"],
            b"accept": [b"text/plain"],
            b"user-agent": [b"channel-gateway-ussd"],
        })
        try:
            d = self._agent.request(b"POST", url.encode("utf-8"), headers, _Form(body))
        except Exception as error:  # a malformed URL
            raise AppFailed(f"cannot post to {url}: {error}") from error
        d.addCallback(self._read)
        d.addErrback(_failed)
        return d

    @inlineCallbacks
    def _read(self, response) -> Deferred[tuple[str, Continuation]]:
        if response.length is not None and isinstance(response.length, int) and response.length > MAX_ANSWER:
            raise AppFailed(f"answered {response.length} octets")
        body = yield readBody(response)
        return parse_answer(response.code, body[:MAX_ANSWER])

    def close(self) -> Deferred:
        return self.pool.closeCachedConnections()


def _failed(failure):
    if failure.check(AppFailed, CancelledError):  # cancelled: the dialogue is over already
        return failure
    raise AppFailed(f"request failed: {failure.getErrorMessage() or failure.type.__name__}")
