"""Money actions: balance, spending, detailization, top-up, transfers, promised payment, autopay."""

from __future__ import annotations

from core import autopay, billing, payments, promised
from gateway.actions.base import LABEL_MAX, action, kopecks, label, price, rub, text, when
from menus.loader import Output

AMOUNT = Output(12)
NUMBER = Output(11)
LABEL = Output(LABEL_MAX, text=True)


@action("show_balance", balance=AMOUNT)
def show_balance(uow, menus, ctx, args):
    return {"balance": rub(billing.balance(uow, ctx.actor).amount)}


@action("show_spending", total=AMOUNT, period=Output(7), lines=Output(160, text=True))
def show_spending(uow, menus, ctx, args):
    spent = billing.spending(uow, ctx.actor, ctx.now)
    lines = [f"{text(menus, ctx, 'cause.' + cause)}: {rub(total)}" for cause, total in spent.by_cause]
    return {"total": rub(spent.total), "period": spent.period, "lines": "\n".join(lines)}


@action("show_detailization", period=Output(7), lines=Output(400, text=True))
def show_detailization(uow, menus, ctx, args):
    operations = billing.detailization(uow, ctx.actor, ctx.now)
    lines = [f"{when(op.at)[:5]} {text(menus, ctx, 'cause.' + op.cause)} {rub(op.amount)}" for op in operations]
    return {"period": billing.spending(uow, ctx.actor, ctx.now).period,
            "lines": "\n".join(lines) or text(menus, ctx, "list_empty")}


@action("top_up", amount=AMOUNT, balance=AMOUNT, to=NUMBER)
def top_up(uow, menus, ctx, args):
    done = payments.top_up(uow, ctx.actor, kopecks(args), ctx.now, msisdn=args.get("to"))
    return {"amount": rub(done.amount), "balance": rub(done.balance), "to": done.msisdn}


@action("transfer", amount=AMOUNT, balance=AMOUNT, to=NUMBER)
def transfer(uow, menus, ctx, args):
    done = payments.transfer(uow, ctx.actor, str(args["to"]), kopecks(args), ctx.now)
    return {"amount": rub(done.amount), "balance": rub(done.balance), "to": done.recipient}


@action("request_payment", amount=AMOUNT, payer=NUMBER)
def request_payment(uow, menus, ctx, args):
    request = payments.request_payment(uow, ctx.actor, str(args["payer"]), kopecks(args), ctx.now)
    return {"amount": rub(request.amount), "payer": request.payer}


@action("list_payment_requests", label=LABEL)
def list_payment_requests(uow, menus, ctx, args):
    pending = payments.requests_to_pay(uow, ctx.actor, ctx.now)
    return {"items": [(r.id, label(f"{r.requester}: {price(r.amount)}")) for r in pending]}


@action("answer_payment_request", amount=AMOUNT, requester=NUMBER)
def answer_payment_request(uow, menus, ctx, args):
    answer = payments.Answer(str(args["answer"]))
    request = payments.answer_request(uow, ctx.actor, int(str(args["request"])), answer, ctx.now)
    return {"amount": rub(request.amount), "requester": request.requester}


@action("quote_promised", amount=AMOUNT, fee=AMOUNT, days=Output(2))
def quote_promised(uow, menus, ctx, args):
    rules = ctx.offer.promised_payment
    amount = kopecks(args)
    return {"amount": rub(amount), "fee": rub(rules.fee_for(amount)), "days": rules.term_days}


@action("take_promised", amount=AMOUNT, fee=AMOUNT, due=Output(16))
def take_promised(uow, menus, ctx, args):
    taken = promised.take(uow, ctx.actor, ctx.offer, kopecks(args), ctx.now)
    return {"amount": rub(taken.amount), "fee": rub(taken.fee), "due": when(taken.due_at)}


@action("show_promised", status=Output(80, text=True))
def show_promised(uow, menus, ctx, args):
    current = promised.outstanding(uow, ctx.actor)
    if current is None:
        return {"status": text(menus, ctx, "promised_none")}
    return {"status": text(menus, ctx, "promised_status", amount=rub(current.amount), due=when(current.due_at))}


@action("list_autopay", label=LABEL)
def list_autopay(uow, menus, ctx, args):
    items = []
    for rule in autopay.rules(uow, ctx.actor):
        what = (text(menus, ctx, f"autopay_every.{rule.every}") if rule.every
                else text(menus, ctx, "autopay_below", threshold=rub(rule.threshold or 0)))
        items.append((rule.id, label(f"{price(rule.amount)} {what}, {text(menus, ctx, 'autopay_status.' + rule.status)}")))
    return {"items": items}


@action("set_autopay", state=Output(20, text=True))
def set_autopay(uow, menus, ctx, args):
    change = {"pause": autopay.pause, "resume": autopay.resume, "delete": autopay.delete}[str(args["change"])]
    rule = change(uow, ctx.actor, int(str(args["rule"])))
    return {"state": text(menus, ctx, "autopay_status." + rule.status)}



@action("create_autopay", amount=AMOUNT, what=Output(24, text=True))
def create_autopay(uow, menus, ctx, args):
    """R20 from the handset: a periodic (`every`) or threshold rule on the linked card."""
    card = autopay.linked_card(uow, ctx.actor)
    amount = kopecks(args)
    if "threshold" in args:
        threshold = kopecks(args, "threshold")
        autopay.create_threshold(uow, ctx.actor, card, threshold, amount, ctx.now)
        what = text(menus, ctx, "autopay_below", threshold=rub(threshold))
    else:
        autopay.create_periodic(uow, ctx.actor, card, str(args["every"]), amount, ctx.now)
        what = text(menus, ctx, f"autopay_every.{args['every']}")
    return {"amount": rub(amount), "what": what}
