"""Services and tariffs of the group's numbers, listed and switched in bulk (R33).

The rules of each change are core.options' and core.tariffs'; this module checks that the
admin may manage every number, then applies them number by number on its behalf. A
number already in the asked state (option already on or off, tariff already taken) is
skipped and reported as unchanged. Any other refusal raises BulkOperationFailed naming the
number: the caller rolls the whole transaction back, so no number is changed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from core import options, tariffs
from core.catalogue import Catalogue
from core.corporate.access import CorporateAdmin, Viewer, acting_as, require_numbers, visible
from core.errors import (
    AlreadyConnected,
    BulkOperationFailed,
    DomainError,
    SameTariff,
    ServiceNotConnected,
)
from core.ports import UnitOfWork


@dataclass(frozen=True)
class BulkResult:
    changed: tuple[str, ...]
    unchanged: tuple[str, ...]  # already as asked


def services(uow: UnitOfWork, catalogue: Catalogue, who: Viewer) -> dict[str, list[options.Service]]:
    """The connected options and subscriptions of each visible number, with prices."""
    _, numbers = visible(uow, who)
    return {msisdn: options.connected(uow, catalogue, acting_as(msisdn), msisdn) for msisdn in numbers}


def switch_option(uow: UnitOfWork, catalogue: Catalogue, admin: CorporateAdmin, option_id: str,
                  connect: bool, now: float, *, numbers: Sequence[str] | None = None) -> BulkResult:
    """Connect or disconnect an option on the given numbers (all of the group by default)."""
    catalogue.option(option_id)  # an unknown option is refused before any number
    if connect:
        return apply(uow, admin, numbers, lambda m: options.connect(uow, catalogue, acting_as(m), m, option_id, now),
                     already=(AlreadyConnected,))
    return apply(uow, admin, numbers, lambda m: options.disconnect(uow, catalogue, acting_as(m), m, option_id, now),
                 already=(ServiceNotConnected,))


def change_tariffs(uow: UnitOfWork, catalogue: Catalogue, admin: CorporateAdmin, tariff_id: str,
                   now: float, *, numbers: Sequence[str] | None = None) -> BulkResult:
    """Move the given numbers (all of the group by default) to one tariff."""
    catalogue.tariff(tariff_id)
    return apply(uow, admin, numbers, lambda m: tariffs.change(uow, catalogue, acting_as(m), m, tariff_id, now),
                 already=(SameTariff,))


def apply(uow: UnitOfWork, admin: CorporateAdmin, numbers: Sequence[str] | None,
          operation: Callable[[str], object], *, already: tuple[type[DomainError], ...] = ()) -> BulkResult:
    """Run `operation` for every number after checking all are members of the group."""
    checked = require_numbers(uow, admin, None if numbers is None else list(numbers))
    changed, unchanged = [], []
    for msisdn in checked:
        try:
            operation(msisdn)
        except already:
            unchanged.append(msisdn)
        except DomainError as refusal:
            raise BulkOperationFailed(msisdn, refusal) from refusal
        else:
            changed.append(msisdn)
    return BulkResult(tuple(changed), tuple(unchanged))
