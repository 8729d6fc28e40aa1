"""The corporate login `CP_<ten digits>` (R31, R32): permanent password, captcha, sessions.

How it works: the login's row keeps a failure count. Two wrong passwords in a row make a
captcha necessary: from then on every attempt must carry the answer to the pending
challenge, or it is refused with CaptchaRequired and a fresh challenge, before the password
is even looked at. A challenge serves one attempt. A right password resets the count. Every
refusal changes the row (count, challenge), so callers commit refusals: see REFUSALS. There
is no lock: the captcha is what slows guessing down.
"""

from __future__ import annotations

import hashlib
import random
import secrets as _random
from dataclasses import dataclass

from core.corporate import captcha
from core.corporate.access import CorporateAdmin, require_admin
from core.credentials import LoginResult, _check_permanent_rules
from core.errors import (
    CaptchaRequired,
    CorporateWrongPassword,
    InvalidNumber,
    NotAuthenticated,
    NotRegistered,
)
from core.ports import CorporateLoginRecord, UnitOfWork
from core.secrets import hash_secret, verify_secret

CAPTCHA_AFTER = 2  # R32: wrong passwords in a row before a captcha is required
CAPTCHA_TTL = 600.0
PREFIX = "CP_"
# Refusals that changed the login's row: the caller commits them instead of rolling back.
REFUSALS = (CorporateWrongPassword, CaptchaRequired)


@dataclass(frozen=True)
class CorporateLoginResult(LoginResult):
    """A LoginResult whose token opens the corporate account of `client_id`."""

    client_id: int = 0
    login: str = ""


def parse_login(login_name: str) -> str:
    """The number of `CP_9261234567` (prefix in any case), or InvalidNumber."""
    text = login_name.strip() if isinstance(login_name, str) else ""
    digits = text[len(PREFIX):]
    if text[:len(PREFIX)].upper() != PREFIX or len(digits) != 10 or not (digits.isascii() and digits.isdigit()):
        raise InvalidNumber(f"a corporate login is {PREFIX} and the ten-digit number: {PREFIX}9261234567")
    return "7" + digits


def verify(uow: UnitOfWork, login_name: str, password: str, now: float, *, captcha_id: str | None = None,
           captcha_answer: str | None = None, rng: random.Random | None = None) -> CorporateAdmin:
    """Check a corporate password as a login does (failures counted, a captcha after two)
    without opening a session: a USSD dialogue checks it again with every operation.

    `rng` makes the challenges reproducible in tests; by default they come from the system.
    """
    record = require_login(uow, login_name, for_update=True)
    rng = rng or random.SystemRandom()
    if record.failures >= CAPTCHA_AFTER:
        _solve(record, captcha_id, captcha_answer, now, rng)
    if not verify_secret(password, record.secret_hash):
        record.failures += 1
        if record.failures >= CAPTCHA_AFTER:
            raise _challenge(record, now, rng)
        raise CorporateWrongPassword(CAPTCHA_AFTER - record.failures)
    record.failures = 0
    return CorporateAdmin(record.client_id, record.msisdn)


def login(uow: UnitOfWork, login_name: str, password: str, now: float, *, captcha_id: str | None = None,
          captcha_answer: str | None = None, rng: random.Random | None = None) -> CorporateLoginResult:
    """Check a corporate login (see verify) and open a session: the token of the result."""
    admin = verify(uow, login_name, password, now, captcha_id=captcha_id, captcha_answer=captcha_answer, rng=rng)
    token = _random.token_urlsafe(32)
    uow.corporate_logins.add_token(_token_hash(token), admin.msisdn, now)
    return CorporateLoginResult(msisdn=admin.msisdn, token=token, notify=False,
                                client_id=admin.client_id, login=admin.login)


def authenticate(uow: UnitOfWork, token: str) -> CorporateAdmin:
    """The corporate account a token opens; personal-account tokens open none."""
    msisdn = uow.corporate_logins.token_owner(_token_hash(token)) if token else None
    record = uow.corporate_logins.get(msisdn) if msisdn else None
    if record is None:
        raise NotAuthenticated("log in to the corporate account first (CP_ login)")
    return CorporateAdmin(record.client_id, record.msisdn)


def change_password(uow: UnitOfWork, admin: CorporateAdmin, old: str, new: str, now: float) -> None:
    """Replace the corporate password by a new permanent one (same rules as R06)."""
    _check_permanent_rules(new)
    record = require_login(uow, require_admin(admin).login, for_update=True)
    if not verify_secret(old, record.secret_hash):
        raise CorporateWrongPassword(max(CAPTCHA_AFTER - record.failures, 0))
    set_password(record, new, now)


def require_login(uow: UnitOfWork, login_name: str, *, for_update: bool = False) -> CorporateLoginRecord:
    msisdn = parse_login(login_name)
    logins = uow.corporate_logins
    record = logins.get_for_update(msisdn) if for_update else logins.get(msisdn)
    if record is None:
        raise NotRegistered(f"{PREFIX}{msisdn[1:]} is not registered: send an SMS to 000511 "
                            "from a number of the corporate group")
    return record


def set_password(record: CorporateLoginRecord, password: str, now: float) -> None:
    """A new permanent password; failures and any pending captcha are forgotten."""
    record.secret_hash = hash_secret(password)
    record.password_set_at = now
    record.failures = 0
    _clear_captcha(record)


def _solve(record: CorporateLoginRecord, captcha_id: str | None, answer: str | None, now: float,
           rng: random.Random) -> None:
    pending = record.captcha_id is not None and (record.captcha_expires_at or 0.0) > now
    solved = (pending and captcha_id == record.captcha_id and isinstance(answer, str)
              and verify_secret(captcha.normalise_answer(answer), record.captcha_hash))
    _clear_captcha(record)  # a challenge serves one attempt, right or wrong
    if not solved:
        raise _challenge(record, now, rng, wrong_answer=captcha_id is not None or answer is not None)


def _challenge(record: CorporateLoginRecord, now: float, rng: random.Random, *,
               wrong_answer: bool = False) -> CaptchaRequired:
    challenge, answer = captcha.generate(rng)
    record.captcha_id = challenge.id
    record.captcha_hash = hash_secret(answer)
    record.captcha_expires_at = now + CAPTCHA_TTL
    return CaptchaRequired(challenge.id, challenge.prompt, wrong_answer=wrong_answer)


def _clear_captcha(record: CorporateLoginRecord) -> None:
    record.captcha_id = record.captcha_hash = record.captcha_expires_at = None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()
