"""SQLAlchemy repositories of the subscriber services over one Session (one transaction)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db.models import Account, LedgerEntry, Subscriber
from core.db.service_models import (
    BonusRedemption,
    PackageBucket,
    ServiceConnection,
    SimBlock,
    SupportQuestion,
)


class ConnectionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of(self, msisdn: str) -> Sequence[ServiceConnection]:
        return self._session.scalars(
            select(ServiceConnection).where(ServiceConnection.msisdn == msisdn)
            .order_by(ServiceConnection.kind, ServiceConnection.item)
        ).all()

    def get(self, msisdn: str, kind: str, item: str) -> ServiceConnection | None:
        return self._session.scalar(select(ServiceConnection).where(
            ServiceConnection.msisdn == msisdn, ServiceConnection.kind == kind,
            ServiceConnection.item == item))

    def add(self, msisdn: str, kind: str, item: str, now: float) -> ServiceConnection:
        row = ServiceConnection(msisdn=msisdn, kind=kind, item=item, status="active", connected_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def remove(self, row: ServiceConnection) -> None:
        self._session.delete(row)
        self._session.flush()

    def every(self) -> Sequence[ServiceConnection]:
        return self._session.scalars(select(ServiceConnection).order_by(
            ServiceConnection.msisdn, ServiceConnection.kind, ServiceConnection.item)).all()


class BucketRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def of(self, msisdn: str, period: str) -> Sequence[PackageBucket]:
        """The active buckets of one period, oldest first."""
        return self._session.scalars(
            select(PackageBucket).where(PackageBucket.msisdn == msisdn, PackageBucket.period == period,
                                        PackageBucket.active.is_(True))
            .order_by(PackageBucket.id)
        ).all()

    def add(self, msisdn: str, period: str, kind: str, source: str, amount: int, now: float) -> PackageBucket:
        row = PackageBucket(msisdn=msisdn, period=period, kind=kind, source=source, amount=amount,
                            used=0, active=True, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row


class BonusRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def ledger_units(self, msisdn: str, causes: Sequence[str], *, credits: bool, unit: int) -> int:
        """Sum over entries of floor(|amount| / unit): credits (amount > 0) or debits (< 0)."""
        size = LedgerEntry.amount if credits else -LedgerEntry.amount
        total = self._session.scalar(
            select(func.coalesce(func.sum(size // unit), 0))
            .where(LedgerEntry.msisdn == msisdn, LedgerEntry.cause.in_(causes), size > 0)
        )
        return int(total or 0)

    def spent_points(self, msisdn: str) -> int:
        self._session.flush()
        total = self._session.scalar(
            select(func.coalesce(func.sum(BonusRedemption.points), 0)).where(BonusRedemption.msisdn == msisdn)
        )
        return int(total or 0)

    def add(self, msisdn: str, reward: str, kind: str, amount: int, points: int, now: float) -> BonusRedemption:
        row = BonusRedemption(msisdn=msisdn, reward=reward, kind=kind, amount=amount, points=points,
                              created_at=now, applied_ref=None)
        self._session.add(row)
        self._session.flush()
        return row

    def of(self, msisdn: str) -> Sequence[BonusRedemption]:
        return self._session.scalars(
            select(BonusRedemption).where(BonusRedemption.msisdn == msisdn).order_by(BonusRedemption.id)
        ).all()

    def pending(self, msisdn: str, kind: str) -> Sequence[BonusRedemption]:
        """Redemptions of `kind` not yet applied to a fee, oldest first."""
        return self._session.scalars(
            select(BonusRedemption).where(BonusRedemption.msisdn == msisdn, BonusRedemption.kind == kind,
                                          BonusRedemption.applied_ref.is_(None))
            .order_by(BonusRedemption.id)
        ).all()

    def applied_to(self, ref: str) -> bool:
        self._session.flush()
        return self._session.scalar(
            select(BonusRedemption.id).where(BonusRedemption.applied_ref == ref)) is not None


class SimBlockRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def open_block(self, msisdn: str) -> SimBlock | None:
        return self._session.scalar(
            select(SimBlock).where(SimBlock.msisdn == msisdn, SimBlock.unblocked_at.is_(None))
            .order_by(SimBlock.id.desc())
        )

    def add(self, msisdn: str, reason: str, by: str, now: float) -> SimBlock:
        row = SimBlock(msisdn=msisdn, reason=reason, blocked_at=now, blocked_by=by)
        self._session.add(row)
        self._session.flush()
        return row


class QuestionRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, msisdn: str, topic: str, text: str, now: float) -> SupportQuestion:
        row = SupportQuestion(msisdn=msisdn, topic=topic, text=text, status="pending", asked_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def of(self, msisdn: str) -> Sequence[SupportQuestion]:
        return self._session.scalars(
            select(SupportQuestion).where(SupportQuestion.msisdn == msisdn).order_by(SupportQuestion.id)
        ).all()

    def pending(self, asked_before: float) -> Sequence[SupportQuestion]:
        """Unanswered questions asked at or before a moment, oldest first, locked for answering."""
        return self._session.scalars(
            select(SupportQuestion)
            .where(SupportQuestion.status == "pending", SupportQuestion.asked_at <= asked_before)
            .order_by(SupportQuestion.id)
            .with_for_update(skip_locked=True)
        ).all()


class DirectoryRepository:
    """Reads across subscribers and accounts that the service rules need."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def account_kind(self, account_id: int | None) -> str | None:
        if account_id is None:
            return None
        return self._session.scalar(select(Account.kind).where(Account.id == account_id))

    def tariffs(self) -> Sequence[tuple[str, str]]:
        """Every number with its tariff, by number."""
        rows = self._session.execute(
            select(Subscriber.msisdn, Subscriber.tariff).order_by(Subscriber.msisdn)).all()
        return [(msisdn, tariff) for msisdn, tariff in rows]
