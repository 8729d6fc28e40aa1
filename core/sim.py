"""Blocking the SIM card (R24): a blocked number still sees everything but pays for nothing."""

from __future__ import annotations

from dataclasses import dataclass

from core import subscribers
from core.access import Actor, require_change, require_view
from core.errors import InvalidInput, SimBlocked, SimNotBlocked
from core.ports import UnitOfWork

REASONS = ("lost", "stolen", "voluntary")


@dataclass(frozen=True)
class SimState:
    msisdn: str
    blocked: bool
    reason: str | None = None
    since: float | None = None


def state(uow: UnitOfWork, actor: Actor, msisdn: str) -> SimState:
    """Whether the SIM is blocked, why and since when."""
    msisdn = require_view(uow, actor, msisdn)
    return _state(uow, msisdn)


def block(uow: UnitOfWork, actor: Actor, msisdn: str, reason: str, now: float) -> SimState:
    """Block the SIM for `reason` (lost, stolen, voluntary)."""
    msisdn = require_change(uow, actor, msisdn)
    if reason not in REASONS:
        raise InvalidInput(f"a block reason is one of {', '.join(REASONS)}")
    row = uow.subscribers.lock(msisdn)
    if row.blocked:
        raise SimBlocked(f"the SIM of {msisdn} is already blocked")
    row.blocked = True
    uow.sim_blocks.add(msisdn, reason, actor.msisdn, now)
    return _state(uow, msisdn)


def unblock(uow: UnitOfWork, actor: Actor, msisdn: str, now: float) -> SimState:
    """Lift the block; the owner (or the account's manager) may, even from the blocked number."""
    msisdn = require_change(uow, actor, msisdn)
    row = uow.subscribers.lock(msisdn)
    if not row.blocked:
        raise SimNotBlocked(f"the SIM of {msisdn} is not blocked")
    row.blocked = False
    current = uow.sim_blocks.open_block(msisdn)
    if current is not None:
        current.unblocked_at = now
        current.unblocked_by = actor.msisdn
    return _state(uow, msisdn)


def require_unblocked(uow: UnitOfWork, msisdn: str) -> None:
    """Refuse a paid operation of a blocked number."""
    if subscribers.require(uow, msisdn).blocked:
        raise SimBlocked(f"the SIM of {msisdn} is blocked; unblock it first")


def _state(uow: UnitOfWork, msisdn: str) -> SimState:
    if not subscribers.require(uow, msisdn).blocked:
        return SimState(msisdn, False)
    current = uow.sim_blocks.open_block(msisdn)
    return SimState(msisdn, True, current.reason if current else None, current.blocked_at if current else None)
