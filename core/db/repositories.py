"""SQLAlchemy implementations of core.ports over one Session (one transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import corporate_repos as corporate
from core.db import money_repos as money
from core.db import service_repos as services
from core.db.bulk import insert_rows, select_in
from core.db.call_repos import CallRecordRepository
from core.db.dialogue_repos import DialogueRepository
from core.db.models import Account, Credential, LedgerEntry, LoginToken, Message, Subscriber
from core.db.sms_repos import ReceiptRepository, SubmitRepository

_MESSAGES = Message.__table__


class SubscriberRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, msisdn: str) -> Subscriber | None:
        return self._session.get(Subscriber, msisdn)

    def add(self, msisdn: str, tariff: str, locale: str, roaming: bool, now: float,
            account_id: int | None = None, access: str = "account") -> Subscriber:
        if account_id is None:
            account = Account(kind="personal", created_at=now)
            self._session.add(account)
            self._session.flush()
            account_id = account.id
        row = Subscriber(
            msisdn=msisdn, account_id=account_id, tariff=tariff, locale=locale, roaming=roaming,
            switched_on=True, blocked=False, created_at=now, access=access,
        )
        self._session.add(row)
        self._session.flush()
        return row

    def switched_on(self, msisdns: Iterable[str]) -> dict[str, bool]:
        """Whether each handset that exists among `msisdns` is on, in one query."""
        self._session.flush()  # past the ORM below (the SMSC's hot path): no autoflush
        rows = select_in(self._session, Subscriber.__table__, ("msisdn", "switched_on"), "msisdn", list(msisdns))
        return {msisdn: bool(on) for msisdn, on in rows}

    def lock(self, msisdn: str) -> Subscriber | None:
        """The subscriber row, locked until the transaction ends (serialises money changes)."""
        return self._session.get(Subscriber, msisdn, with_for_update=True, populate_existing=True)

    def on_account(self, account_id: int) -> Sequence[Subscriber]:
        return self._session.scalars(
            select(Subscriber).where(Subscriber.account_id == account_id).order_by(Subscriber.msisdn)
        ).all()


class CredentialRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, msisdn: str) -> Credential | None:
        return self._session.get(Credential, msisdn)

    def get_for_update(self, msisdn: str) -> Credential:
        # FOR UPDATE serialises concurrent logins of one number on PostgreSQL, so five
        # parallel wrong guesses cannot all read failures=0; SQLite ignores it and has
        # a single writer anyway.
        row = self._session.get(Credential, msisdn, with_for_update=True)
        if row is None:
            row = Credential(msisdn=msisdn, failures=0, locked=False, login_notifications=False)
            self._session.add(row)
            self._session.flush()
        return row


class TokenRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, token_hash: str, msisdn: str, now: float) -> None:
        self._session.add(LoginToken(token_hash=token_hash, msisdn=msisdn, created_at=now))

    def owner(self, token_hash: str) -> str | None:
        row = self._session.get(LoginToken, token_hash)
        return row.msisdn if row else None


class LedgerRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, msisdn: str, amount: int, cause: str, now: float, *, detail: str = "",
            ref: str | None = None, period: str = "") -> None:
        self._session.add(LedgerEntry(msisdn=msisdn, amount=amount, cause=cause, created_at=now,
                                      detail=detail, ref=ref, period=period))

    def has_ref(self, ref: str) -> bool:
        self._session.flush()
        return self._session.scalar(select(LedgerEntry.id).where(LedgerEntry.ref == ref)) is not None

    def balance(self, msisdn: str) -> int:
        self._session.flush()
        total = self._session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.msisdn == msisdn)
        )
        return int(total or 0)


class MessageRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, msisdn: str, direction: str, peer: str, text: str, now: float) -> Message:
        row = Message(msisdn=msisdn, direction=direction, peer=peer, text=text, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def insert_many(self, rows: Sequence[dict]) -> list[int]:
        """Many messages (dicts of Message's columns but id) in one statement, without the
        ORM's bookkeeping (the SMSC's hot path); their ids, in order."""
        return insert_rows(self._session, _MESSAGES, rows)

    def inbox(self, msisdn: str, since: int | None) -> Sequence[Message]:
        query = select(Message).where(Message.msisdn == msisdn, Message.direction == "mt")
        if since is not None:
            query = query.where(Message.id > since)
        return self._session.scalars(query.order_by(Message.id)).all()


class SqlUnitOfWork:
    """Every repository over one Session; commit or roll back as one."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.subscribers = SubscriberRepository(session)
        self.credentials = CredentialRepository(session)
        self.tokens = TokenRepository(session)
        self.ledger = LedgerRepository(session)
        self.messages = MessageRepository(session)
        self.dialogues = DialogueRepository(session)
        self.calls = CallRecordRepository(session)
        self.receipts = ReceiptRepository(session)
        self.submits = SubmitRepository(session)
        self.statements = money.StatementRepository(session)
        self.promised = money.PromisedPaymentRepository(session)
        self.payment_requests = money.PaymentRequestRepository(session)
        self.autopay = money.AutopayRuleRepository(session)
        self.connections = services.ConnectionRepository(session)
        self.buckets = services.BucketRepository(session)
        self.bonuses = services.BonusRepository(session)
        self.sim_blocks = services.SimBlockRepository(session)
        self.questions = services.QuestionRepository(session)
        self.directory = services.DirectoryRepository(session)
        self.corporate_clients = corporate.CorporateClientRepository(session)
        self.corporate_logins = corporate.CorporateLoginRepository(session)
        self.corporate_numbers = corporate.CorporateNumberRepository(session)
        self.corporate_ledger = corporate.CorporateLedgerRepository(session)
