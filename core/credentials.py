"""Personal-account passwords: one-time and permanent, lockout, logins (R01-R08)."""

from __future__ import annotations

import hashlib
import secrets as _random
from dataclasses import dataclass

from core import subscribers
from core.errors import (
    InvalidPassword,
    LoginLocked,
    NotAuthenticated,
    WrongPassword,
)
from core.numbers import normalise_msisdn
from core.ports import CredentialRecord, UnitOfWork
from core.secrets import hash_secret, new_one_time_password, verify_secret

MAX_FAILURES = 5
DEFAULT_OTP_TTL = 24 * 3600.0
PERMANENT_MIN, PERMANENT_MAX = 6, 32
KEYPAD_MIN, KEYPAD_MAX = 6, 12
ONE_TIME, PERMANENT = "one_time", "permanent"


@dataclass(frozen=True)
class LoginResult:
    msisdn: str
    token: str
    notify: bool  # R07: the caller sends the login notification SMS


def issue_one_time_password(uow: UnitOfWork, msisdn: str, now: float, ttl: float = DEFAULT_OTP_TTL) -> str:
    """Replace any password with a fresh one-time one and unlock the login (R02-R05, R09).

    Returns the code in clear for the one SMS that carries it; only its hash is stored.
    """
    row = subscribers.require(uow, msisdn)
    code = new_one_time_password()
    _replace(uow.credentials.get_for_update(row.msisdn), ONE_TIME, code, now + ttl)
    return code


def set_keypad_password(uow: UnitOfWork, msisdn: str, password: str) -> None:
    """The password typed on the keypad in the 0505 menu (R04): digits only; unlocks."""
    if not (password.isdigit() and password.isascii() and KEYPAD_MIN <= len(password) <= KEYPAD_MAX):
        raise InvalidPassword(f"a keypad password is {KEYPAD_MIN} to {KEYPAD_MAX} digits")
    row = subscribers.require(uow, msisdn)
    _replace(uow.credentials.get_for_update(row.msisdn), PERMANENT, password, None)


def login(uow: UnitOfWork, login_name: str, password: str, now: float, *,
          captcha_id: str | None = None, captcha_answer: str | None = None) -> LoginResult:
    """Check a login; five wrong passwords in a row lock it (R05). CP_ logins are corporate
    (R31, R32): core.corporate.login, whose refusals callers commit too (its REFUSALS)."""
    if login_name.strip().upper().startswith("CP_"):
        from core.corporate import login as corporate  # imported here: it builds on this module

        return corporate.login(uow, login_name, password, now, captcha_id=captcha_id,
                               captcha_answer=captcha_answer)
    msisdn = subscribers.require(uow, normalise_msisdn(login_name)).msisdn
    credential = uow.credentials.get_for_update(msisdn)
    _check(credential, password, now)
    token = _random.token_urlsafe(32)
    uow.tokens.add(_token_hash(token), msisdn, now)
    return LoginResult(msisdn=msisdn, token=token, notify=credential.login_notifications)


def change_password(uow: UnitOfWork, msisdn: str, old: str, new: str, now: float) -> None:
    """Replace the current password (one-time or permanent) by a permanent one (R06)."""
    _check_permanent_rules(new)
    credential = uow.credentials.get_for_update(msisdn)
    _check(credential, old, now)
    _replace(credential, PERMANENT, new, None)


def set_login_notifications(uow: UnitOfWork, msisdn: str, enabled: bool) -> None:
    """Switch the SMS sent on every successful login on or off (R07)."""
    row = subscribers.require(uow, msisdn)
    uow.credentials.get_for_update(row.msisdn).login_notifications = enabled


def authenticate(uow: UnitOfWork, token: str) -> str:
    """The number a login token belongs to."""
    msisdn = uow.tokens.owner(_token_hash(token)) if token else None
    if msisdn is None:
        raise NotAuthenticated("log in first: POST /api/v1/login")
    return msisdn


def _check(credential: CredentialRecord, password: str, now: float) -> None:
    if credential.locked:
        raise LoginLocked()
    live = credential.expires_at is None or now < credential.expires_at
    if live and verify_secret(password, credential.secret_hash):
        credential.failures = 0
        return
    credential.failures += 1
    if credential.failures >= MAX_FAILURES:
        credential.locked = True
        raise LoginLocked()
    raise WrongPassword(MAX_FAILURES - credential.failures)


def _replace(credential: CredentialRecord, kind: str, secret: str, expires_at: float | None) -> None:
    credential.kind = kind
    credential.secret_hash = hash_secret(secret)
    credential.expires_at = expires_at
    credential.failures = 0
    credential.locked = False


def _check_permanent_rules(password: str) -> None:
    if not (PERMANENT_MIN <= len(password) <= PERMANENT_MAX):
        raise InvalidPassword(f"a password is {PERMANENT_MIN} to {PERMANENT_MAX} characters")
    if not (password.isascii() and password.isprintable() and " " not in password):
        raise InvalidPassword("a password is Latin letters, digits and punctuation, no spaces")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
