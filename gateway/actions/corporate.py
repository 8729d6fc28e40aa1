"""Corporate actions reached from a handset: registration (R30), the CP_ login (R31, R32),
what a member number sees (R29, R33). The corporate account's operations: corporate_admin."""

from __future__ import annotations

from core.corporate import clients, login, recovery, spending
from core.corporate.access import CorporateAdmin, visible
from core.corporate.registration import RegistrationCode, register_by_sms
from core.numbers import login_of
from gateway.actions.base import action, rub, send_sms, text
from menus.loader import Output
from menus.render import fill


@action("register_corporate", login=Output(13))
def register_corporate(uow, menus, ctx, args):
    """SMS to 000511 from a number of a corporate group: the CP_ login and its password by SMS."""
    result = register_by_sms(uow, ctx.msisdn, str(args.get("text", "")), ctx.now)
    if result.code is RegistrationCode.REGISTERED:
        send_sms(uow, menus, ctx, "corporate_registered_sms", login=result.login, password=result.password)
    else:
        send_sms(uow, menus, ctx, f"corporate.{result.code.value}")
    return {"login": result.login or ""}


def corporate_login_name(ctx) -> str:
    """Over a handset the corporate login is always the handset's own: CP_<ten digits>."""
    return login.PREFIX + login_of(ctx.msisdn)


def admin(uow, ctx, args) -> CorporateAdmin:
    """The corporate account, opened by the password typed earlier in this dialogue; every
    operation checks it again as a login does (failures counted, R32)."""
    return login.verify(uow, corporate_login_name(ctx), str(args.get("corp_password", "")), ctx.now)


@action("corporate_login", login=Output(13))
def corporate_login(uow, menus, ctx, args):
    """R31: the CP_ login of this handset's number with its permanent password."""
    return {"login": admin(uow, ctx, args).login}


@action("show_corporate_member", client=Output(40, text=True), kind=Output(24, text=True),
        spent=Output(12), limit=Output(12, text=True))
def show_corporate_member(uow, menus, ctx, args):
    """R29, R33: a member number sees its client and its own spending and limit."""
    client_id, _ = visible(uow, ctx.actor)  # NotAMember for a number outside every group
    view = clients.client(uow, client_id)
    own = spending.number_spending(uow, ctx.actor, ctx.msisdn, ctx.now)
    return {"client": view.name[:40], "kind": _kind(menus, ctx, view),
            "spent": rub(own.spent), "limit": rub(own.limit) if own.limit is not None else text(menus, ctx, "no_limit")}


@action("show_corporate_client", client=Output(40, text=True), kind=Output(24, text=True),
        regions=Output(60, text=True), members=Output(4))
def show_corporate_client(uow, menus, ctx, args):
    """R29: the client, its kind, and federal when it has contracts in several regions."""
    view = clients.client(uow, admin(uow, ctx, args).client_id)
    return {"client": view.name[:40], "kind": _kind(menus, ctx, view), "regions": ", ".join(view.regions)[:60],
            "members": len(view.members)}


@action("corporate_secret_question", question=Output(200, text=True))
def corporate_secret_question(uow, menus, ctx, args):
    """R32: the question to answer before a reset; without one only an office can reset."""
    return {"question": recovery.secret_question(uow, corporate_login_name(ctx))}


@action("reset_corporate_password")
def reset_corporate_password(uow, menus, ctx, args):
    """R32: the right answer sends a new permanent password to the client's contacts."""
    def compose(locale: str, password: str) -> str:
        return fill(menus.text("corporate_password_sms"), locale, {"login": corporate_login_name(ctx),
                                                                   "password": password})

    reset = recovery.reset_password(uow, corporate_login_name(ctx), str(args.get("answer", "")), ctx.now,
                                    sender=menus.sender, compose=compose)
    ctx.sent.extend(reset.sent)
    return {}


def _kind(menus, ctx, view: clients.ClientView) -> str:
    kind = text(menus, ctx, "client_kind." + view.kind.value)
    return f"{kind}, {text(menus, ctx, 'federal')}" if view.federal else kind
