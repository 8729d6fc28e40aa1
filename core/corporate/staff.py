"""Employees of the corporate client: a name and a position behind a number of the group (R33)."""

from __future__ import annotations

from dataclasses import dataclass

from core.corporate.access import CorporateAdmin, Viewer, require_admin, require_member, visible
from core.errors import DuplicateEmployee, InvalidInput
from core.ports import EmployeeRecord, UnitOfWork

TEXT_MAX = 120


@dataclass(frozen=True)
class Employee:
    msisdn: str
    name: str
    position: str


def add_employee(uow: UnitOfWork, admin: CorporateAdmin, msisdn: str, name: str, position: str,
                 now: float) -> Employee:
    """Name the employee using a number of the group; one employee per number."""
    name, position = _text(name, "name"), _text(position, "position")
    msisdn = require_member(uow, require_admin(admin).client_id, msisdn)
    existing = uow.corporate_numbers.employee(msisdn)
    if existing is not None:
        raise DuplicateEmployee(f"{msisdn} already belongs to employee {existing.name!r}")
    return _view(uow.corporate_numbers.add_employee(admin.client_id, msisdn, name, position, now))


def employees(uow: UnitOfWork, who: Viewer) -> list[Employee]:
    """The employees of the visible numbers, by number."""
    client_id, numbers = visible(uow, who)
    return [_view(e) for e in uow.corporate_numbers.employees(client_id) if e.msisdn in numbers]


def _view(row: EmployeeRecord) -> Employee:
    return Employee(row.msisdn, row.name, row.position)


def _text(value: object, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > TEXT_MAX or not text.isprintable():
        raise InvalidInput(f"an employee's {what} is 1 to {TEXT_MAX} printable characters")
    return text
