"""The gateway's configuration: defaults, the YAML file, environment overrides (docs/config.md).

Precedence: command line > environment (`GATEWAY_HTTP_PORT`, ...) > file > defaults.
Every key of the file is typed and range-checked against gateway/configschema.py; all
problems are reported at once as `FILE:LINE: message` (ConfigError.problems).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import yaml

from core.errors import InvalidNumber
from core.numbers import normalise_msisdn
from core.yamlmarks import Located, error_line, load_located
from gateway.configschema import (
    ACCOUNT_KEYS,
    BEHAVIOUR_KEYS,
    SCALARS,
    Invalid,
    integer,
    number,
    sections,
    text,
)
from gateway.sms.events import Account, Role
from gateway.sms.simulation import Behaviour

DEFAULT_ACCOUNTS = (
    Account(system_id="handsets", password="handsets", role=Role.MOBILE),
    Account(system_id="app", password="app", role=Role.APPLICATION, owns=("7000",)),
)


class ConfigError(Exception):
    """A config that cannot be used; `problems` holds one `WHERE: message` line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Config:
    host: str = "127.0.0.1"
    http_port: int = 8080
    smpp_port: int = 2775
    sip_port: int = 5060
    data_dir: str = "./var"
    db: str | None = None  # default: SQLite in data_dir
    redis: str | None = None
    menus: str = "menus.yaml"
    catalogue: str = "catalogue.yaml"
    scheduler_interval: float = 60.0  # seconds between runs of fees, autopay, promised payments
    otp_ttl: float = 24 * 3600.0
    ussd_screen_timeout: float = 30.0
    ussd_dialogue_limit: float = 180.0
    ussd_app_timeout: float = 10.0  # an external application's time to send the next screen
    ussd_network_code: str = "25002"  # `networkCode` sent to Africa's Talking-style apps
    # Voice-menu digit collection (PROTOCOLS.md §7.4; gateway/ivr/session.py).
    voice_first_digit_timeout: float = 10.0
    voice_inter_digit_timeout: float = 5.0
    voice_max_digits: int = 20
    voice_max_failures: int = 3
    voice_max_timeouts: int = 3
    ussd_routes: tuple[tuple[str, str], ...] = ()
    accounts: tuple[Account, ...] = DEFAULT_ACCOUNTS
    sms_simulation: dict = field(default_factory=dict)  # destination (`*` for any) -> Behaviour
    smpp_reassembly_timeout: float = 600.0  # seconds a long message's segments wait for the rest
    smpp_mo_retry: float = 30.0  # first wait before a deliver_sm refused by an application is retried
    smpp_mo_retry_max: float = 600.0  # the doubling waits stop growing here
    log_level: str = "INFO"
    log_format: str = "console"  # or json (gateway/logsetup.py)
    demo_subscribers: bool = True
    test_clock: bool = False  # time moves only by POST /api/v1/clock/advance (docs/api.md)
    admin_token: str | None = None  # operator endpoints need `Authorization: Bearer <it>` when set
    # Per remote address on the HTTP port (gateway/http/ratelimit.py): by default above what one
    # node can serve (README's figures: a bare twisted.web responder ~1,700 requests/s), so the
    # benchmarks are never cut; a shared gateway's config lowers it.
    http_rate_limit: float = 10000.0
    http_rate_burst: float = 20000.0
    http_max_body: int = 64 * 1024

    @property
    def db_url(self) -> str:
        if self.db:
            return self.db
        return "sqlite:///" + os.path.abspath(os.path.join(self.data_dir, "gateway.sqlite3"))


def load_config(path: str | None, environ: Mapping[str, str] | None = None) -> Config:
    """Defaults, then the YAML file (if any), then `GATEWAY_*` variables of `environ`
    (os.environ when None). Raises ConfigError listing every problem."""
    values: dict[str, object] = {}
    problems: list[str] = []
    if path:
        values, problems = read_file(path)
    env_values, env_problems = read_environment(os.environ if environ is None else environ)
    values.update(env_values)
    problems += env_problems
    if problems:
        raise ConfigError(problems)
    return replace(Config(), **values)


def read_file(path: str) -> tuple[dict[str, object], list[str]]:
    """The Config fields a file sets, and its problems as `FILE:LINE: message`."""
    try:
        with open(path, encoding="utf-8") as handle:
            raw = load_located(handle)
    except OSError as error:
        return {}, [f"{path}:0: cannot read: {error.strerror}"]
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error)
        return {}, [f"{path}:{error_line(error)}: YAML: {problem}"]
    reader = _Reader(path)
    if raw is None:
        return {}, []
    if not isinstance(raw, Located):
        return {}, [f"{path}:1: the config must be a mapping of keys"]
    reader.document(raw)
    return reader.values, reader.problems


def read_environment(environ: Mapping[str, str]) -> tuple[dict[str, object], list[str]]:
    """Config fields from `GATEWAY_<KEY>` / `GATEWAY_<SECTION>_<KEY>` variables (scalar keys only)."""
    values: dict[str, object] = {}
    problems: list[str] = []
    for key in SCALARS:
        raw = environ.get(key.env)
        if raw is None:
            continue
        try:
            value = raw if key.textual else yaml.safe_load(raw)
            values[key.attr] = key.parse(value)
        except (Invalid, yaml.YAMLError) as error:
            problems.append(f"{key.env}: {key.path}: {error}")
    return values, problems


class _Reader:
    """Walks one parsed file, collecting Config fields and every problem with its line."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.values: dict[str, object] = {}
        self.problems: list[str] = []
        self._scalars = {key.path: key for key in SCALARS}

    def problem(self, line: int, message: str) -> None:
        self.problems.append(f"{self.path}:{line}: {message}")

    def document(self, raw: Located) -> None:
        known = sections()
        for name, value in raw.items():
            line = raw.line_of(name)
            if name not in known:
                self.problem(line, f"unknown key {name!r} (known: {', '.join(sorted(known))})")
            elif not known[name]:
                self.scalar(str(name), value, line)
            elif value is not None:
                self.section(str(name), value, line, known[name])

    def scalar(self, path: str, value: object, line: int) -> None:
        key = self._scalars[path]
        try:
            self.values[key.attr] = key.parse(value)
        except Invalid as error:
            self.problem(line, f"{path}: {error}")

    def section(self, name: str, value: object, line: int, keys: set[str]) -> None:
        if not isinstance(value, Located):
            self.problem(line, f"{name}: a mapping of {', '.join(sorted(keys))}")
            return
        for key, item in value.items():
            item_line = value.line_of(key)
            path = f"{name}.{key}"
            if key not in keys:
                self.problem(item_line, f"{path}: unknown key (known: {', '.join(sorted(keys))})")
            elif path == "ussd.routes":
                self.routes(item, item_line)
            elif path == "smpp.accounts":
                self.accounts(item, item_line)
            elif path == "simulation.sms":
                self.sms_simulation(item, item_line)
            else:
                self.scalar(path, item, item_line)

    def routes(self, value: object, line: int) -> None:
        """`ussd.routes: {"123": http://host/ussd}`; a code may be written `*123#`."""
        if value is None:
            self.values["ussd_routes"] = ()
            return
        if not isinstance(value, Located):
            self.problem(line, "ussd.routes: a mapping of service code to URL")
            return
        routes = []
        for code, url in value.items():
            where = value.line_of(code)
            code_text = str(code).strip("*#")
            if isinstance(code, bool) or not code_text.isdigit():
                self.problem(where, f"ussd.routes: {code!r} is not a service code (digits, e.g. \"123\")")
                continue
            try:
                routes.append((code_text, text(prefixes=("http://", "https://"))(url)))
            except Invalid as error:
                self.problem(where, f"ussd.routes.{code_text}: {error}")
        self.values["ussd_routes"] = tuple(routes)

    def accounts(self, value: object, line: int) -> None:
        if not isinstance(value, list):
            self.problem(line, "smpp.accounts: a list of accounts ({system_id, password, role, ...})")
            return
        accounts: list[Account] = []
        seen: set[str] = set()
        for index, item in enumerate(value):
            where = f"smpp.accounts[{index}]"
            if not isinstance(item, Located):
                self.problem(line, f"{where}: a mapping with system_id, password, role")
                continue
            account = self.account(item, where)
            if account is None:
                continue
            if account.system_id in seen:
                self.problem(item.line_of("system_id"), f"{where}: system_id {account.system_id!r} given twice")
            seen.add(account.system_id)
            accounts.append(account)
        self.values["accounts"] = tuple(accounts)

    def account(self, item: Located, where: str) -> Account | None:
        before = len(self.problems)
        for key in item:
            if key not in ACCOUNT_KEYS:
                self.problem(item.line_of(key), f"{where}.{key}: unknown key (known: {', '.join(ACCOUNT_KEYS)})")
        fields: dict[str, object] = {}
        # SMPP 3.4 §4.1: system_id is at most 16 octets and password 9, each with its NUL.
        checks = {
            "system_id": text(max_length=15), "password": text(max_length=8),
            "role": text(choices=tuple(role.value for role in Role)),
            "throughput": number(0, 1e6, above=True), "window": integer(1, 1000), "max_binds": integer(1, 1000),
        }
        for key, parse in checks.items():
            if item.get(key) is None:
                if key in ("system_id", "password"):
                    self.problem(item.line, f"{where}: {key} is required")
                continue
            try:
                fields[key] = parse(item[key])
            except Invalid as error:
                self.problem(item.line_of(key), f"{where}.{key}: {error}")
        owns = item.get("owns") or []
        if not isinstance(owns, list):
            owns = [owns]
        numbers = []
        for number_ in owns:
            code = str(number_).strip("*#")
            if isinstance(number_, bool) or not code.isdigit():
                self.problem(item.line_of("owns"), f"{where}.owns: {number_!r} is not a short number or service code")
            numbers.append(code)
        if len(self.problems) > before:
            return None
        return Account(system_id=fields["system_id"], password=fields["password"],
                       role=Role(fields.get("role", "application")), owns=tuple(numbers),
                       throughput=fields.get("throughput"), window=fields.get("window", 10),
                       max_binds=fields.get("max_binds"))

    def sms_simulation(self, value: object, line: int) -> None:
        """`simulation.sms: {<msisdn or *>: {delay, failure_rate, error_code}}`."""
        if value is None:
            self.values["sms_simulation"] = {}
            return
        if not isinstance(value, Located):
            self.problem(line, "simulation.sms: a mapping of destination (MSISDN or *) to behaviour")
            return
        behaviours = {}
        for destination, fields in value.items():
            where = value.line_of(destination)
            try:
                key = "*" if destination == "*" else normalise_msisdn(str(destination))
            except InvalidNumber:
                self.problem(where, f"simulation.sms: {destination!r} is neither an MSISDN nor *")
                continue
            fields = fields or {}
            if not isinstance(fields, dict) or set(fields) - set(BEHAVIOUR_KEYS) or any(
                    isinstance(v, bool) for v in fields.values()):
                self.problem(where, f"simulation.sms.{destination}: a mapping of {', '.join(BEHAVIOUR_KEYS)}")
                continue
            try:
                behaviours[key] = Behaviour(**fields)
            except ValueError as error:
                self.problem(where, f"simulation.sms.{destination}: {error}")
        self.values["sms_simulation"] = behaviours
