"""The gateway's configuration: YAML file, defaults for every key, command-line overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

import yaml

from gateway.sms.events import Account, Role
from gateway.sms.simulation import Behaviour

DEFAULT_ACCOUNTS = (
    Account(system_id="handsets", password="handsets", role=Role.MOBILE),
    Account(system_id="app", password="app", role=Role.APPLICATION, owns=("7000",)),
)


class ConfigError(Exception):
    pass


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
    log_level: str = "INFO"
    log_format: str = "console"  # or json (gateway/logsetup.py)
    demo_subscribers: bool = True
    test_clock: bool = False  # time moves only by POST /api/v1/clock/advance (docs/api.md)
    extra: dict = field(default_factory=dict)

    @property
    def db_url(self) -> str:
        if self.db:
            return self.db
        return "sqlite:///" + os.path.abspath(os.path.join(self.data_dir, "gateway.sqlite3"))


_KEYS = {
    "host", "http_port", "smpp_port", "sip_port", "data_dir", "db", "redis", "menus", "catalogue",
    "scheduler_interval",
    "otp_ttl", "ussd", "smpp", "voice", "log_level", "log_format", "demo_subscribers", "test_clock",
    "simulation",
}


def load_config(path: str | None) -> Config:
    """Read a YAML config file; every key is optional."""
    config = Config()
    if not path:
        return config
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
    except OSError as error:
        raise ConfigError(f"{path}: cannot read: {error.strerror}") from error
    except yaml.MarkedYAMLError as error:
        line = error.problem_mark.line + 1 if error.problem_mark else 0
        raise ConfigError(f"{path}:{line}: YAML: {error.problem}") from error
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}:1: the config must be a mapping")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise ConfigError(f"{path}: unknown keys: {', '.join(unknown)}")
    simple = {k: raw[k] for k in _KEYS - {"ussd", "smpp", "voice", "simulation"} if k in raw}
    if simple.get("log_format", "console") not in ("console", "json"):
        raise ConfigError(f"{path}: log_format is console or json")
    config = replace(config, **simple)
    ussd = raw.get("ussd") or {}
    routes = tuple((str(code).strip("*#"), str(url)) for code, url in (ussd.get("routes") or {}).items())
    config = replace(
        config,
        ussd_routes=routes,
        ussd_screen_timeout=float(ussd.get("screen_timeout", config.ussd_screen_timeout)),
        ussd_dialogue_limit=float(ussd.get("dialogue_limit", config.ussd_dialogue_limit)),
        ussd_app_timeout=float(ussd.get("app_timeout", config.ussd_app_timeout)),
        ussd_network_code=str(ussd.get("network_code", config.ussd_network_code)),
    )
    config = _voice(config, raw.get("voice") or {}, path)
    smpp = raw.get("smpp") or {}
    if "accounts" in smpp:
        try:
            accounts = tuple(
                Account(
                    system_id=str(a["system_id"]), password=str(a["password"]),
                    role=Role(a.get("role", "application")),
                    owns=tuple(str(n) for n in a.get("owns", ())),
                    throughput=float(a["throughput"]) if a.get("throughput") is not None else None,
                    window=int(a.get("window", 10)),
                    max_binds=int(a["max_binds"]) if a.get("max_binds") is not None else None,
                )
                for a in smpp["accounts"]
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ConfigError(f"{path}: smpp.accounts: each needs system_id, password, role mobile|application ({error})") from error
        config = replace(config, accounts=accounts)
    return _sms_simulation(config, (raw.get("simulation") or {}).get("sms") or {}, path)


def _sms_simulation(config: Config, sms: object, path: str) -> Config:
    """`simulation: {sms: {<msisdn or *>: {delay, failure_rate, error_code}}}`."""
    try:
        behaviours = {str(destination): Behaviour(**(fields or {})) for destination, fields in sms.items()}
    except (AttributeError, TypeError, ValueError) as error:
        raise ConfigError(f"{path}: simulation.sms: each destination takes delay, failure_rate, error_code ({error})") from error
    return replace(config, sms_simulation=behaviours)


_VOICE_KEYS = {"first_digit_timeout": float, "inter_digit_timeout": float, "max_digits": int,
               "max_failures": int, "max_timeouts": int}


def _voice(config: Config, voice: object, path: str) -> Config:
    """The `voice:` section: digit timeouts (seconds, > 0) and limits (whole numbers, >= 1)."""
    if not isinstance(voice, dict) or set(voice) - set(_VOICE_KEYS):
        raise ConfigError(f"{path}: voice: a mapping of {', '.join(sorted(_VOICE_KEYS))}")
    values = {}
    for key, kind in _VOICE_KEYS.items():
        if key not in voice:
            continue
        value = voice[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0 or (
                kind is int and value != int(value)):
            raise ConfigError(f"{path}: voice.{key}: a {'whole ' if kind is int else ''}number above 0")
        values["voice_" + key] = kind(value)
    return replace(config, **values)
