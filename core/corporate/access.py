"""Who may see and manage which numbers of a corporate group.

A corporate admin (logged in with CP_) sees and manages every number of their client; a
member number acting at its own subscriber level (a core.access.Actor) sees only its own
number and changes nothing here.
"""

from __future__ import annotations

from dataclasses import dataclass

from core import subscribers
from core.access import Access, Actor
from core.errors import NotAllowed, NotAMember
from core.numbers import login_of
from core.ports import UnitOfWork


@dataclass(frozen=True)
class CorporateAdmin:
    """The corporate account of a client, logged in as `CP_<ten digits of msisdn>`."""

    client_id: int
    msisdn: str

    @property
    def login(self) -> str:
        return "CP_" + login_of(self.msisdn)


def acting_as(msisdn: str) -> Actor:
    """The actor that core services (options, tariffs) see once this module has allowed a
    corporate operation on a member number: the number itself, at subscriber level."""
    return Actor(msisdn, Access.SUBSCRIBER)


Viewer = CorporateAdmin | Actor


def require_member(uow: UnitOfWork, client_id: int, msisdn: str) -> str:
    """The normalised number if it belongs to the client's group; NotAMember otherwise."""
    row = subscribers.require(uow, msisdn)
    if uow.corporate_clients.client_of(row.msisdn) != client_id:
        raise NotAMember(f"{row.msisdn} is not a number of this corporate group")
    return row.msisdn


def require_admin(who: Viewer) -> CorporateAdmin:
    if not isinstance(who, CorporateAdmin):
        raise NotAllowed("managing corporate numbers needs the corporate (CP_) login")
    return who


def visible(uow: UnitOfWork, who: Viewer) -> tuple[int, list[str]]:
    """The client and the numbers `who` may see: the whole group, or a member's own number."""
    if isinstance(who, CorporateAdmin):
        return who.client_id, uow.corporate_clients.members(who.client_id)
    client_id = uow.corporate_clients.client_of(who.msisdn)
    if client_id is None:
        raise NotAMember(f"{who.msisdn} is not a number of a corporate group")
    return client_id, [who.msisdn]


def require_view(uow: UnitOfWork, who: Viewer, msisdn: str) -> str:
    """The normalised number if `who` may see it."""
    if isinstance(who, CorporateAdmin):
        return require_member(uow, who.client_id, msisdn)
    row = subscribers.require(uow, msisdn)
    if row.msisdn != who.msisdn:
        raise NotAllowed(f"{who.msisdn} may see only its own number")
    visible(uow, who)
    return row.msisdn


def require_numbers(uow: UnitOfWork, admin: CorporateAdmin, numbers: list[str] | None) -> list[str]:
    """Every number asked for (all of the group when None), each checked to be a member."""
    require_admin(admin)
    if numbers is None:
        return uow.corporate_clients.members(admin.client_id)
    checked = [require_member(uow, admin.client_id, n) for n in numbers]
    return sorted(set(checked))
