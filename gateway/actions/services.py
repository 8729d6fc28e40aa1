"""Service actions: options and subscriptions, tariffs, packages, bonuses, SIM block, support."""

from __future__ import annotations

from core import bonuses, options, packages, sim, support, tariffs
from gateway.actions.base import LABEL_MAX, action, label, name, price, rub, text
from menus.loader import Output

LABEL = Output(LABEL_MAX, text=True)
NAME = Output(40, text=True)
AMOUNT = Output(12)
COUNT = Output(7)


def _item(menus, ctx, service) -> tuple[str, str]:
    return service.id, label(f"{name(ctx, service.name)} {price(service.fee)} {text(menus, ctx, 'per.' + service.period)}")


@action("list_connected", label=LABEL)
def list_connected(uow, menus, ctx, args):
    services = options.connected(uow, ctx.offer, ctx.actor, ctx.msisdn)
    return {"items": [_item(menus, ctx, s) for s in services]}


@action("list_available_options", label=LABEL)
def list_available_options(uow, menus, ctx, args):
    services = options.available(uow, ctx.offer, ctx.actor, ctx.msisdn)
    return {"items": [_item(menus, ctx, s) for s in services]}


@action("connect_option", name=NAME, fee=AMOUNT)
def connect_option(uow, menus, ctx, args):
    service = options.connect(uow, ctx.offer, ctx.actor, ctx.msisdn, str(args["option"]), ctx.now)
    return {"name": name(ctx, service.name), "fee": rub(service.fee)}


@action("disconnect_option", name=NAME)
def disconnect_option(uow, menus, ctx, args):
    option = ctx.offer.option(str(args["option"]))
    options.disconnect(uow, ctx.offer, ctx.actor, ctx.msisdn, option.id, ctx.now)
    return {"name": name(ctx, option.name)}


@action("list_subscriptions", label=LABEL)
def list_subscriptions(uow, menus, ctx, args):
    services = options.subscriptions(uow, ctx.offer, ctx.actor, ctx.msisdn)
    return {"items": [_item(menus, ctx, s) for s in services]}


@action("subscribe", name=NAME, fee=AMOUNT)
def subscribe(uow, menus, ctx, args):
    """A paid subscription started by SMS, as content providers' short numbers do."""
    service = options.subscribe(uow, ctx.offer, ctx.actor, ctx.msisdn, str(args["subscription"]), ctx.now)
    return {"name": name(ctx, service.name), "fee": rub(service.fee)}


@action("cancel_subscription", name=NAME)
def cancel_subscription(uow, menus, ctx, args):
    item = ctx.offer.subscription(str(args["subscription"]))
    options.cancel(uow, ctx.offer, ctx.actor, ctx.msisdn, item.id, ctx.now)
    return {"name": name(ctx, item.name)}


@action("cancel_all_subscriptions", count=COUNT)
def cancel_all_subscriptions(uow, menus, ctx, args):
    current = options.subscriptions(uow, ctx.offer, ctx.actor, ctx.msisdn)
    for item in current:
        options.cancel(uow, ctx.offer, ctx.actor, ctx.msisdn, item.id, ctx.now)
    return {"count": len(current)}


@action("show_tariff", name=NAME, fee=AMOUNT, minutes=COUNT, sms=COUNT, internet=COUNT)
def show_tariff(uow, menus, ctx, args):
    tariff = tariffs.current(uow, ctx.offer, ctx.actor, ctx.msisdn)
    return {"name": name(ctx, tariff.name), "fee": rub(tariff.monthly_fee), "minutes": tariff.packages["minutes"],
            "sms": tariff.packages["sms"], "internet": tariff.packages["internet_mb"] // 1024}


@action("list_tariffs", label=LABEL)
def list_tariffs(uow, menus, ctx, args):
    offered = tariffs.available(uow, ctx.offer, ctx.actor, ctx.msisdn)
    return {"items": [(t.id, label(f"{name(ctx, t.name)} {price(t.monthly_fee)}")) for t in offered]}


@action("change_tariff", name=NAME)
def change_tariff(uow, menus, ctx, args):
    tariff = tariffs.change(uow, ctx.offer, ctx.actor, ctx.msisdn, str(args["tariff"]), ctx.now)
    return {"name": name(ctx, tariff.name)}


@action("show_remainders", minutes=COUNT, sms=COUNT, internet=COUNT)
def show_remainders(uow, menus, ctx, args):
    left = packages.remainders(uow, ctx.offer, ctx.actor, ctx.msisdn, ctx.now)
    return {"minutes": left["minutes"].left, "sms": left["sms"].left, "internet": left["internet_mb"].left}


@action("list_packages", label=LABEL)
def list_packages(uow, menus, ctx, args):
    return {"items": [(p.id, label(f"{name(ctx, p.name)} {price(p.price)}")) for p in ctx.offer.packages.values()]}


@action("buy_package", name=NAME, price=AMOUNT)
def buy_package(uow, menus, ctx, args):
    package = ctx.offer.package(str(args["package"]))
    packages.buy(uow, ctx.offer, ctx.actor, ctx.msisdn, package.id, ctx.now)
    return {"name": name(ctx, package.name), "price": rub(package.price)}


@action("show_points", points=COUNT)
def show_points(uow, menus, ctx, args):
    return {"points": bonuses.points(uow, ctx.offer, ctx.actor, ctx.msisdn).balance}


@action("list_rewards", label=LABEL)
def list_rewards(uow, menus, ctx, args):
    return {"items": [(r.id, label(f"{name(ctx, r.name)} {r.points}")) for r in bonuses.rewards(ctx.offer)]}


@action("spend_points", name=NAME, points=COUNT)
def spend_points(uow, menus, ctx, args):
    reward = ctx.offer.reward(str(args["reward"]))
    left = bonuses.spend(uow, ctx.offer, ctx.actor, ctx.msisdn, reward.id, ctx.now)
    return {"name": name(ctx, reward.name), "points": left.balance}


@action("block_sim")
def block_sim(uow, menus, ctx, args):
    sim.block(uow, ctx.actor, ctx.msisdn, str(args.get("reason", "voluntary")), ctx.now)
    return {}


@action("unblock_sim")
def unblock_sim(uow, menus, ctx, args):
    sim.unblock(uow, ctx.actor, ctx.msisdn, ctx.now)
    return {}


@action("list_faq_topics", label=LABEL)
def list_faq_topics(uow, menus, ctx, args):
    return {"items": [(t.id, label(name(ctx, t.title))) for t in support.topics(ctx.offer)]}


@action("show_faq", answers=Output(400, text=True))
def show_faq(uow, menus, ctx, args):
    entries = support.faq(ctx.offer, str(args["topic"]))
    return {"answers": "\n".join(f"{name(ctx, e.question)} {name(ctx, e.answer)}" for e in entries)}


@action("ask_question", id=COUNT)
def ask_question(uow, menus, ctx, args):
    asked = support.ask(uow, ctx.offer, ctx.actor, ctx.msisdn, str(args["topic"]), str(args["question"]), ctx.now)
    return {"id": asked.id}


@action("show_questions", lines=Output(400, text=True))
def show_questions(uow, menus, ctx, args):
    asked = support.questions(uow, ctx.actor, ctx.msisdn)
    lines = [f"№{q.id}: {q.answer or text(menus, ctx, 'question_waiting')}" for q in asked]
    return {"lines": "\n".join(lines) or text(menus, ctx, "list_empty")}
