"""Security over real sockets against `gateway run`: brute force on logins and one-time
passwords in parallel (R05, R32), the per-address rate limit, the admin token."""

from __future__ import annotations

import re
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.gatewayproc import GatewayProcess, password_in

A = "79261234567"
CORPORATE = ("79261110001", "79261110002")


def start(tmp_path, config: str = "", *extra: str) -> GatewayProcess:
    args = list(extra)
    if config:
        path = tmp_path / "gateway.yaml"
        path.write_text(config, encoding="utf-8")
        args += ["--config", str(path)]
    process = GatewayProcess(tmp_path, *args)
    process.start()
    return process


@pytest.fixture(params=["sqlite", "postgresql"])
def gateway(request, tmp_path):
    extra = ("--db", request.getfixturevalue("pg_url")) if request.param == "postgresql" else ()
    process = start(tmp_path, "", *extra)
    yield process
    process.stop()


def parallel(calls, workers: int = 16) -> list:
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda call: call(), calls))


def outcome(answer) -> str:
    status, body = answer
    return f"{status} {body['error'] if body and 'error' in body else ''}".strip()


def test_r05_many_parallel_wrong_passwords_never_get_more_than_five_tries(gateway):
    numbers = [A] + [f"7926555{n:04d}" for n in range(9)]
    for msisdn in numbers[1:]:
        assert gateway.post("/api/v1/subscribers", {"msisdn": msisdn, "balance": "10.00"})[0] == 201
    passwords = {}
    for msisdn in numbers:
        gateway.ussd(msisdn, "*105*00#")
        passwords[msisdn] = password_in(gateway.inbox(msisdn)[-1]["text"])
    # 30 wrong guesses per login, all ten logins at once: 300 requests on 16 connections.
    calls = [(lambda m=msisdn, n=n: (m, gateway.login(m[1:], f"guess-{n:04d}")))
             for n in range(30) for msisdn in numbers]
    answers = parallel(calls)
    for msisdn in numbers:
        seen = Counter(outcome(answer) for m, answer in answers if m == msisdn)
        assert set(seen) <= {"401 wrong_password", "423 locked"}, seen
        assert seen["401 wrong_password"] == 4 and seen["423 locked"] == 26, (msisdn, seen)
        status, body = gateway.login(msisdn[1:], passwords[msisdn])  # locked: the right password too
        assert (status, body["error"]) == (423, "locked")
        assert gateway.get(f"/api/v1/subscribers/{msisdn}")[1]["locked"] is True
    attempts_left = sorted(answer[1]["attempts_left"] for m, answer in answers
                           if m == A and answer[0] == 401)
    assert attempts_left == [1, 2, 3, 4]  # each wrong try counted exactly once
    # A new one-time password is the only way back in (R05).
    gateway.ussd(A, "*105*00#")
    assert gateway.login(A[1:], password_in(gateway.inbox(A)[-1]["text"]))[0] == 200
    assert "Traceback" not in gateway.log()


def test_r05_guessing_a_one_time_password_in_parallel_cannot_reach_it(gateway):
    gateway.ussd(A, "*105*00#")
    code = password_in(gateway.inbox(A)[-1]["text"])
    guesses = [f"{n:06d}" for n in range(200) if f"{n:06d}" != code]
    answers = parallel([lambda g=g: gateway.login(A[1:], g) for g in guesses])
    assert all(status != 200 for status, _ in answers)
    assert Counter(status for status, _ in answers) == {401: 4, 423: len(guesses) - 4}
    assert gateway.login(A[1:], code)[0] == 423  # the right code too, once locked
    assert code not in gateway.log()


def corporate(gateway) -> str:
    for msisdn in CORPORATE:
        assert gateway.post("/api/v1/subscribers", {"msisdn": msisdn, "balance": "500.00"})[0] == 201
    client = {"name": "Romashka LLC", "kind": "company", "regions": ["Moscow"], "members": list(CORPORATE),
              "contacts": [CORPORATE[0]]}
    assert gateway.post("/api/v1/corporate/clients", client)[0] == 201
    assert gateway.post(f"/api/v1/handsets/{CORPORATE[0]}/sms", {"to": "000511", "text": "регистрация"})[0] == 202
    return re.search(r"пароль: (\S+)\.$", gateway.inbox(CORPORATE[0])[-1]["text"]).group(1)


def test_r32_parallel_wrong_corporate_passwords_meet_the_captcha_after_two(gateway):
    password = corporate(gateway)
    login = "CP_" + CORPORATE[0][1:]
    answers = parallel([lambda n=n: gateway.login(login, f"wrong-{n}") for n in range(60)])
    seen = Counter(outcome(answer) for answer in answers)
    assert set(seen) <= {"401 wrong_password", "428 captcha_required"}, seen
    assert seen["401 wrong_password"] <= 2 and seen["428 captcha_required"] >= 58, seen
    status, body = gateway.login(login, password)
    assert (status, body["error"]) == (428, "captcha_required")  # the right password alone no longer does
    assert password not in gateway.log()


def test_the_http_api_refuses_an_address_over_its_rate_with_429_and_retry_after(tmp_path):
    # One token per 100 s: after the burst of three, every request is over the rate.
    gateway = start(tmp_path, "http: {rate_limit: 0.01, rate_burst: 3}\n")
    try:
        answers = [gateway.request("GET", f"/api/v1/subscribers/{A}") for _ in range(6)]
        assert [status for status, _ in answers] == [200, 200, 200, 429, 429, 429]
        assert answers[3][1]["error"] == "rate_limited"
        try:
            urllib.request.urlopen(gateway.base + "/api/v1/clock", timeout=10)
            raise AssertionError("not limited")
        except urllib.error.HTTPError as error:
            assert error.code == 429 and 1 <= int(error.headers["Retry-After"]) <= 100
        assert gateway.get("/healthz") == (200, {"status": "ok"})  # probes are never limited
        assert "Traceback" not in gateway.log()
    finally:
        gateway.stop()


def test_the_default_rate_limit_does_not_disturb_a_busy_client(gateway):
    answers = parallel([lambda: gateway.get(f"/api/v1/subscribers/{A}") for _ in range(300)])
    assert all(status == 200 for status, _ in answers)


def test_operator_endpoints_need_the_admin_token_when_one_is_configured(tmp_path):
    gateway = start(tmp_path, "admin_token: op-s3cret-token\n", "--test-clock")
    try:
        calls = [
            ("POST", "/api/v1/clock/advance", {"seconds": 1}),
            ("PUT", "/api/v1/simulation/sms", {"destination": "*", "delay": 1}),
            ("DELETE", "/api/v1/simulation/sms/*", None),
            ("POST", "/api/v1/corporate/clients", {"name": "X LLC", "kind": "company", "regions": ["Moscow"],
                                                   "members": [A], "contacts": [A]}),
            ("GET", "/api/v1/status", None),
        ]
        for method, path, body in calls:
            for token in (None, "wrong-token", "op-s3cret-tokenX"):
                status, answer = gateway.request(method, path, body, token=token)
                assert (status, answer["error"]) == (401, "admin_required"), (method, path, token)
        expected = [200, 200, 204, 201, 200]
        for (method, path, body), status in zip(calls, expected, strict=True):
            assert gateway.request(method, path, body, token="op-s3cret-token")[0] == status, (method, path)
        # Handsets need no admin token.
        assert gateway.ussd(A, "*100#")["text"]
        assert gateway.get("/api/v1/simulation/sms")[0] == 200
        assert "op-s3cret-token" not in gateway.log()
    finally:
        gateway.stop()
