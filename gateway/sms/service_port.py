"""The SMSC's ports: what it needs from its backend, and the Bind it hands the backend."""

from __future__ import annotations

from typing import Protocol

from twisted.internet.defer import Deferred

from gateway.sms.events import Account, Deliver, SubmitRequest


class Bind(Protocol):
    """One bound ESME connection, as the backend sees it."""

    @property
    def account(self) -> Account: ...

    @property
    def can_receive(self) -> bool:
        """True while the bind is up and is a receiver or transceiver."""

    @property
    def peer(self) -> str:
        """The ESME's address, host:port, for logs."""

    def deliver(self, message: Deliver) -> Deferred[int]:
        """Send as deliver_sm (several when the text needs segments); fires with the first
        non-zero command_status of the deliver_sm_resp PDUs, else 0. Errbacks with
        ConnectionDone when the connection ends first."""


class SmscBackend(Protocol):
    """What the SMPP server asks of the rest of the gateway."""

    def authenticate(self, system_id: str, password: str) -> Account:
        """The account for these credentials; raises BindRefused(status) otherwise."""

    def bind_opened(self, bind: Bind) -> None:
        """A bind is up (called after bind_*_resp went out)."""

    def bind_closed(self, bind: Bind) -> None:
        """The bind is gone: unbind, bad stream or connection lost."""

    def submit(self, account: Account, request: SubmitRequest, bind: Bind | None) -> Deferred[str]:
        """Store the message durably and fire with its message_id. Errback with
        SmppError(status) to answer that status; anything else answers ESME_RSYSERR.
        `bind` is the connection it came on (USSD answers go back to it)."""

    def operate(self, account: Account, command: str, params: dict) -> Deferred[dict]:
        """query_sm, cancel_sm, replace_sm or submit_multi: fire with the response's parameters,
        or errback with SmppError(status)."""
