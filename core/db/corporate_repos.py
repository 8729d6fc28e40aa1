"""SQLAlchemy implementations of the corporate ports (core.ports, R29-R33) over one Session."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from core.db.corporate_models import (
    CorporateClient,
    CorporateContact,
    CorporateEmployee,
    CorporateForwarding,
    CorporateLogin,
    CorporateMember,
    CorporateRegion,
    CorporateSimCard,
    CorporateSpendingLimit,
    CorporateToken,
)
from core.db.models import Account, LedgerEntry


class CorporateClientRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, name: str, kind: str, now: float) -> CorporateClient:
        row = CorporateClient(name=name, kind=kind, created_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def get(self, client_id: int) -> CorporateClient | None:
        return self._session.get(CorporateClient, client_id)

    def lock(self, client_id: int) -> CorporateClient | None:
        """The client row, locked until the transaction ends (serialises group changes)."""
        return self._session.get(CorporateClient, client_id, with_for_update=True, populate_existing=True)

    def regions(self, client_id: int) -> list[str]:
        return list(self._session.scalars(
            select(CorporateRegion.region).where(CorporateRegion.client_id == client_id).order_by(CorporateRegion.region)
        ))

    def add_region(self, client_id: int, region: str) -> None:
        self._session.add(CorporateRegion(client_id=client_id, region=region))
        self._session.flush()

    def members(self, client_id: int) -> list[str]:
        return list(self._session.scalars(
            select(CorporateMember.msisdn).where(CorporateMember.client_id == client_id).order_by(CorporateMember.msisdn)
        ))

    def client_of(self, msisdn: str) -> int | None:
        row = self._session.get(CorporateMember, msisdn)
        return row.client_id if row else None

    def add_member(self, client_id: int, msisdn: str, now: float) -> int:
        """Put a number into the group on an account of its own of kind `corporate`; its id."""
        account = Account(kind="corporate", created_at=now)
        self._session.add(account)
        self._session.flush()
        self._session.add(CorporateMember(msisdn=msisdn, client_id=client_id, added_at=now))
        self._session.flush()
        return account.id

    def contacts(self, client_id: int) -> list[str]:
        return list(self._session.scalars(
            select(CorporateContact.msisdn).where(CorporateContact.client_id == client_id).order_by(CorporateContact.msisdn)
        ))

    def add_contact(self, client_id: int, msisdn: str) -> None:
        self._session.add(CorporateContact(client_id=client_id, msisdn=msisdn))
        self._session.flush()


class CorporateLoginRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, msisdn: str) -> CorporateLogin | None:
        return self._session.get(CorporateLogin, msisdn)

    def get_for_update(self, msisdn: str) -> CorporateLogin | None:
        # FOR UPDATE: parallel wrong guesses of one login cannot all read the same count.
        return self._session.get(CorporateLogin, msisdn, with_for_update=True, populate_existing=True)

    def of_client(self, client_id: int) -> CorporateLogin | None:
        return self._session.scalar(select(CorporateLogin).where(CorporateLogin.client_id == client_id))

    def add(self, msisdn: str, client_id: int, secret_hash: str, now: float) -> CorporateLogin:
        row = CorporateLogin(msisdn=msisdn, client_id=client_id, secret_hash=secret_hash, failures=0,
                             created_at=now, password_set_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def add_token(self, token_hash: str, msisdn: str, now: float) -> None:
        self._session.add(CorporateToken(token_hash=token_hash, msisdn=msisdn, created_at=now))

    def token_owner(self, token_hash: str) -> str | None:
        row = self._session.get(CorporateToken, token_hash)
        return row.msisdn if row else None


class CorporateNumberRepository:
    """Per-number settings of the group: spending limits, forwarding, SIM cards, employees."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def limit(self, msisdn: str) -> int | None:
        row = self._session.get(CorporateSpendingLimit, msisdn)
        return row.amount if row else None

    def set_limit(self, msisdn: str, amount: int | None, now: float) -> None:
        row = self._session.get(CorporateSpendingLimit, msisdn)
        if amount is None:
            if row is not None:
                self._session.delete(row)
        elif row is None:
            self._session.add(CorporateSpendingLimit(msisdn=msisdn, amount=amount, set_at=now))
        else:
            row.amount, row.set_at = amount, now
        self._session.flush()

    def forwarding(self, msisdn: str) -> str | None:
        row = self._session.get(CorporateForwarding, msisdn)
        return row.target if row else None

    def set_forwarding(self, msisdns: Iterable[str], target: str | None, now: float) -> None:
        msisdns = list(msisdns)
        self._session.execute(delete(CorporateForwarding).where(CorporateForwarding.msisdn.in_(msisdns)))
        if target is not None:
            self._session.add_all(CorporateForwarding(msisdn=m, target=target, set_at=now) for m in msisdns)
        self._session.flush()

    def sim_cards(self, msisdn: str) -> Sequence[CorporateSimCard]:
        """Every SIM card of a number, oldest first; the active one has no deactivated_at."""
        return self._session.scalars(
            select(CorporateSimCard).where(CorporateSimCard.msisdn == msisdn).order_by(CorporateSimCard.id)
        ).all()

    def iccid_known(self, iccid: str) -> bool:
        return self._session.scalar(select(CorporateSimCard.id).where(CorporateSimCard.iccid == iccid)) is not None

    def add_sim_card(self, msisdn: str, iccid: str, now: float) -> CorporateSimCard:
        row = CorporateSimCard(msisdn=msisdn, iccid=iccid, activated_at=now)
        self._session.add(row)
        self._session.flush()
        return row

    def employee(self, msisdn: str) -> CorporateEmployee | None:
        return self._session.scalar(select(CorporateEmployee).where(CorporateEmployee.msisdn == msisdn))

    def employees(self, client_id: int) -> Sequence[CorporateEmployee]:
        return self._session.scalars(
            select(CorporateEmployee).where(CorporateEmployee.client_id == client_id).order_by(CorporateEmployee.msisdn)
        ).all()

    def add_employee(self, client_id: int, msisdn: str, name: str, position: str, now: float) -> CorporateEmployee:
        row = CorporateEmployee(client_id=client_id, msisdn=msisdn, name=name, position=position, added_at=now)
        self._session.add(row)
        self._session.flush()
        return row


class CorporateLedgerRepository:
    """Reads of the money ledger the corporate account needs (the ledger itself is not ours)."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def spending(self, msisdns: Iterable[str], period: str) -> dict[str, int]:
        """Kopecks debited from each number in a billing period (positive; 0 when none)."""
        msisdns = list(msisdns)
        self._session.flush()
        rows = self._session.execute(
            select(LedgerEntry.msisdn, func.sum(LedgerEntry.amount))
            .where(LedgerEntry.msisdn.in_(msisdns), LedgerEntry.period == period, LedgerEntry.amount < 0)
            .group_by(LedgerEntry.msisdn)
        ).all()
        spent = dict.fromkeys(msisdns, 0)
        spent.update({msisdn: -int(total) for msisdn, total in rows})
        return spent
