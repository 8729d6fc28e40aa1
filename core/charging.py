"""What the self-service channels themselves cost (R10, R11, R13, R14).

USSD is free at home and in roaming. The voice menu on 0505 is free and connects at home
only; +79221110505 is free at home and costs the roaming rate per started minute in roaming.
SMS to the service numbers are free at home and cost the roaming SMS rate in roaming. None
of it touches the packages: the self-service consumes no paid traffic. Roaming charges are
paid operations, refused for a blocked SIM, and appear in the detailization with their cause.
"""

from __future__ import annotations

from core import subscribers, voice
from core.catalogue import Catalogue
from core.errors import InsufficientFunds, InvalidAmount, InvalidNumber, NotServiceNumber
from core.ledger import Cause, debit
from core.numbers import normalise_msisdn
from core.ports import UnitOfWork
from core.sim import require_unblocked

VOICE_MENU_HOME = "0505"
VOICE_MENU_ROAMING = "79221110505"
SERVICE_SMS_NUMBERS = frozenset({"000100", "5037", "1410", "1100", "000105", "000110", "000511"})


def charge_ussd(uow: UnitOfWork, msisdn: str, request: str, now: float) -> int:
    """A USSD request: always free (R10); returns 0."""
    subscribers.require(uow, msisdn)
    return 0


def call_limit(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, number: str) -> float | None:
    """Seconds of a voice-menu call the balance pays for; None when the call is free.

    The channel cuts the call at this limit; InsufficientFunds when not even a minute is paid.
    """
    rate = _call_rate(uow, catalogue, msisdn, number)
    if not rate:
        return None
    require_unblocked(uow, msisdn)
    balance = uow.ledger.balance(subscribers.require(uow, msisdn).msisdn)
    if balance < rate:
        raise InsufficientFunds(balance, rate)
    return balance // rate * 60.0


def charge_call(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, number: str, seconds: float,
                now: float, *, ref: str | None = None) -> int:
    """Charge a finished call to the voice menu (R11); returns kopecks charged, 0 when free."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or not 0 <= seconds < 86400:
        raise InvalidAmount("a call lasts 0 to 86400 seconds")
    rate = _call_rate(uow, catalogue, msisdn, number)
    minutes = -(-int(seconds * 1000) // 60000)  # every started minute, whole milliseconds
    if not rate or not minutes:
        return 0
    msisdn = subscribers.require(uow, msisdn).msisdn
    require_unblocked(uow, msisdn)
    amount = rate * minutes
    debit(uow, msisdn, amount, Cause.ROAMING_CALL, now, detail=f"+{VOICE_MENU_ROAMING}, {minutes} min", ref=ref)
    return amount


def charge_service_sms(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, number: str, now: float, *,
                       ref: str | None = None) -> int:
    """Charge an SMS to a service number (R13); returns kopecks charged, 0 at home."""
    if number not in SERVICE_SMS_NUMBERS:
        raise NotServiceNumber(f"{number!r} is not a service SMS number")
    row = subscribers.require(uow, msisdn)
    if not row.roaming or not catalogue.roaming.sms:
        return 0
    require_unblocked(uow, row.msisdn)
    debit(uow, row.msisdn, catalogue.roaming.sms, Cause.ROAMING_SMS, now, detail=f"SMS to {number}", ref=ref)
    return catalogue.roaming.sms


def _call_rate(uow: UnitOfWork, catalogue: Catalogue, msisdn: str, number: str) -> int:
    """The per-minute price of a call to a voice-menu number; NotConnected for 0505 abroad."""
    row = subscribers.require(uow, msisdn)
    if number == VOICE_MENU_HOME:
        voice.connect(uow, row.msisdn, number)
        return 0
    try:
        normalised = normalise_msisdn(number)
    except InvalidNumber:
        normalised = None
    if normalised != VOICE_MENU_ROAMING:
        raise NotServiceNumber(f"{number!r} is not a voice-menu number")
    return catalogue.roaming.voice_menu_minute if row.roaming else 0
