"""The corporate account's operations from the admin's handset (R33), each one opened by
the CP_ password typed earlier in the dialogue (see corporate.admin)."""

from __future__ import annotations

from core.corporate import bulk, numbers, spending, staff
from gateway.actions.base import LABEL_MAX, action, kopecks, label, name, price, rub, send_sms, text
from gateway.actions.corporate import admin
from menus.loader import Output

NUMBER = Output(11)
AMOUNT = Output(12)
COUNT = Output(4)
LINES = Output(400, text=True)
NAME = Output(40, text=True)
LABEL = Output(LABEL_MAX, text=True)


@action("corporate_spending", lines=LINES, total=AMOUNT, period=Output(7))
def corporate_spending(uow, menus, ctx, args):
    """Spending per account (the total) and per number, with limits, this billing period."""
    report = spending.spending(uow, admin(uow, ctx, args), ctx.now)
    return {"lines": "\n".join(_spending_line(menus, ctx, n) for n in report.numbers),
            "total": rub(report.total), "period": report.period}


@action("set_corporate_limit", number=NUMBER, limit=Output(12, text=True))
def set_corporate_limit(uow, menus, ctx, args):
    """A number's spending limit per billing period; 0 removes the limit."""
    amount = kopecks(args)
    number = spending.set_limit(uow, admin(uow, ctx, args), str(args["number"]), amount or None, ctx.now)
    return {"number": number.msisdn, "limit": _limit(menus, ctx, number.limit)}


@action("list_corporate_options", label=LABEL)
def list_corporate_options(uow, menus, ctx, args):
    """The options of the catalogue, to connect or disconnect on every number."""
    admin(uow, ctx, args)
    return {"items": [(o.id, label(f"{name(ctx, o.name)} {price(o.fee)}"))
                      for _, o in sorted(ctx.offer.options.items())]}


@action("switch_corporate_option", name=NAME, changed=COUNT, unchanged=COUNT)
def switch_corporate_option(uow, menus, ctx, args):
    """R33: one option switched on or off on every number of the group."""
    option = ctx.offer.option(str(args["option"]))
    result = bulk.switch_option(uow, ctx.offer, admin(uow, ctx, args), option.id, args["state"] == "on", ctx.now)
    return {"name": name(ctx, option.name), "changed": len(result.changed), "unchanged": len(result.unchanged)}


@action("list_corporate_tariffs", label=LABEL)
def list_corporate_tariffs(uow, menus, ctx, args):
    """The tariffs on offer; a number that may not take one is refused in the bulk change."""
    admin(uow, ctx, args)
    offered = sorted((t for t in ctx.offer.tariffs.values() if t.available), key=lambda t: (t.monthly_fee, t.id))
    return {"items": [(t.id, label(f"{name(ctx, t.name)} {price(t.monthly_fee)}")) for t in offered]}


@action("change_corporate_tariffs", name=NAME, changed=COUNT, unchanged=COUNT)
def change_corporate_tariffs(uow, menus, ctx, args):
    """R33: every number of the group moved to one tariff."""
    tariff = ctx.offer.tariff(str(args["tariff"]))
    result = bulk.change_tariffs(uow, ctx.offer, admin(uow, ctx, args), tariff.id, ctx.now)
    return {"name": name(ctx, tariff.name), "changed": len(result.changed), "unchanged": len(result.unchanged)}


@action("set_corporate_forwarding", to=NUMBER, count=COUNT)
def set_corporate_forwarding(uow, menus, ctx, args):
    """R33: calls of every number of the group forwarded to one number."""
    forwarded = numbers.set_forwarding(uow, admin(uow, ctx, args), str(args["to"]), ctx.now)
    return {"to": str(args["to"]), "count": len(forwarded)}


@action("cancel_corporate_forwarding")
def cancel_corporate_forwarding(uow, menus, ctx, args):
    numbers.cancel_forwarding(uow, admin(uow, ctx, args), ctx.now)
    return {}


@action("replace_corporate_sim", number=NUMBER, iccid=Output(4))
def replace_corporate_sim(uow, menus, ctx, args):
    """R33: a new SIM card for a number of the group; the old one stops working."""
    card = numbers.replace_sim(uow, admin(uow, ctx, args), str(args["number"]), str(args["iccid"]), ctx.now,
                               fee=ctx.offer.sim_replacement_fee)
    return {"number": card.msisdn, "iccid": card.iccid[-4:]}


@action("add_corporate_employee", number=NUMBER, name=NAME)
def add_corporate_employee(uow, menus, ctx, args):
    """R33: an employee with their position on a number of the group."""
    employee = staff.add_employee(uow, admin(uow, ctx, args), str(args["number"]), str(args["employee"]),
                                  str(args["position"]), ctx.now)
    return {"number": employee.msisdn, "name": employee.name[:40]}


@action("list_corporate_employees", lines=LINES)
def list_corporate_employees(uow, menus, ctx, args):
    people = staff.employees(uow, admin(uow, ctx, args))
    return {"lines": "\n".join(f"{e.msisdn} {e.name}, {e.position}" for e in people) or text(menus, ctx, "no_employees")}


@action("send_corporate_report", period=Output(7))
def send_corporate_report(uow, menus, ctx, args):
    """R33: the spending report by SMS to the admin's handset."""
    report = spending.spending(uow, admin(uow, ctx, args), ctx.now)
    lines = "\n".join(_spending_line(menus, ctx, n) for n in report.numbers)
    send_sms(uow, menus, ctx, "corporate_report_sms", period=report.period, total=rub(report.total), lines=lines)
    return {"period": report.period}


def _limit(menus, ctx, limit: int | None) -> str:
    return rub(limit) if limit is not None else text(menus, ctx, "no_limit")


def _spending_line(menus, ctx, number: spending.NumberSpending) -> str:
    mark = "!" if number.over_limit else ""
    return f"{number.msisdn}: {rub(number.spent)}/{_limit(menus, ctx, number.limit)}{mark}"
