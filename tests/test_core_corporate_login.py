"""The corporate login, its captcha and password reset, on SQLite and PostgreSQL (R31, R32)."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from core import credentials
from core.access import Actor
from core.corporate import captcha, login, recovery
from core.errors import (
    CaptchaRequired,
    CorporateWrongPassword,
    InvalidNumber,
    InvalidPassword,
    NotAllowed,
    NotAuthenticated,
    OfficeResetOnly,
    WrongPassword,
    WrongSecretAnswer,
)
from tests.corporatekit import DAY, LOGIN_A, NOW, A, B, admin, attempt, make_client, register, solve

EXTERNAL = "79031234567"  # a contact on another operator's network


@pytest.fixture
def registered(store):
    make_client(store, contacts=(A, B, EXTERNAL))
    return store, register(store, A).password


def failures(store) -> int:
    with store.engine.connect() as connection:
        return connection.execute(text("SELECT failures FROM corporate_logins")).scalar_one()


def reset(store, answer: str, name: str = LOGIN_A) -> recovery.PasswordReset:
    with store.transaction() as uow:
        return recovery.reset_password(uow, name, answer, NOW, sender="000511",
                                       compose=lambda locale, password: f"[{locale}] CP password: {password}")


def test_r31_login_is_cp_and_the_ten_digit_number():
    assert login.parse_login("CP_9261110001") == login.parse_login(" cp_9261110001 ") == A
    for bad in ("CP_926111000", "CP_79261110001", "CP_92611100a1", "CP_", "9261110001", "CP-9261110001",
                "CP_９２６１１１０００１"):
        with pytest.raises(InvalidNumber):
            login.parse_login(bad)


def test_r31_credentials_login_opens_the_corporate_account(registered):
    store, password = registered
    with store.transaction() as uow:
        result = credentials.login(uow, LOGIN_A, password, NOW)
    assert isinstance(result, login.CorporateLoginResult) and isinstance(result, credentials.LoginResult)
    assert (result.msisdn, result.login, result.notify) == (A, LOGIN_A, False)
    with store.transaction() as uow:
        assert login.authenticate(uow, result.token).login == LOGIN_A
        with pytest.raises(NotAuthenticated):  # not a personal-account session
            credentials.authenticate(uow, result.token)
        with pytest.raises(NotAuthenticated):
            login.authenticate(uow, "forged")


def test_r31_only_the_permanent_corporate_password_is_accepted(registered):
    store, password = registered
    with store.transaction() as uow:
        one_time = credentials.issue_one_time_password(uow, A, NOW)
    assert isinstance(attempt(store, one_time), CorporateWrongPassword)
    with store.transaction() as uow, pytest.raises(WrongPassword):  # nor the other way round
        credentials.login(uow, "9261110001", password, NOW)
    assert attempt(store, password, now=NOW + 400 * DAY).token  # permanent: it never expires


def test_r31_the_admin_changes_the_password_to_another_permanent_one(registered):
    store, password = registered
    boss = admin(store, password)
    with store.transaction() as uow, pytest.raises(InvalidPassword):
        login.change_password(uow, boss, password, "short", NOW)
    with store.transaction() as uow, pytest.raises(WrongPassword):
        login.change_password(uow, boss, "not-the-password", "N3wPassword!", NOW)
    with store.transaction() as uow, pytest.raises(NotAllowed):
        login.change_password(uow, Actor(A), password, "N3wPassword!", NOW)
    with store.transaction() as uow:
        login.change_password(uow, boss, password, "N3wPassword!", NOW)
    assert isinstance(attempt(store, password), CorporateWrongPassword)
    assert attempt(store, "N3wPassword!").token


def test_r32_two_wrong_passwords_require_a_captcha(registered):
    store, password = registered
    first = attempt(store, "wrong")
    assert isinstance(first, CorporateWrongPassword) and first.attempts_left == 1
    second = attempt(store, "wrong")
    assert isinstance(second, CaptchaRequired) and second.code == "captcha_required"
    assert not second.wrong_answer and second.captcha_id and " + " in second.prompt
    unsolved = attempt(store, password, seed=2)  # the right password is not even looked at
    assert isinstance(unsolved, CaptchaRequired) and failures(store) == 2
    solved = attempt(store, password, seed=3, captcha_id=unsolved.captcha_id, captcha_answer=solve(unsolved.prompt))
    assert solved.token and failures(store) == 0
    assert isinstance(attempt(store, "wrong"), CorporateWrongPassword)  # counting starts again


def test_r32_a_solved_captcha_with_a_wrong_password_asks_for_a_new_captcha(registered):
    store, password = registered
    attempt(store, "wrong")
    challenge = attempt(store, "wrong")
    again = attempt(store, "wrong", seed=2, captcha_id=challenge.captcha_id, captcha_answer=solve(challenge.prompt))
    assert isinstance(again, CaptchaRequired) and not again.wrong_answer and failures(store) == 3
    assert attempt(store, password, seed=4, captcha_id=again.captcha_id,
                   captcha_answer=f"  {solve(again.prompt)} ").token


def test_r32_a_wrong_captcha_is_refused_and_not_retried(registered):
    store, password = registered
    attempt(store, "wrong")
    challenge = attempt(store, "wrong")
    wrong = str(int(solve(challenge.prompt)) + 1)
    refused = attempt(store, password, seed=2, captcha_id=challenge.captcha_id, captcha_answer=wrong)
    assert isinstance(refused, CaptchaRequired) and refused.wrong_answer
    assert refused.captcha_id != challenge.captcha_id and failures(store) == 2
    stale = attempt(store, password, seed=3, captcha_id=challenge.captcha_id, captcha_answer=solve(challenge.prompt))
    assert isinstance(stale, CaptchaRequired) and stale.wrong_answer  # a replaced challenge is dead


def test_r32_a_captcha_expires(registered):
    store, password = registered
    attempt(store, "wrong")
    challenge = attempt(store, "wrong")
    late = attempt(store, password, now=NOW + login.CAPTCHA_TTL + 1, captcha_id=challenge.captcha_id,
                   captcha_answer=solve(challenge.prompt))
    assert isinstance(late, CaptchaRequired)


def test_r32_captcha_comes_from_its_seed_and_its_answer_is_stored_hashed(registered):
    store, _ = registered
    assert captcha.generate(random.Random(9)) == captcha.generate(random.Random(9))
    attempt(store, "wrong")
    challenge = attempt(store, "wrong", seed=9)
    expected, answer = captcha.generate(random.Random(9))
    assert (challenge.captcha_id, challenge.prompt) == (expected.id, expected.prompt)
    assert answer == solve(challenge.prompt) and answer not in challenge.message
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT captcha_hash FROM corporate_logins")).scalar_one()
    assert stored.startswith("scrypt$") and answer not in stored


def test_r32_the_secret_answer_resets_the_password_and_sends_it_to_the_contacts(registered):
    store, old = registered
    attempt(store, "wrong")
    attempt(store, "wrong")
    with store.transaction() as uow:
        assert recovery.secret_question(uow, LOGIN_A) == "First pet?"
    done = reset(store, "  sHaRiK ")
    assert done.contacts == (EXTERNAL, A, B) and done.password not in repr(done)
    assert [(m.msisdn, m.peer) for m in done.sent] == [(A, "000511"), (B, "000511")]
    with store.transaction() as uow:
        assert [m.text for m in uow.messages.inbox(B, None)] == [f"[ru] CP password: {done.password}"]
    assert failures(store) == 0  # the captcha is no longer asked for
    assert isinstance(attempt(store, old), CorporateWrongPassword)
    assert attempt(store, done.password).token


def test_r32_a_wrong_secret_answer_changes_nothing(registered):
    store, password = registered
    for answer in ("Barsik", "", "Sharik!"):
        with pytest.raises(WrongSecretAnswer):
            reset(store, answer)
    with store.transaction() as uow:
        assert uow.messages.inbox(A, None) == [] and uow.messages.inbox(B, None) == []
    assert attempt(store, password).token


def test_r32_without_a_secret_question_only_an_office_can_reset(store):
    make_client(store, secret=False)
    password = register(store, A).password
    with store.transaction() as uow, pytest.raises(OfficeResetOnly, match="office"):
        recovery.secret_question(uow, LOGIN_A)
    with pytest.raises(OfficeResetOnly, match="office"):
        reset(store, "anything")
    assert attempt(store, password).token


def test_r32_the_admin_sets_a_secret_question_and_its_answer_is_stored_hashed(store):
    make_client(store, secret=False)
    password = register(store, A).password
    boss = admin(store, password)
    with store.transaction() as uow, pytest.raises(NotAllowed):
        recovery.set_secret_question(uow, Actor(A), "Q?", "a")
    with store.transaction() as uow:
        recovery.set_secret_question(uow, boss, "Mother's maiden name?", "Ivanova")
    with store.engine.connect() as connection:
        stored = connection.execute(text("SELECT secret_answer_hash FROM corporate_clients")).scalar_one()
    assert stored.startswith("scrypt$") and "ivanova" not in stored.lower()
    assert reset(store, "IVANOVA").sent[0].msisdn == A


def test_r32_no_corporate_secret_is_stored_in_clear(registered):
    store, password = registered
    attempt(store, "wrong")
    challenge = attempt(store, "wrong")
    new_password = reset(store, "Sharik").password
    secrets = {password, new_password, solve(challenge.prompt), "Sharik", "sharik"}
    with store.engine.connect() as connection:
        tables = [t for t in store.engine.dialect.get_table_names(connection) if t != "messages"]
        stored = " ".join(str(value) for table in tables
                          for row in connection.execute(text(f"SELECT * FROM {table}")) for value in row)
    assert not {s for s in secrets if s in stored}
