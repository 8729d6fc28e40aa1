"""Credentials in the core, on SQLite and PostgreSQL (R01, R02, R05, R06, R07, R08, R09)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core import credentials, subscribers
from core.errors import (
    InvalidPassword,
    LoginLocked,
    NotRegistered,
    UnknownSubscriber,
    WrongPassword,
)

A = "79261234567"


@pytest.fixture
def account(store):
    with store.transaction() as uow:
        subscribers.create(uow, A, 0.0, balance=30000)
    return store


def issue(store, now=0.0, ttl=credentials.DEFAULT_OTP_TTL) -> str:
    with store.transaction() as uow:
        return credentials.issue_one_time_password(uow, A, now, ttl)


def login(store, password, now=1.0, name="9261234567"):
    # As the API does: a refusal still commits the failure count.
    with store.transaction() as uow:
        try:
            return credentials.login(uow, name, password, now)
        except (WrongPassword, LoginLocked) as refusal:
            return refusal


def test_r01_login_forms_normalise_to_the_number(account):
    code = issue(account)
    for name in ("9261234567", "+79261234567", "89261234567", "79261234567"):
        assert login(account, code, name=name).msisdn == A


def test_r02_one_time_password_logs_in_and_is_stored_only_as_a_hash(account):
    code = issue(account)
    assert login(account, code).token
    with account.engine.connect() as connection:
        stored = connection.execute(text("SELECT secret_hash, kind FROM credentials")).one()
    assert stored.kind == "one_time"
    assert code not in stored.secret_hash and stored.secret_hash.startswith("scrypt$")


def test_r08_hashes_are_salted(account):
    from core.secrets import hash_secret, verify_secret

    first, second = hash_secret("same-secret"), hash_secret("same-secret")
    assert first != second
    assert verify_secret("same-secret", first) and verify_secret("same-secret", second)
    assert not verify_secret("other", first)


def test_one_time_password_expires(account):
    code = issue(account, now=0.0, ttl=60.0)
    assert isinstance(login(account, code, now=61.0), WrongPassword)
    assert login(account, code, now=59.0).token


def test_r05_five_failures_lock_and_a_new_one_time_password_unlocks(account):
    code = issue(account)
    results = [login(account, "wrong") for _ in range(5)]
    assert [r.attempts_left for r in results[:4]] == [4, 3, 2, 1]
    assert isinstance(results[4], LoginLocked)
    assert isinstance(login(account, code), LoginLocked)
    with account.transaction() as uow:
        assert subscribers.summary(uow, A).locked
    fresh = issue(account)
    assert login(account, fresh).token


def test_r04_keypad_password_unlocks_and_must_be_digits(account):
    issue(account)
    for _ in range(5):
        login(account, "wrong")
    with account.transaction() as uow, pytest.raises(InvalidPassword):
        credentials.set_keypad_password(uow, A, "12ab56")
    with account.transaction() as uow, pytest.raises(InvalidPassword):
        credentials.set_keypad_password(uow, A, "123")
    with account.transaction() as uow:
        credentials.set_keypad_password(uow, A, "24681357")
    assert login(account, "24681357").token


def test_r06_permanent_password_replaces_one_time_and_is_replaced_by_a_new_one(account):
    code = issue(account)
    with account.transaction() as uow:
        credentials.change_password(uow, A, code, "Perm4nent!", 2.0)
    assert isinstance(login(account, code), WrongPassword)
    assert login(account, "Perm4nent!", now=10**9).token  # permanent: no expiry
    fresh = issue(account)
    assert isinstance(login(account, "Perm4nent!"), WrongPassword)
    assert login(account, fresh).token


def test_r06_new_password_rules(account):
    code = issue(account)
    for bad in ("short", "with space 1", "пароль123", "x" * 33):
        with account.transaction() as uow, pytest.raises(InvalidPassword):
            credentials.change_password(uow, A, code, bad, 2.0)


def test_r07_login_result_asks_for_a_notification_when_switched_on(account):
    code = issue(account)
    assert login(account, code).notify is False
    with account.transaction() as uow:
        credentials.set_login_notifications(uow, A, True)
    assert login(account, code).notify is True


def test_r09_a_new_code_replaces_the_earlier_one(account):
    first = issue(account)
    second = issue(account)
    assert first != second
    assert isinstance(login(account, first), WrongPassword)
    assert login(account, second).token


def test_tokens_authenticate_their_number(account):
    token = login(account, issue(account)).token
    with account.transaction() as uow:
        assert credentials.authenticate(uow, token) == A


def test_unknown_and_corporate_logins(account):
    with account.transaction() as uow, pytest.raises(UnknownSubscriber):
        credentials.login(uow, "9990000000", "x", 0.0)
    with account.transaction() as uow, pytest.raises(NotRegistered):
        credentials.login(uow, "CP_9261234567", "x", 0.0)  # R31: no SMS to 000511 yet
