"""The world of the corporate tests: a client with a group of numbers, registration, logins."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

from core import subscribers
from core.catalogue import load_catalogue
from core.corporate import clients, login, registration
from core.corporate.access import CorporateAdmin
from core.ledger import MOSCOW

CATALOGUE = load_catalogue(str(Path(__file__).resolve().parent.parent / "catalogue.yaml"))
NOW = datetime.datetime(2026, 11, 5, 12, 0, tzinfo=MOSCOW).timestamp()
DAY = 86400.0
A, B, C = "79261110001", "79261110002", "79261110003"  # the group of "Romashka"
OUTSIDER = "79269990000"  # a subscriber in no group
LOGIN_A = "CP_9261110001"
GOOD_ICCID = "89701012417510000002"  # 20 digits, Luhn-valid
GOOD_ICCID_19 = "8970101241751000005"


def make_client(store, *, secret: bool = True, balance: int = 100_000, contacts=(A,),
                regions=("Moscow",)) -> int:
    """Client "Romashka" with numbers A, B, C (each with `balance` kopecks) and OUTSIDER alone."""
    with store.transaction() as uow:
        for msisdn in (A, B, C, OUTSIDER):
            subscribers.create(uow, msisdn, NOW - 90 * DAY, balance=balance)
        view = clients.create_client(
            uow, "Romashka LLC", "company", regions, NOW, members=(A, B, C), contacts=contacts,
            secret_question="First pet?" if secret else None, secret_answer="Sharik" if secret else None,
        )
    return view.id


def register(store, msisdn: str = A) -> registration.RegistrationResult:
    with store.transaction() as uow:
        return registration.register_by_sms(uow, msisdn, "", NOW)


def attempt(store, password: str, *, name: str = LOGIN_A, seed: int = 1, now: float = NOW, **captcha):
    """A login as the API does it: a refusal is returned and its changes are committed."""
    with store.transaction() as uow:
        try:
            return login.login(uow, name, password, now, rng=random.Random(seed), **captcha)
        except login.REFUSALS as refusal:
            return refusal


def admin(store, password: str) -> CorporateAdmin:
    result = attempt(store, password)
    with store.transaction() as uow:
        return login.authenticate(uow, result.token)


def solve(prompt: str) -> str:
    """What a person reads off the captcha: `37 + 48` -> `85`."""
    return str(sum(int(term) for term in prompt.split("+")))
