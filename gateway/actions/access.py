"""Access levels from the handset (R26-R28): one's own level, the numbers of the account."""

from __future__ import annotations

from core import access, sim
from core.access import Access
from gateway.actions.base import action, label, rub, text
from menus.loader import Output

LEVEL = Output(24, text=True)
NUMBER = Output(11)


def _level(menus, ctx, level: Access) -> str:
    return text(menus, ctx, "access." + level.name.lower())


@action("show_access", level=LEVEL)
def show_access(uow, menus, ctx, args):
    return {"level": _level(menus, ctx, ctx.access)}


@action("list_account_numbers", label=Output(30, text=True))
def list_account_numbers(uow, menus, ctx, args):
    """Every number on the account with its balance; every level sees them all (R26)."""
    numbers = access.account_numbers(uow, ctx.actor)
    return {"items": [(n.msisdn, label(f"{n.msisdn} {rub(n.balance)}")) for n in numbers]}


@action("show_account_number", number=NUMBER, balance=Output(12), tariff=Output(40, text=True), level=LEVEL)
def show_account_number(uow, menus, ctx, args):
    number = access.number_on_account(uow, ctx.actor, str(args["number"]))
    tariff = ctx.offer.tariffs.get(number.tariff) if ctx.offer else None
    return {"number": number.msisdn, "balance": rub(number.balance), "level": _level(menus, ctx, number.access),
            "tariff": (tariff.name.get(ctx.locale) or number.tariff) if tariff else number.tariff}


@action("grant_access", number=NUMBER, level=LEVEL)
def grant_access(uow, menus, ctx, args):
    """R28: the account's manager sets what another number of the account may do."""
    level = Access.parse(str(args["level"]))
    number = access.grant(uow, ctx.actor, str(args["number"]), level)
    return {"number": number, "level": _level(menus, ctx, level)}


@action("block_account_number", number=NUMBER)
def block_account_number(uow, menus, ctx, args):
    """R28 with R24: block the SIM of another number of the account."""
    number = str(args["number"])
    sim.block(uow, ctx.actor, number, "voluntary", ctx.now)
    return {"number": number}
