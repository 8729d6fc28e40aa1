"""Twisted adapter of the SMSC: one SMSCSession per TCP connection, its commands carried out."""

from __future__ import annotations

from twisted.internet.defer import Deferred, fail, maybeDeferred
from twisted.internet.error import ConnectionDone
from twisted.internet.interfaces import IAddress, IReactorTime
from twisted.internet.protocol import Protocol, ServerFactory, connectionDone
from twisted.logger import Logger
from twisted.python.failure import Failure

from gateway.metrics import Metrics
from gateway.sms.codec import PDU, encode
from gateway.sms.errors import CommandStatus as S
from gateway.sms.errors import LocalProtocolError, SmppError
from gateway.sms.events import (
    Account,
    Authenticate,
    BindKind,
    Close,
    Command,
    Deliver,
    DeliveryAborted,
    DeliveryResolved,
    HandleOperation,
    HandleSubmit,
    RegisterBind,
    SendPDU,
    UnregisterBind,
    Warn,
)
from gateway.sms.service_port import SmscBackend
from gateway.sms.session import SMSCSession, State

DEFAULT_SYSTEM_ID = "SMSC"


class ConnectionBind:
    """The Bind (see service_port) of one bound connection."""

    def __init__(self, protocol: SMSCProtocol, account: Account, kind: BindKind) -> None:
        self._protocol = protocol
        self.account = account
        self.kind = kind
        self.since = protocol.clock.seconds()  # when the bind was accepted (the status page)

    @property
    def can_receive(self) -> bool:
        return self._protocol.session.can_receive

    @property
    def peer(self) -> str:
        return self._protocol.peer

    def deliver(self, message: Deliver) -> Deferred[int]:
        return self._protocol.deliver(message)

    @property
    def window(self) -> tuple[int, int, int]:
        """deliver_sm outstanding, the window's size, deliver_sm queued behind it."""
        session = self._protocol.session
        return session.outstanding, session.window, session.queued

    def __repr__(self) -> str:
        return f"<ConnectionBind {self.account.system_id} {self.kind.name} {self.peer}>"


class SMSCProtocol(Protocol):
    """Feeds received bytes to the session and carries out the commands it returns."""

    log = Logger()

    def __init__(
        self, backend: SmscBackend, clock: IReactorTime, system_id: str = DEFAULT_SYSTEM_ID,
        metrics: Metrics | None = None,
    ) -> None:
        self.backend = backend
        self.metrics = metrics
        self.clock = clock  # for the enquire_link / inactivity timers to come
        self.session = SMSCSession(system_id)
        self.peer = "-"
        self.bind: ConnectionBind | None = None
        self._deliveries: dict[int, Deferred[int]] = {}

    def connectionMade(self) -> None:
        # Small request/response PDUs: Nagle would add up to 40 ms per answer.
        set_no_delay = getattr(self.transport, "setTcpNoDelay", None)
        if set_no_delay is not None:
            set_no_delay(True)
        self.peer = _describe(self.transport.getPeer())

    def dataReceived(self, data: bytes) -> None:
        self._run(self.session.receive_data(data))

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self._run(self.session.connection_lost(reason.getErrorMessage()))

    def deliver(self, message: Deliver) -> Deferred[int]:
        """Send a Deliver as deliver_sm; see service_port.Bind.deliver."""
        if self.session.state is State.CLOSED:
            return fail(ConnectionDone("the bind is closed"))
        try:
            delivery_id, commands = self.session.deliver(message)
        except LocalProtocolError as e:
            return fail(e)
        done: Deferred[int] = Deferred()
        self._deliveries[delivery_id] = done
        self._run(commands)
        return done

    def _run(self, commands: list[Command]) -> None:
        for command in commands:
            match command:
                case SendPDU(pdu=pdu, wire=wire):
                    self._send(pdu, wire)
                case Authenticate():
                    self._run(self._authenticate(command))
                case RegisterBind(account=account, bind_kind=kind):
                    self.bind = ConnectionBind(self, account, kind)
                    self.backend.bind_opened(self.bind)
                case UnregisterBind():
                    bind, self.bind = self.bind, None
                    if bind is not None:
                        self.backend.bind_closed(bind)
                case HandleSubmit():
                    self._submit(command)
                case HandleOperation():
                    self._operate(command)
                case DeliveryResolved(delivery_id=delivery_id, status=status):
                    self._deliveries.pop(delivery_id).callback(status)
                case DeliveryAborted(delivery_id=delivery_id, reason=reason):
                    self._deliveries.pop(delivery_id).errback(ConnectionDone(reason))
                case Warn(message=message):
                    self.log.warn("SMPP {peer}: {message}", peer=self.peer, message=message)
                case Close(reason=reason):
                    self.log.info("SMPP {peer}: closing ({reason})", peer=self.peer, reason=reason)
                    self.transport.loseConnection()

    def _send(self, pdu: PDU, wire: bytes | None = None) -> None:
        try:
            data = encode(pdu) if wire is None else wire
        except LocalProtocolError:
            self.log.failure("SMPP {peer}: cannot encode {pdu!r}", peer=self.peer, pdu=pdu)
            if not pdu.is_response or pdu.status:
                return
            # Our answer does not fit the wire (a backend's over-long message_id, say):
            # the ESME still gets an answer.
            data = encode(PDU(pdu.command, S.ESME_RSYSERR, pdu.sequence))
        self.transport.write(data)
        if self.metrics is not None:
            self.metrics.pdu_sent(pdu.command, pdu.status)

    def _authenticate(self, command: Authenticate) -> list[Command]:
        try:
            account = self.backend.authenticate(command.system_id, command.password)
        except SmppError as e:
            self.log.info(
                "SMPP {peer}: bind {system_id!r} refused: {error}",
                peer=self.peer, system_id=command.system_id, error=e.message,
            )  # fmt: skip
            return self.session.bind_refused(e.status)
        except Exception:
            self.log.failure("SMPP {peer}: authenticate failed", peer=self.peer)
            return self.session.bind_refused(S.ESME_RBINDFAIL)
        return self.session.bind_accepted(account)

    def _submit(self, command: HandleSubmit) -> None:
        # One callback pair on the backend's Deferred, each catching its own faults: every
        # layer of Deferred callbacks costs the reactor thread microseconds per submit_sm.
        try:
            stored = self.backend.submit(self.session.account, command.request, self.bind)
        except Exception:  # noqa: BLE001 - answered as the failure it is
            stored = fail()
        stored.addCallbacks(
            self._submitted, self._not_submitted, callbackArgs=(command,), errbackArgs=(command,)
        )

    def _operate(self, command: HandleOperation) -> None:
        done = maybeDeferred(self.backend.operate, self.session.account, command.command, command.params)

        def failed(failure: Failure) -> None:
            if failure.check(SmppError) and failure.value.status:
                status = failure.value.status
            else:
                self.log.failure("SMPP {peer}: {command} failed", failure, peer=self.peer, command=command.command)
                status = S.ESME_RSYSERR
            self._run(self.session.operation_failed(command, status))

        done.addCallbacks(lambda params: self._run(self.session.operation_succeeded(command, params)), failed)
        done.addErrback(lambda f: self.log.failure("SMPP {peer}: answering an operation", f, peer=self.peer))

    def _submitted(self, message_id: str, command: HandleSubmit) -> None:
        try:
            self._run(self.session.submit_succeeded(command, str(message_id)))
        except Exception:  # noqa: BLE001 - a bug: logged, the connection goes on
            self.log.failure("SMPP {peer}: answering a submit", peer=self.peer)

    def _not_submitted(self, failure: Failure, command: HandleSubmit) -> None:
        if failure.check(SmppError) and failure.value.status:
            status = failure.value.status
        else:
            self.log.failure("SMPP {peer}: submit failed", failure, peer=self.peer)
            status = S.ESME_RSYSERR
        try:
            self._run(self.session.submit_failed(command, status))
        except Exception:  # noqa: BLE001 - a bug: logged, the connection goes on
            self.log.failure("SMPP {peer}: answering a submit", peer=self.peer)


class SMSCFactory(ServerFactory):
    """Builds an SMSCProtocol per ESME connection, all sharing one backend and clock."""

    def __init__(
        self, backend: SmscBackend, clock: IReactorTime, system_id: str = DEFAULT_SYSTEM_ID,
        metrics: Metrics | None = None,
    ) -> None:
        self.backend = backend
        self.clock = clock
        self.system_id = system_id
        self.metrics = metrics

    def buildProtocol(self, addr: IAddress) -> SMSCProtocol:
        protocol = SMSCProtocol(self.backend, self.clock, self.system_id, self.metrics)
        protocol.factory = self
        return protocol


def _describe(address: IAddress) -> str:
    host, port = getattr(address, "host", None), getattr(address, "port", None)
    return f"{host}:{port}" if host is not None else str(address)
