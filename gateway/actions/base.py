"""What every action gets and gives: the dialogue's context, the registry, SMS sending."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core import credentials, messages
from core.access import Access, Actor, level_of
from core.catalogue import Catalogue as Offer
from core.money import format_roubles, parse_roubles
from core.ports import MessageRecord, UnitOfWork
from menus.loader import Output
from menus.render import fill
from menus.schema import MenuSet

MOSCOW = datetime.timezone(datetime.timedelta(hours=3))


@dataclass
class Context:
    msisdn: str
    now: float
    locale: str
    channel: str  # ussd | sms | voice
    reply_from: str | None = None  # the service number an SMS command was sent to
    otp_ttl: float = credentials.DEFAULT_OTP_TTL
    offer: Offer | None = None  # the operator's catalogue
    sent: list[MessageRecord] = field(default_factory=list)
    access: Access = Access.SUBSCRIBER  # the number's granted level, read with each action

    @property
    def actor(self) -> Actor:
        return Actor(self.msisdn, self.access)


ActionFn = Callable[[UnitOfWork, MenuSet, Context, Mapping[str, object]], Mapping[str, object]]


@dataclass(frozen=True)
class Action:
    fn: ActionFn
    outputs: Mapping[str, Output] = field(default_factory=dict)


ACTIONS: dict[str, Action] = {}


def action(action_name: str, /, **outputs: Output) -> Callable[[ActionFn], ActionFn]:
    """Register an action under the name menus.yaml uses, with the outputs it shows."""

    def register(fn: ActionFn) -> ActionFn:
        assert action_name not in ACTIONS, action_name
        ACTIONS[action_name] = Action(fn, outputs)
        return fn

    return register


def perform(uow: UnitOfWork, menus: MenuSet, ctx: Context, action_name: str,
            args: Mapping[str, object]) -> dict:
    """Run one action at the access level granted to the number (R26-R28), read afresh."""
    ctx.access = level_of(uow, ctx.msisdn)
    return dict(ACTIONS[action_name].fn(uow, menus, ctx, args))


def send_sms(uow: UnitOfWork, menus: MenuSet, ctx: Context, text_id: str, **values: object) -> None:
    """Put a service SMS from menus.yaml's texts into the subscriber's inbox."""
    text = fill(menus.text(text_id), ctx.locale, values)
    sender = ctx.reply_from or menus.sender
    ctx.sent.append(messages.store_mt(uow, ctx.msisdn, sender, text, ctx.now))


LABEL_MAX = 30  # a list line must fit a UCS-2 screen with its heading and keys


def rub(kopecks: int) -> str:
    return format_roubles(kopecks)


def price(kopecks: int) -> str:
    """A price as a list shows it: whole roubles without kopecks (`300`, `1.50`)."""
    text = format_roubles(kopecks)
    return text[:-3] if text.endswith(".00") else text


def label(text: str) -> str:
    """A list item's label, cut to LABEL_MAX so every list screen fits."""
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def name(ctx: Context, names: Mapping[str, str]) -> str:
    """A catalogue name in the subscriber's language."""
    return names.get(ctx.locale) or next(iter(names.values()), "")


def text(menus: MenuSet, ctx: Context, text_id: str, **values: object) -> str:
    return fill(menus.text(text_id), ctx.locale, values) if text_id in menus.texts else text_id


def kopecks(args: Mapping[str, object], key: str = "amount") -> int:
    """An amount the engine already checked and normalised ("150.50") in kopecks."""
    return parse_roubles(str(args[key]))


def when(now: float) -> str:
    """A moment as the operator writes it, Moscow time."""
    return datetime.datetime.fromtimestamp(now, MOSCOW).strftime("%d.%m.%Y %H:%M")


def login_time(now: float) -> str:
    """The time shown in a login notification."""
    return when(now)
