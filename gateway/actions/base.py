"""The actions menus.yaml may name, each one transaction against the core.

An action gets the unit of work, the loaded menus (for SMS texts), the dialogue's
context and the node's arguments; it returns the values its screen text may show and
records the SMS it sends in `ctx.sent`, so they can be delivered once committed.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from core import credentials, messages, subscribers
from core.money import format_roubles
from core.ports import MessageRecord, UnitOfWork
from menus.loader import Catalogue, Output
from menus.render import fill
from menus.schema import MenuSet


@dataclass
class Context:
    msisdn: str
    now: float
    locale: str
    channel: str  # ussd | sms | voice
    reply_from: str | None = None  # the service number an SMS command was sent to
    otp_ttl: float = credentials.DEFAULT_OTP_TTL
    sent: list[MessageRecord] = field(default_factory=list)


ActionFn = Callable[[UnitOfWork, MenuSet, Context, Mapping[str, object]], Mapping[str, object]]


@dataclass(frozen=True)
class Action:
    fn: ActionFn
    outputs: Mapping[str, Output] = field(default_factory=dict)


def send_sms(uow: UnitOfWork, menus: MenuSet, ctx: Context, text_id: str, **values: object) -> None:
    """Put a service SMS from menus.yaml's texts into the subscriber's inbox."""
    text = fill(menus.text(text_id), ctx.locale, values)
    sender = ctx.reply_from or menus.sender
    ctx.sent.append(messages.store_mt(uow, ctx.msisdn, sender, text, ctx.now))


def _issue_password(uow, menus, ctx, args):
    code = credentials.issue_one_time_password(uow, ctx.msisdn, ctx.now, ctx.otp_ttl)
    send_sms(uow, menus, ctx, "password_sms", password=code)
    return {}


def _set_keypad_password(uow, menus, ctx, args):
    credentials.set_keypad_password(uow, ctx.msisdn, str(args["password"]))
    return {}


def _show_balance(uow, menus, ctx, args):
    return {"balance": format_roubles(subscribers.summary(uow, ctx.msisdn).balance)}


def _send_app_link(uow, menus, ctx, args):
    send_sms(uow, menus, ctx, "app_link_sms")
    return {}


def _set_login_notifications(uow, menus, ctx, args):
    credentials.set_login_notifications(uow, ctx.msisdn, bool(args.get("enabled")))
    return {}


ACTIONS: dict[str, Action] = {
    "issue_password": Action(_issue_password),
    "set_keypad_password": Action(_set_keypad_password),
    "show_balance": Action(_show_balance, outputs={"balance": Output(12)}),
    "send_app_link": Action(_send_app_link),
    "set_login_notifications": Action(_set_login_notifications),
}

# Texts the code itself uses, beyond the nodes' own.
REQUIRED_TEXTS = (
    "password_sms", "app_link_sms", "login_notification_sms", "invalid_choice",
    "invalid_input", "too_many_tries", "session_ended", "unknown_service_code",
    "error.default", "nav_back", "nav_more", "list_empty", "voice_item",
)

CATALOGUE = Catalogue(
    actions={name: action.outputs for name, action in ACTIONS.items()},
    required_texts=REQUIRED_TEXTS,
)


def login_time(now: float) -> str:
    """The time shown in a login notification, Moscow time as the operator writes it."""
    moscow = datetime.timezone(datetime.timedelta(hours=3))
    return datetime.datetime.fromtimestamp(now, moscow).strftime("%d.%m.%Y %H:%M")
