"""Corporate actions reached from a handset: registering the corporate account (R30)."""

from __future__ import annotations

from core.corporate.registration import RegistrationCode, register_by_sms
from gateway.actions.base import action, send_sms
from menus.loader import Output


@action("register_corporate", login=Output(13))
def register_corporate(uow, menus, ctx, args):
    """SMS to 000511 from a number of a corporate group: the CP_ login and its password by SMS."""
    result = register_by_sms(uow, ctx.msisdn, str(args.get("text", "")), ctx.now)
    if result.code is RegistrationCode.REGISTERED:
        send_sms(uow, menus, ctx, "corporate_registered_sms", login=result.login, password=result.password)
    else:
        send_sms(uow, menus, ctx, f"corporate.{result.code.value}")
    return {"login": result.login or ""}
