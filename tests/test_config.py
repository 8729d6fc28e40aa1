"""The config file's schema: types, ranges, FILE:LINE problems, environment overrides,
`gateway config check/show`, the example file and docs/config.md kept in step."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from gateway.cli import main as cli
from gateway.config import Config, ConfigError, load_config
from gateway.configcheck import check, document
from gateway.configschema import ACCOUNT_KEYS, BEHAVIOUR_KEYS, COMPOSITE, SCALARS
from gateway.sms.events import Role
from gateway.sms.simulation import Behaviour

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "gateway.example.yaml"


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "gateway.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_example_file_loads_and_equals_the_defaults():
    assert check(str(EXAMPLE)) == []
    assert load_config(str(EXAMPLE), environ={}) == Config()
    # ... and holds every key, each with its default value, in the file's own shape.
    assert yaml.safe_load(EXAMPLE.read_text(encoding="utf-8")) == document(Config(), masked=False)


def test_docs_config_md_describes_every_key_and_its_environment_variable():
    text = (ROOT / "docs" / "config.md").read_text(encoding="utf-8")
    for key in SCALARS:
        assert f"`{key.path}`" in text, key.path
        assert key.env in text, key.env
    for path in COMPOSITE:
        assert f"`{path}`" in text, path
    for name in ACCOUNT_KEYS + BEHAVIOUR_KEYS:
        assert f"`{name}`" in text, name


def test_every_problem_of_a_file_is_reported_at_once_with_its_line(tmp_path):
    path = write(tmp_path, (
        "http_port: 99999\n"                       # 1
        "colour: blue\n"                           # 2
        "ussd:\n"                                  # 3
        "  screen_timeout: -1\n"                   # 4
        "  routes: {\"12a\": http://x}\n"          # 5
        "voice: {max_digits: 2.5}\n"               # 6
        "smpp:\n"                                  # 7
        "  accounts:\n"                            # 8
        "    - {system_id: a, password: p, role: mobile}\n"            # 9
        "    - {system_id: a, password: p, role: mobile}\n"            # 10
        "    - {system_id: b, password: waytoolong, role: root}\n"     # 11
        "simulation:\n"                            # 12
        "  sms:\n"                                 # 13
        "    '*': {failure_rate: 3}\n"             # 14
        "log_format: xml\n"                        # 15
        "test_clock: 1\n"                          # 16
    ))
    problems = check(path)
    assert [p.split(": ", 1)[0] for p in problems] == [
        f"{path}:{line}" for line in (1, 2, 4, 5, 6, 10, 11, 11, 14, 15, 16)], problems
    joined = "\n".join(problems)
    for words in ("http_port: a whole number from 0 to 65535", "unknown key 'colour'", "ussd.screen_timeout",
                  "ussd.routes: '12a' is not a service code", "voice.max_digits", "system_id 'a' given twice",
                  "smpp.accounts[2].password: a string of 1 to 8 characters",
                  "smpp.accounts[2].role: one of mobile, application", "simulation.sms.*",
                  "log_format: one of console, json", "test_clock: true or false"):
        assert words in joined
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={})
    assert raised.value.problems == problems


def test_yaml_syntax_errors_and_a_non_mapping_name_their_line(tmp_path):
    assert check(write(tmp_path, "host: 127.0.0.1\nhttp_port: [1,\n")) [0].startswith(
        str(tmp_path / "gateway.yaml") + ":3: YAML:")
    assert check(write(tmp_path, "- a\n- b\n")) == [f"{tmp_path / 'gateway.yaml'}:1: the config must be a mapping of keys"]
    assert check(write(tmp_path, "host: a\nhost: b\n"))[0].endswith(":2: YAML: duplicate key 'host'")
    assert check(str(tmp_path / "missing.yaml"))[0].startswith(f"{tmp_path / 'missing.yaml'}:0: cannot read")
    assert check(write(tmp_path, "")) == []


def test_every_existing_key_keeps_working(tmp_path):
    path = write(tmp_path, (
        "host: 0.0.0.0\nhttp_port: 0\nsmpp_port: 2776\nsip_port: 5070\ndata_dir: /tmp/x\n"
        "db: postgresql+psycopg://u:pw@127.0.0.1/test\nredis: redis://127.0.0.1:6379/0\n"
        "menus: m.yaml\ncatalogue: c.yaml\nscheduler_interval: 5\notp_ttl: 600\nlog_level: debug\n"
        "log_format: json\ndemo_subscribers: false\ntest_clock: true\n"
        "ussd: {screen_timeout: 20, dialogue_limit: 100, app_timeout: 3, network_code: 25099,"
        " routes: {'*444#': 'http://127.0.0.1:9/ussd'}}\n"
        "voice: {first_digit_timeout: 4, inter_digit_timeout: 2.5, max_digits: 12, max_failures: 2, max_timeouts: 1}\n"
        "smpp:\n  accounts:\n"
        "    - {system_id: app, password: p, role: application, owns: [7000, '*123#'], throughput: 50,"
        " window: 3, max_binds: 2}\n"
        "simulation: {sms: {'+79261112233': {delay: 5}, '*': {failure_rate: 0.5, error_code: 34}}}\n"
    ))
    config = load_config(path, environ={})
    assert (config.host, config.http_port, config.smpp_port, config.sip_port, config.data_dir) == (
        "0.0.0.0", 0, 2776, 5070, "/tmp/x")
    assert config.db_url == "postgresql+psycopg://u:pw@127.0.0.1/test" and config.redis.startswith("redis://")
    assert (config.menus, config.catalogue, config.scheduler_interval, config.otp_ttl) == ("m.yaml", "c.yaml", 5, 600)
    assert (config.log_level, config.log_format, config.demo_subscribers, config.test_clock) == (
        "DEBUG", "json", False, True)
    assert (config.ussd_screen_timeout, config.ussd_dialogue_limit, config.ussd_app_timeout,
            config.ussd_network_code, config.ussd_routes) == (20, 100, 3, "25099", (("444", "http://127.0.0.1:9/ussd"),))
    assert (config.voice_max_digits, config.voice_inter_digit_timeout) == (12, 2.5)
    [app] = config.accounts
    assert (app.role, app.owns, app.throughput, app.window, app.max_binds) == (
        Role.APPLICATION, ("7000", "123"), 50.0, 3, 2)
    assert config.sms_simulation == {"79261112233": Behaviour(delay=5), "*": Behaviour(failure_rate=0.5, error_code=34)}


def test_environment_overrides_the_file_and_the_command_line_overrides_both(tmp_path, capsys):
    path = write(tmp_path, "http_port: 8081\nlog_format: json\nussd: {screen_timeout: 20}\nhttp: {rate_limit: 50}\n")
    env = {"GATEWAY_HTTP_PORT": "8082", "GATEWAY_USSD_SCREEN_TIMEOUT": "25", "GATEWAY_DB": "sqlite:///x.db",
           "GATEWAY_HTTP_RATE_LIMIT": "0", "GATEWAY_ADMIN_TOKEN": "s3cret-token", "GATEWAY_TEST_CLOCK": "true",
           "UNRELATED": "1"}
    config = load_config(path, environ=env)
    assert (config.http_port, config.log_format, config.ussd_screen_timeout, config.db, config.http_rate_limit,
            config.admin_token, config.test_clock) == (8082, "json", 25.0, "sqlite:///x.db", 0.0, "s3cret-token", True)
    with pytest.raises(ConfigError) as raised:
        load_config(path, environ={"GATEWAY_HTTP_PORT": "eighty", "GATEWAY_LOG_FORMAT": "xml"})
    assert raised.value.problems == ["GATEWAY_HTTP_PORT: http_port: a whole number from 0 to 65535",
                                     "GATEWAY_LOG_FORMAT: log_format: one of console, json"]
    assert load_config(None, environ={"GATEWAY_DB": ""}).db is None  # empty: not set


def test_config_check_and_show_commands(tmp_path, capsys, monkeypatch):
    good = write(tmp_path, "smpp:\n  accounts:\n    - {system_id: esme, password: hush1234, role: mobile}\n"
                           "db: postgresql+psycopg://user:dbsecret@127.0.0.1/test\nadmin_token: admin-secret\n")
    assert cli(["config", "check", good]) == 0
    assert capsys.readouterr().out == f"{good}: ok\n"
    monkeypatch.delenv("GATEWAY_HTTP_PORT", raising=False)
    assert cli(["config", "show", "--config", good]) == 0
    shown = capsys.readouterr().out
    for secret in ("hush1234", "dbsecret", "admin-secret"):
        assert secret not in shown
    parsed = yaml.safe_load(shown)
    assert parsed["smpp"]["accounts"] == [{"system_id": "esme", "password": "***", "role": "mobile", "owns": [],
                                           "throughput": None, "window": 10, "max_binds": None}]
    assert parsed["db"] == "postgresql+psycopg://user:***@127.0.0.1/test" and parsed["admin_token"] == "***"
    assert parsed["http_port"] == 8080 and parsed["ussd"]["screen_timeout"] == 30.0
    bad = tmp_path / "bad.yaml"
    bad.write_text("http_port: -1\nsmpp: {accounts: 3}\n", encoding="utf-8")
    assert cli(["config", "check", str(bad)]) == 1
    assert capsys.readouterr().out.splitlines() == [
        f"{bad}:1: http_port: a whole number from 0 to 65535",
        f"{bad}:2: smpp.accounts: a list of accounts ({{system_id, password, role, ...}})"]


def test_a_bad_config_never_starts_the_gateway(tmp_path):
    bad = write(tmp_path, "http_port: 0\nsmpp_port: 0\nsip_port: 0\nussd: {screen_timeout: zero}\n")
    result = subprocess.run([sys.executable, "-m", "gateway.cli", "run", "--config", bad, "--data-dir",
                             str(tmp_path / "var")], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert result.stdout == ""  # no `listening` line: nothing started
    assert f"{bad}:4: ussd.screen_timeout: a number above 0" in result.stderr
    assert "nothing started" in result.stderr
    assert not (tmp_path / "var").exists()


def test_command_line_values_are_checked_like_the_files():
    with pytest.raises(SystemExit):  # argparse: not a number at all
        cli(["run", "--http-port", "eighty"])
    assert cli(["run", "--http-port", "70000", "--data-dir", "/nonexistent/never"]) == 2
