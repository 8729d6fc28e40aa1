"""`gateway scenario run` as users meet it: the real CLI in a subprocess, its output and exit codes."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from gateway.scenario.format import ScenarioError, parse_scenario
from tests.gatewayproc import ROOT, GatewayProcess

MENU = "Сервис-Гид\n1 Баланс и расходы\n2 Услуги\n3 Тариф\n4 Пакеты\n5 Платежи\n99 Далее"


def scenario_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gateway.cli", "scenario", "run", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=120)


def write(tmp_path: Path, text: str, name: str = "case.yaml") -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_failed_expectation_prints_a_diff_and_exits_1(tmp_path):
    path = write(tmp_path, """\
name: a wrong menu
steps:
  - dial: "*105#"
  - expect: "Сервис-Гид\\n1 Баланс\\n2 Услуги"
  - reply: "1"
""")
    done = scenario_cli(path)
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == f"ok   {path}:3: dial '*105#'"
    assert lines[2].startswith(f"FAIL {path}:4: expect ") and lines[2].endswith("the USSD screen differs")
    diff = "\n".join(lines[3:])
    assert "--- expected\n+++ actual" in diff
    assert " Сервис-Гид\n-1 Баланс\n+1 Баланс и расходы\n 2 Услуги\n+3 Тариф" in diff
    assert "reply" not in done.stdout  # the run stops at the first failed expectation


def test_the_first_failing_file_stops_the_run(tmp_path):
    failing = write(tmp_path, '- sms: {to: "000100", text: "баланс"}\n'
                              '- expect_sms: {from: "000100", regex: "^Баланс: 1\\\\.00"}\n', "a.yaml")
    passing = write(tmp_path, '- dial: "*105#"\n- expect: {contains: "Сервис-Гид"}\n', "b.yaml")
    done = scenario_cli(failing, passing)
    assert done.returncode == 1
    assert "does not match /^Баланс: 1\\.00/\nactual:\n  Баланс: 300.00 руб." in done.stdout
    assert "b.yaml" not in done.stdout


def test_an_sms_that_never_comes_fails_with_what_came_instead(tmp_path):
    path = write(tmp_path, '- sms: {to: "000100", text: "баланс"}\n'
                           '- expect_sms: {from: "000110", contains: "пароль", within: 0.2}\n')
    done = scenario_cli(path)
    assert done.returncode == 1
    assert "no SMS from 000110 arrived within 0.2 s" in done.stdout
    assert "from 000100: 'Баланс: 300.00 руб.'" in done.stdout


def test_sms_from_other_senders_wait_for_their_own_expectation(tmp_path):
    path = write(tmp_path, """\
- sms: {to: "000100", text: "баланс"}
- sms: {to: "000110", text: "00"}
- expect_sms: {from: "000110", regex: "кабинет"}
- expect_sms: {from: "000100", text: "Баланс: 300.00 руб."}
- expect_sms: {text: "x", within: 0}
""")
    done = scenario_cli(path)
    assert done.returncode == 1
    assert f"ok   {path}:3: expect_sms from='000110' regex='кабинет' → SMS 4 from 000110" in done.stdout
    assert f"ok   {path}:4: expect_sms from='000100' text='Баланс: 300.00 руб.' → SMS 2 from 000100" in done.stdout
    assert f"FAIL {path}:5: expect_sms within=0.0 text='x': no SMS arrived within 0 s" in done.stdout


def test_invalid_files_list_every_problem_with_file_and_line_and_exit_2(tmp_path):
    path = write(tmp_path, """\
name: broken
steps:
  - dial: "*105#"
  - reply: 00
  - expect: {regex: "(unclosed"}
  - fly: away
  - sms: {to: "000110"}
  - advance: -5
  - expect: {text: "a", contains: "b"}
""")
    done = scenario_cli(path)
    assert done.returncode == 2
    assert done.stdout.splitlines() == [
        f'{path}:4: reply: quote it (reply: "0"): YAML reads bare digits as a number and loses leading zeros',
        f"{path}:5: expect.regex: missing ), unterminated subpattern at position 0",
        f"{path}:6: unknown step 'fly'; steps are: dial, reply, expect, push, release, sms, expect_sms, call, "
        "press, expect_prompt, hangup, roaming, switched_on, advance, subscriber, handset, expect_account, login, "
        "corporate_client",
        f"{path}:7: sms: missing key 'text'",
        f"{path}:8: advance must be a number of seconds ≥ 0",
        f"{path}:9: expect: give exactly one of text, regex, contains",
    ]


@pytest.mark.parametrize(("text", "line", "message"), [
    ("- dial: *105#\n", 1, "YAML: "),
    ("steps: [{dial: '*105#'}]\nhandset: 79261234567\n", 2, "handset must be a quoted number"),
    ("name: x\n", 1, "missing key 'steps'"),
    ("- dial: '*105#'\n  reply: '1'\n", 1, "a step is a mapping with one key"),
    ("[]\n", 1, "the scenario has no steps"),
    ("- login: {password: x, attempts_left: many}\n", 1, "login.attempts_left is a whole number"),
    ("- subscriber: {msisdn: '79260000001', colour: red}\n", 1, "subscriber: unknown key 'colour'"),
])
def test_format_problems_name_their_line(text, line, message):
    with pytest.raises(ScenarioError) as raised:
        parse_scenario(text, "f.yaml")
    assert raised.value.problems[0].startswith(f"f.yaml:{line}: ")
    assert message in raised.value.problems[0]


def test_unknown_file_and_unknown_variable(tmp_path):
    done = scenario_cli(str(tmp_path / "nowhere.yaml"))
    assert done.returncode == 2 and "nowhere.yaml:0: cannot read" in done.stdout
    path = write(tmp_path, '- dial: "*105#"\n- reply: "${key}"\n')
    done = scenario_cli(path)
    assert done.returncode == 1 and "unknown variable ${key}" in done.stdout
    assert scenario_cli(path, "--var", "key=1").returncode == 0


def test_variables_captured_by_regex_and_secret_replies(tmp_path):
    path = write(tmp_path, """\
handset: "79267654321"
steps:
  - subscriber: {msisdn: "79260000001", balance: "10.00", locale: "en"}
  - handset: "79260000001"
  - dial: "*105*00#"
  - expect_sms: {from: "000110", regex: "password: (?P<secret>[A-Za-z0-9]+)\\\\."}
  - login: {login: "9260000001", password: "${secret}"}
  - dial: "*105#"
  - reply: {secret: key}
  - expect: {regex: "^Balance", end: false}
  - expect_account: {balance: "10.00", locked: false, options: []}
""")
    done = scenario_cli(path, "--var", "key=1")
    assert done.returncode == 0, done.stdout
    assert "reply secret='key'" in done.stdout  # the name of the variable, never its value


def test_url_runs_against_a_running_gateway(tmp_path):
    gateway = GatewayProcess(tmp_path)
    gateway.start()
    try:
        gateway.post("/api/v1/handsets/79261234567/sms", {"to": "000110", "text": "00"})  # an older SMS
        path = write(tmp_path, """\
- sms: {to: "000105", text: "00"}
- expect_sms: {regex: "кабинет: (?P<password>\\\\w+)"}
- login: {password: "${password}"}
- advance: 31
""")
        done = scenario_cli(path, "--url", gateway.base)
        assert done.returncode == 1, done.stdout
        # Only the SMS newer than the start of the run count: the first new one is 000105's.
        assert "SMS 4 from 000105" in done.stdout
        assert "advance needs a gateway started with --test-clock" in done.stdout
    finally:
        gateway.stop()
    done = scenario_cli(path, "--url", gateway.base)
    assert done.returncode == 2 and f"gateway: no gateway at {gateway.base}" in done.stdout


def test_a_dialogue_record_exported_as_a_scenario_replays(tmp_path):
    gateway = GatewayProcess(tmp_path)
    gateway.start()
    try:
        first = gateway.ussd("79261234567", "*105#")
        gateway.ussd("79261234567", "5")
        gateway.ussd("79261234567", "9")
        gateway.request("DELETE", "/api/v1/handsets/79261234567/ussd")
        url = f"{gateway.base}/api/v1/dialogues/{first['session_id']}/scenario"
        with urllib.request.urlopen(url, timeout=10) as response:
            exported = response.read().decode("utf-8")
    finally:
        gateway.stop()
    path = write(tmp_path, exported)
    done = scenario_cli(path)
    assert done.returncode == 0, exported + done.stdout
    assert [line.split(": ", 1)[1].split()[0] for line in done.stdout.splitlines() if line.startswith("ok")] == [
        "dial", "expect", "reply", "expect", "reply", "expect", "release"]
    assert f"expect {MENU[:40]!r}"[:-1] in done.stdout

