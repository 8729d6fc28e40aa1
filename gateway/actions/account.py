"""Actions of the personal account itself: passwords, login notifications, the app link."""

from __future__ import annotations

from core import credentials
from gateway.actions.base import action, send_sms


@action("issue_password")
def issue_password(uow, menus, ctx, args):
    code = credentials.issue_one_time_password(uow, ctx.msisdn, ctx.now, ctx.otp_ttl)
    send_sms(uow, menus, ctx, "password_sms", password=code)
    return {}


@action("set_keypad_password")
def set_keypad_password(uow, menus, ctx, args):
    credentials.set_keypad_password(uow, ctx.msisdn, str(args["password"]))
    return {}


@action("send_app_link")
def send_app_link(uow, menus, ctx, args):
    send_sms(uow, menus, ctx, "app_link_sms")
    return {}


@action("set_login_notifications")
def set_login_notifications(uow, menus, ctx, args):
    credentials.set_login_notifications(uow, ctx.msisdn, bool(args.get("enabled")))
    return {}
