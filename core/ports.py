"""The repositories the rules need, as typing.Protocols; core/db implements them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class SubscriberRecord(Protocol):
    msisdn: str
    account_id: int | None
    tariff: str
    locale: str
    roaming: bool
    switched_on: bool
    blocked: bool
    created_at: float


class CredentialRecord(Protocol):
    msisdn: str
    kind: str | None
    secret_hash: str | None
    expires_at: float | None
    failures: int
    locked: bool
    login_notifications: bool


class MessageRecord(Protocol):
    id: int
    msisdn: str
    direction: str
    peer: str
    text: str
    created_at: float


class Subscribers(Protocol):
    def get(self, msisdn: str) -> SubscriberRecord | None: ...
    def add(self, msisdn: str, tariff: str, locale: str, roaming: bool, now: float,
            account_id: int | None = None) -> SubscriberRecord: ...
    def lock(self, msisdn: str) -> SubscriberRecord | None: ...
    def on_account(self, account_id: int) -> Sequence[SubscriberRecord]: ...


class Credentials(Protocol):
    def get_for_update(self, msisdn: str) -> CredentialRecord: ...
    def get(self, msisdn: str) -> CredentialRecord | None: ...


class Tokens(Protocol):
    def add(self, token_hash: str, msisdn: str, now: float) -> None: ...
    def owner(self, token_hash: str) -> str | None: ...


class Ledger(Protocol):
    def add(self, msisdn: str, amount: int, cause: str, now: float, *, detail: str = "",
            ref: str | None = None, period: str = "") -> None: ...
    def balance(self, msisdn: str) -> int: ...
    def has_ref(self, ref: str) -> bool: ...


class Messages(Protocol):
    def add(self, msisdn: str, direction: str, peer: str, text: str, now: float) -> MessageRecord: ...
    def inbox(self, msisdn: str, since: int | None) -> Sequence[MessageRecord]: ...


class UnitOfWork(Protocol):
    """One transaction's view of the store."""

    subscribers: Subscribers
    credentials: Credentials
    tokens: Tokens
    ledger: Ledger
    messages: Messages
    # -- money repositories (promised payments, autopay, transfers) --
    # -- service repositories (options, tariffs, bonuses, packages, support) --
    # -- corporate repositories --
