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
    access: str  # core.access.Access by name: view, subscriber, account


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
            account_id: int | None = None, access: str = "account") -> SubscriberRecord: ...
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
    statements: Statements
    promised: PromisedPayments
    payment_requests: PaymentRequests
    autopay: AutopayRules
    connections: Connections
    buckets: Buckets
    bonuses: Bonuses
    sim_blocks: SimBlocks
    questions: Questions
    directory: Directory
    corporate_clients: CorporateClients
    corporate_logins: CorporateLogins
    corporate_numbers: CorporateNumbers
    corporate_ledger: CorporateLedger


# -- subscriber services: options, packages, bonuses, SIM blocks, support --
class ServiceConnectionRecord(Protocol):
    msisdn: str
    kind: str
    item: str
    status: str
    connected_at: float
    suspended_at: float | None


class PackageBucketRecord(Protocol):
    id: int
    period: str
    kind: str
    source: str
    amount: int
    used: int
    active: bool


class BonusRedemptionRecord(Protocol):
    reward: str
    kind: str
    amount: int
    points: int
    created_at: float
    applied_ref: str | None


class SimBlockRecord(Protocol):
    reason: str
    blocked_at: float
    blocked_by: str
    unblocked_at: float | None
    unblocked_by: str | None


class SupportQuestionRecord(Protocol):
    id: int
    msisdn: str
    topic: str
    text: str
    status: str
    asked_at: float
    answer: str | None
    answered_at: float | None


class Connections(Protocol):
    def of(self, msisdn: str) -> Sequence[ServiceConnectionRecord]: ...
    def get(self, msisdn: str, kind: str, item: str) -> ServiceConnectionRecord | None: ...
    def add(self, msisdn: str, kind: str, item: str, now: float) -> ServiceConnectionRecord: ...
    def remove(self, row: ServiceConnectionRecord) -> None: ...
    def every(self) -> Sequence[ServiceConnectionRecord]: ...


class Buckets(Protocol):
    def of(self, msisdn: str, period: str) -> Sequence[PackageBucketRecord]: ...
    def add(self, msisdn: str, period: str, kind: str, source: str, amount: int,
            now: float) -> PackageBucketRecord: ...


class Bonuses(Protocol):
    def ledger_units(self, msisdn: str, causes: Sequence[str], *, credits: bool, unit: int) -> int: ...
    def spent_points(self, msisdn: str) -> int: ...
    def add(self, msisdn: str, reward: str, kind: str, amount: int, points: int,
            now: float) -> BonusRedemptionRecord: ...
    def of(self, msisdn: str) -> Sequence[BonusRedemptionRecord]: ...
    def pending(self, msisdn: str, kind: str) -> Sequence[BonusRedemptionRecord]: ...
    def applied_to(self, ref: str) -> bool: ...


class SimBlocks(Protocol):
    def open_block(self, msisdn: str) -> SimBlockRecord | None: ...
    def add(self, msisdn: str, reason: str, by: str, now: float) -> SimBlockRecord: ...


class Questions(Protocol):
    def add(self, msisdn: str, topic: str, text: str, now: float) -> SupportQuestionRecord: ...
    def of(self, msisdn: str) -> Sequence[SupportQuestionRecord]: ...
    def pending(self, asked_before: float) -> Sequence[SupportQuestionRecord]: ...


class Directory(Protocol):
    def account_kind(self, account_id: int | None) -> str | None: ...
    def tariffs(self) -> Sequence[tuple[str, str]]: ...


# -- corporate clients (R29-R33) --
class CorporateClientRecord(Protocol):
    id: int
    name: str
    kind: str
    secret_question: str | None
    secret_answer_hash: str | None
    created_at: float


class CorporateLoginRecord(Protocol):
    msisdn: str
    client_id: int
    secret_hash: str
    failures: int
    captcha_id: str | None
    captcha_hash: str | None
    captcha_expires_at: float | None
    created_at: float
    password_set_at: float


class SimCardRecord(Protocol):
    msisdn: str
    iccid: str
    activated_at: float
    deactivated_at: float | None


class EmployeeRecord(Protocol):
    client_id: int
    msisdn: str
    name: str
    position: str
    added_at: float


class CorporateClients(Protocol):
    def add(self, name: str, kind: str, now: float) -> CorporateClientRecord: ...
    def get(self, client_id: int) -> CorporateClientRecord | None: ...
    def lock(self, client_id: int) -> CorporateClientRecord | None: ...
    def regions(self, client_id: int) -> list[str]: ...
    def add_region(self, client_id: int, region: str) -> None: ...
    def members(self, client_id: int) -> list[str]: ...
    def client_of(self, msisdn: str) -> int | None: ...
    def add_member(self, client_id: int, msisdn: str, now: float) -> int: ...
    def contacts(self, client_id: int) -> list[str]: ...
    def add_contact(self, client_id: int, msisdn: str) -> None: ...


class CorporateLogins(Protocol):
    def get(self, msisdn: str) -> CorporateLoginRecord | None: ...
    def get_for_update(self, msisdn: str) -> CorporateLoginRecord | None: ...
    def of_client(self, client_id: int) -> CorporateLoginRecord | None: ...
    def add(self, msisdn: str, client_id: int, secret_hash: str, now: float) -> CorporateLoginRecord: ...
    def add_token(self, token_hash: str, msisdn: str, now: float) -> None: ...
    def token_owner(self, token_hash: str) -> str | None: ...


class CorporateNumbers(Protocol):
    def limit(self, msisdn: str) -> int | None: ...
    def set_limit(self, msisdn: str, amount: int | None, now: float) -> None: ...
    def forwarding(self, msisdn: str) -> str | None: ...
    def set_forwarding(self, msisdns: Sequence[str], target: str | None, now: float) -> None: ...
    def sim_cards(self, msisdn: str) -> Sequence[SimCardRecord]: ...
    def iccid_known(self, iccid: str) -> bool: ...
    def add_sim_card(self, msisdn: str, iccid: str, now: float) -> SimCardRecord: ...
    def employee(self, msisdn: str) -> EmployeeRecord | None: ...
    def employees(self, client_id: int) -> Sequence[EmployeeRecord]: ...
    def add_employee(self, client_id: int, msisdn: str, name: str, position: str,
                     now: float) -> EmployeeRecord: ...


class CorporateLedger(Protocol):
    def spending(self, msisdns: Sequence[str], period: str) -> dict[str, int]: ...


# -- money: statements, promised payments, pay-for-me requests, autopay --
class LedgerEntryRecord(Protocol):
    id: int
    msisdn: str
    amount: int
    cause: str
    created_at: float
    period: str
    detail: str
    ref: str | None


class PromisedPaymentRecord(Protocol):
    id: int
    msisdn: str
    amount: int
    fee: int
    granted_at: float
    due_at: float
    repaid_at: float | None
    repaid_by: str | None


class PaymentRequestRecord(Protocol):
    id: int
    requester: str
    payer: str
    amount: int
    created_at: float
    expires_at: float
    status: str
    answered_at: float | None


class AutopayRuleRecord(Protocol):
    id: int
    msisdn: str
    card_token: str
    kind: str
    every: str | None
    anchor: float
    threshold: int | None
    amount: int
    status: str
    armed: bool
    episode: int
    last_period: str | None
    created_at: float


class Statements(Protocol):
    def debits(self, msisdn: str, period: str) -> Sequence[LedgerEntryRecord]: ...
    def debit_totals(self, msisdn: str, period: str) -> Sequence[tuple[str, int]]: ...


class PromisedPayments(Protocol):
    def add(self, msisdn: str, amount: int, fee: int, now: float, due_at: float) -> PromisedPaymentRecord: ...
    def outstanding(self, msisdn: str, *, lock: bool = False) -> PromisedPaymentRecord | None: ...
    def latest(self, msisdn: str) -> PromisedPaymentRecord | None: ...
    def due(self, now: float) -> Sequence[PromisedPaymentRecord]: ...


class PaymentRequests(Protocol):
    def add(self, requester: str, payer: str, amount: int, now: float,
            expires_at: float) -> PaymentRequestRecord: ...
    def get_for_update(self, request_id: int) -> PaymentRequestRecord | None: ...
    def pending_for(self, payer: str, now: float) -> Sequence[PaymentRequestRecord]: ...


class AutopayRules(Protocol):
    def add(self, msisdn: str, card_token: str, kind: str, every: str | None, anchor: float,
            threshold: int | None, amount: int, now: float) -> AutopayRuleRecord: ...
    def get_for_update(self, rule_id: int) -> AutopayRuleRecord | None: ...
    def of(self, msisdn: str) -> Sequence[AutopayRuleRecord]: ...
    def active_ids(self) -> Sequence[int]: ...
