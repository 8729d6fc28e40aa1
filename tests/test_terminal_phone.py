"""`gateway phone MSISDN` through a pseudo-terminal (pexpect) against a real gateway."""

from __future__ import annotations

import os
import subprocess
import sys

import pexpect
import pytest
import yaml

from gateway.phone.commands import Mode, parse
from tests.gatewayproc import ROOT, GatewayProcess

A = "79261234567"
EN = "79267654321"  # the demo subscriber whose locale is English


@pytest.fixture
def gateway(tmp_path):
    process = GatewayProcess(tmp_path)
    process.start()
    yield process
    process.stop()


def phone(gateway, msisdn: str, *extra: str) -> pexpect.spawn:
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONUNBUFFERED": "1"}
    child = pexpect.spawn(sys.executable, ["-m", "gateway.cli", "phone", msisdn, "--url", gateway.base, *extra],
                          cwd=str(ROOT), env=env, encoding="utf-8", timeout=20, dimensions=(50, 220))
    return child


def quit_phone(child: pexpect.spawn, goodbye: str = "До свидания.") -> None:
    child.sendline("quit")
    child.expect_exact(goodbye)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0


def test_r02_walk_to_the_balance_and_the_password_sms_arrives_live(gateway):
    child = phone(gateway, A)
    child.expect_exact("Телефон 79261234567. Наберите *105# или введите help.")
    child.sendline("*105#")
    child.expect_exact("USSD: Сервис-Гид")
    child.expect_exact("99 Далее")
    child.expect_exact("USSD>")
    child.sendline("1")
    child.expect_exact("2 Расходы за месяц")
    child.sendline("1")
    child.expect_exact("USSD: Баланс: 300.00 руб.")
    child.expect_exact("(сеанс завершён)")
    # R02: the password SMS comes from the network, the poller shows it without a command.
    child.sendline("*105*00#")
    child.expect_exact("USSD: Пароль для входа в Личный кабинет отправлен в SMS.")
    child.expect(r"SMS от 000110: Пароль для входа в Личный кабинет: (\w+)\. Никому его не сообщайте\.")
    password = child.match.group(1)
    assert gateway.login(A[1:], password)[0] == 200
    quit_phone(child)


def test_r03_sms_command_and_reply(gateway):
    child = phone(gateway, A)
    child.expect_exact("Наберите *105#")
    child.sendline("sms 000110 00")
    child.expect_exact("SMS на 000110 отправлено.")
    child.expect(r"SMS от 000110: Пароль для входа в Личный кабинет: \w+\.")
    child.sendline("sms 000100 баланс")
    child.expect_exact("SMS от 000100: Баланс: 300.00 руб.")
    child.sendline("inbox")
    child.expect(r"\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] SMS от 000110")
    quit_phone(child)


def test_r04_call_0505_keys_send_tones_and_prompts_show(gateway):
    child = phone(gateway, A)
    child.expect_exact("Наберите *105#")
    child.sendline("call 0505")
    child.expect_exact("Звонок 0505: Вас приветствует Сервис-Гид.")
    child.expect_exact("☎ 0505>")
    child.sendline("3")
    child.expect_exact("Звонок 0505: Баланс и расходы.")
    child.sendline("1")
    child.expect_exact("Звонок 0505: Ваш баланс: 300.00 рубля.")
    child.expect_exact("Звонок завершён.")
    child.sendline("hangup")
    child.expect_exact("Нет звонка.")
    quit_phone(child)


def test_r11_roaming_toggle_and_bad_input_keep_the_phone_working(gateway):
    child = phone(gateway, A)
    child.expect_exact("Наберите *105#")
    child.sendline("roaming on")
    child.expect_exact("Роуминг включён.")
    child.sendline("call 0505")
    child.expect_exact("Ошибка (not_connected):")
    child.sendline("sms")
    child.expect_exact("Формат: sms 000110 00. Справка: help.")
    child.sendline("sms 12345 hi")
    child.expect_exact("Ошибка (unknown_destination):")
    child.sendline("hello")
    child.expect_exact("Непонятная команда «hello». Справка: help.")
    child.sendline("*105#")
    child.expect_exact("USSD>")
    child.sendline("abc")  # letters in a USSD reply: the menu says why and asks again
    child.expect_exact("USSD: Неверный выбор.")
    child.sendline("help")
    child.expect_exact("roaming on|off    роуминг")
    child.sendline("release")
    child.expect_exact("Сеанс USSD завершён.")
    child.sendline("roaming off")
    child.expect_exact("Роуминг выключен.")
    quit_phone(child)
    status, account = gateway.get(f"/api/v1/subscribers/{A}")
    assert account["roaming"] is False


def test_english_subscriber_gets_english_texts(gateway):
    child = phone(gateway, EN)
    child.expect_exact("Handset 79267654321. Dial *105# or type help.")
    child.sendline("power off")
    child.expect_exact("Handset switched off.")
    child.sendline("power on")
    child.expect_exact("Handset switched on.")
    quit_phone(child, "Goodbye.")


def test_unknown_number_and_no_gateway(gateway):
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "phone", "79990000000", "--url", gateway.base],
                          cwd=ROOT, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 1 and "Ошибка (unknown_number): no subscriber 79990000000" in done.stderr
    done = subprocess.run([sys.executable, "-m", "gateway.cli", "phone", A, "--url", "http://127.0.0.1:9"],
                          cwd=ROOT, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert done.returncode == 2 and "Шлюз недоступен: http://127.0.0.1:9" in done.stderr


def test_record_turns_the_session_into_a_scenario_that_replays(gateway, tmp_path):
    record = tmp_path / "session.yaml"
    child = phone(gateway, A, "--record", str(record))
    child.expect_exact("Наберите *105#")
    child.sendline("*105#")
    child.expect_exact("USSD>")
    child.sendline("1")
    child.expect_exact("3 Детализация")
    child.sendline("1")
    child.expect_exact("Баланс: 300.00 руб.")
    child.sendline("sms 000110 00")
    child.expect(r"SMS от 000110: Пароль для входа в Личный кабинет: (\w+)\.")
    password = child.match.group(1)
    child.sendline("call 0505")
    child.expect_exact("☎ 0505>")
    child.sendline("2")
    child.expect_exact("Введите новый пароль")
    child.sendline("246813#")
    child.expect_exact("Пароль сохранён.")
    child.sendline("quit")
    child.expect_exact(f"Сценарий записан в {record}.")
    child.expect(pexpect.EOF)
    text = record.read_text(encoding="utf-8")
    assert password not in text and "246813" not in text  # R08: secrets stay out of the file
    steps = yaml.safe_load(text)["steps"]
    assert [next(iter(step)) for step in steps] == [
        "dial", "expect", "reply", "expect", "reply", "expect", "sms", "expect_sms", "call", "expect_prompt",
        "press", "expect_prompt", "press", "expect_prompt"]
    assert steps[12] == {"press": "${secret1}#"}
    replay = subprocess.run([sys.executable, "-m", "gateway.cli", "scenario", "run", str(record),
                             "--var", "secret1=246813"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert replay.returncode == 0, text + replay.stdout


def test_a_switched_off_handset_is_refused_and_says_so(gateway):
    child = phone(gateway, A)
    child.expect_exact("Наберите *105#")
    child.sendline("power off")
    child.expect_exact("Телефон выключен.")
    for line in ("*105#", "sms 000110 00", "call 0505"):
        child.sendline(line)
        child.expect_exact("Телефон выключен: сначала power on.")  # the gateway's 409 switched_off
    child.expect_exact(f"{A}>")  # no dialogue, no call opened
    assert gateway.inbox(A) == []
    child.sendline("power on")
    child.expect_exact("Телефон включён.")
    child.sendline("*105#")
    child.expect_exact("USSD: Сервис-Гид")
    quit_phone(child)


def test_record_keeps_a_reply_typed_at_a_secret_ussd_screen_out_of_the_file(gateway, tmp_path):
    member = "79261110001"
    assert gateway.post("/api/v1/subscribers", {"msisdn": member, "balance": "500.00"})[0] == 201
    status, body = gateway.post("/api/v1/corporate/clients", {
        "name": "Romashka LLC", "kind": "company", "regions": ["Moscow"], "members": [member],
        "contacts": [member], "secret_question": "First pet?", "secret_answer": "Sharik"})
    assert status == 201, body
    record = tmp_path / "secret.yaml"
    child = phone(gateway, member, "--record", str(record))
    child.expect_exact("Наберите *105#")
    child.sendline("sms 000511 регистрация")  # R30: the CP_ login and its password by SMS
    child.expect(r"SMS от 000511: .*пароль: (\S+)\.")
    corporate = child.match.group(1)
    child.sendline("*105*9*3#")
    child.expect_exact("Ваш ответ:")
    child.expect_exact("USSD>")
    child.sendline("sharik")
    child.expect_exact("Новый пароль отправлен на контактные номера.")
    child.expect_exact("SMS от")
    quit_phone(child)
    text = record.read_text(encoding="utf-8")
    assert "sharik" not in text.lower() and corporate not in text  # R08
    steps = yaml.safe_load(text)["steps"]
    assert {"reply": {"secret": "secret1"}} in steps
    assert "replay with --var for secret1" in text


@pytest.mark.parametrize(("line", "mode", "kind", "arg", "text"), [
    ("*105#", Mode.IDLE, "dial", "*105#", ""),
    ("*105*1*2#", Mode.USSD, "dial", "*105*1*2#", ""),
    ("1", Mode.USSD, "reply", "1", ""),
    ("Как позвонить?", Mode.USSD, "reply", "Как позвонить?", ""),
    ("1", Mode.IDLE, "unknown", "1", ""),
    ("123#", Mode.CALL, "press", "123#", ""),
    ("*105#", Mode.CALL, "press", "*105#", ""),
    ("sms 000110 00", Mode.IDLE, "sms", "000110", "00"),
    ("SMS 5037 подключить black_list", Mode.USSD, "sms", "5037", "подключить black_list"),
    ("sms", Mode.IDLE, "usage", "sms", ""),
    ("call", Mode.IDLE, "usage", "call", ""),
    ("roaming maybe", Mode.IDLE, "usage", "roaming", ""),
    ("roaming ON", Mode.IDLE, "roaming", "on", ""),
    ("  ", Mode.USSD, "nothing", "", ""),
    ("exit", Mode.CALL, "quit", "", ""),
])
def test_typed_lines(line, mode, kind, arg, text):
    command = parse(line, mode)
    assert (command.kind, command.arg, command.text) == (kind, arg, text)
