"""Reports of the corporate account as CSV text (R33): spending per number, employees.

Cells that a spreadsheet would read as a formula (=, +, -, @ first) get a leading apostrophe,
since names and positions are typed by people.
"""

from __future__ import annotations

import csv
import io

from core.corporate.access import Viewer
from core.corporate.spending import spending
from core.corporate.staff import employees
from core.money import format_roubles
from core.ports import UnitOfWork

SPENDING_HEADER = ("period", "msisdn", "employee", "position", "spent", "limit", "over_limit")
EMPLOYEES_HEADER = ("msisdn", "name", "position")


def spending_csv(uow: UnitOfWork, who: Viewer, now: float, *, period: str | None = None) -> str:
    """One row per number for the period, then a `total` row for the account."""
    report = spending(uow, who, now, period=period)
    staff = {e.msisdn: e for e in employees(uow, who)}
    rows = []
    for number in report.numbers:
        employee = staff.get(number.msisdn)
        rows.append((
            report.period, number.msisdn, employee.name if employee else "", employee.position if employee else "",
            format_roubles(number.spent), "" if number.limit is None else format_roubles(number.limit),
            "yes" if number.over_limit else "no",
        ))
    rows.append((report.period, "total", "", "", format_roubles(report.total), "", ""))
    return _csv(SPENDING_HEADER, rows)


def employees_csv(uow: UnitOfWork, who: Viewer) -> str:
    return _csv(EMPLOYEES_HEADER, [(e.msisdn, e.name, e.position) for e in employees(uow, who)])


def _csv(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows([_safe(cell) for cell in row] for row in rows)
    return out.getvalue()


def _safe(cell: str) -> str:
    return "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
