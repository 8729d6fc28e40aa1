"""What the config file may hold: every key's place, type, range and meaning.

`SCALARS` lists the single-valued keys (a dotted path for the ones inside a section);
each maps to one field of `gateway.config.Config` and to one environment variable
(`GATEWAY_` + the path in capitals, dots as underscores). The three list-or-map keys
(`ussd.routes`, `smpp.accounts`, `simulation.sms`) have their own readers in
gateway/config.py. docs/config.md and gateway.example.yaml describe the same keys; a test
keeps the three in step.

A new key: a field of Config, a `Key` line here, its line in gateway.example.yaml (with
its default) and its row in docs/config.md; tests/test_config.py checks all of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

Parse = Callable[[object], object]


class Invalid(ValueError):
    """A value that does not fit its key; the message says what would."""


@dataclass(frozen=True)
class Key:
    path: str  # `http_port`, `ussd.screen_timeout`
    attr: str  # the Config field
    parse: Parse  # raises Invalid; returns the value to store
    doc: str
    textual: bool = False  # from the environment as the raw string, not a YAML scalar
    secret: bool = False  # masked by `gateway config show`

    @property
    def env(self) -> str:
        return "GATEWAY_" + self.path.replace(".", "_").upper()


def integer(low: int, high: int) -> Parse:
    def parse(value: object) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"a whole number from {low} to {high}")
        return value
    return parse


def number(low: float, high: float, *, above: bool = False) -> Parse:
    """A float in [low, high], or (low, high] with `above`."""
    def parse(value: object) -> float:
        if (isinstance(value, bool) or not isinstance(value, int | float)
                or not (value > low if above else value >= low) or value > high):
            raise Invalid(f"a number above {_shown(low)} and at most {_shown(high)}" if above
                          else f"a number from {_shown(low)} to {_shown(high)}")
        return float(value)
    return parse


def _shown(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def boolean(value: object) -> bool:
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def text(*, choices: tuple[str, ...] = (), prefixes: tuple[str, ...] = (), min_length: int = 1,
         max_length: int = 4096, upper: bool = False) -> Parse:
    def parse(value: object) -> str:
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # `network_code: 25002` written without quotes
        if not isinstance(value, str):
            raise Invalid("a string")
        if upper:
            value = value.upper()
        if choices and value not in choices:
            raise Invalid(f"one of {', '.join(choices)}")
        if prefixes and not value.startswith(prefixes):
            raise Invalid(f"a URL starting {' or '.join(prefixes)}")
        if not min_length <= len(value) <= max_length:
            raise Invalid(f"a string of {min_length} to {max_length} characters")
        return value
    return parse


def digits(low: int, high: int) -> Parse:
    inner = text()

    def parse(value: object) -> str:
        value = inner(value)
        if not value.isdigit() or not low <= len(value) <= high:
            raise Invalid(f"{low} to {high} digits")
        return value
    return parse


def optional(parse: Parse) -> Parse:
    """`null` (or an empty environment variable) for "not set"."""
    def parse_optional(value: object) -> object:
        if value is None or value == "":
            return None
        return parse(value)
    return parse_optional


PORT = integer(0, 65535)
SECONDS = number(0, 365 * 86400.0, above=True)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

SCALARS: tuple[Key, ...] = (
    Key("host", "host", text(max_length=255), "address every listener binds to", textual=True),
    Key("http_port", "http_port", PORT, "HTTP port: handset API, web phone, Africa's Talking USSD (0: any free)"),
    Key("smpp_port", "smpp_port", PORT, "SMPP 3.4 SMSC port (0: any free)"),
    Key("sip_port", "sip_port", PORT, "SIP UDP port of the voice menu (0: any free)"),
    Key("data_dir", "data_dir", text(), "directory of the default SQLite store", textual=True),
    Key("db", "db", optional(text(prefixes=("sqlite:", "postgresql"))),
        "store URL; null: SQLite at <data_dir>/gateway.sqlite3", textual=True, secret=True),
    Key("redis", "redis", optional(text(prefixes=("redis://", "rediss://", "unix://"))),
        "Redis URL for several nodes sharing one PostgreSQL store; null: one node", textual=True, secret=True),
    Key("menus", "menus", text(), "menu file (beside the checkout when the path is not found)", textual=True),
    Key("catalogue", "catalogue", text(), "tariffs and options file", textual=True),
    Key("scheduler_interval", "scheduler_interval", SECONDS,
        "seconds between runs of fees, autopay and promised payments"),
    Key("otp_ttl", "otp_ttl", SECONDS, "seconds a one-time password serves for logins (24 h)"),
    Key("log_level", "log_level", text(choices=LOG_LEVELS, upper=True), "lowest level logged", textual=True),
    Key("log_format", "log_format", text(choices=("console", "json")), "log lines as text or JSON objects",
        textual=True),
    Key("demo_subscribers", "demo_subscribers", boolean, "add the three demo subscribers to a fresh store"),
    Key("test_clock", "test_clock", boolean, "time moves only by POST /api/v1/clock/advance"),
    Key("admin_token", "admin_token", optional(text(min_length=8, max_length=256)),
        "bearer token the operator endpoints require; null: they stay open", textual=True, secret=True),
    Key("http.rate_limit", "http_rate_limit", number(0, 1e6),
        "requests per second per remote address on the HTTP port; 0: no limit"),
    Key("http.rate_burst", "http_rate_burst", number(1, 1e7), "requests one address may send at once"),
    Key("http.max_body", "http_max_body", integer(1024, 16 * 1024 * 1024),
        "largest request body in bytes (413 beyond)"),
    Key("ussd.screen_timeout", "ussd_screen_timeout", SECONDS, "seconds a handset has to answer a screen"),
    Key("ussd.dialogue_limit", "ussd_dialogue_limit", SECONDS, "longest USSD dialogue in seconds"),
    Key("ussd.app_timeout", "ussd_app_timeout", SECONDS,
        "seconds an external application has to send the next screen"),
    Key("ussd.network_code", "ussd_network_code", digits(4, 6),
        "`networkCode` sent to Africa's Talking-style applications (MCC+MNC)", textual=True),
    Key("smpp.reassembly_timeout", "smpp_reassembly_timeout", SECONDS,
        "seconds the segments of a long message wait for the rest before they end UNDELIV"),
    Key("smpp.mo_retry", "smpp_mo_retry", SECONDS,
        "seconds before an MO an application refused (deliver_sm_resp error) is sent again; doubles"),
    Key("smpp.mo_retry_max", "smpp_mo_retry_max", SECONDS, "the longest wait between MO retries"),
    Key("voice.first_digit_timeout", "voice_first_digit_timeout", SECONDS,
        "seconds for the first key after a prompt"),
    Key("voice.inter_digit_timeout", "voice_inter_digit_timeout", SECONDS, "seconds between keys"),
    Key("voice.max_digits", "voice_max_digits", integer(1, 100), "keys of one input before it ends"),
    Key("voice.max_failures", "voice_max_failures", integer(1, 100), "wrong inputs per menu before goodbye"),
    Key("voice.max_timeouts", "voice_max_timeouts", integer(1, 100), "silent timeouts per menu before goodbye"),
)

# The list-or-map keys, read by gateway/config.py; their meaning for docs and checks.
COMPOSITE = {
    "ussd.routes": "service code -> URL of an external Africa's Talking-style application",
    "smpp.accounts": "ESME accounts: system_id, password, role, owns, throughput, window, max_binds",
    "simulation.sms": "per destination MSISDN (or `*`): delay, failure_rate, error_code of MT",
}
ACCOUNT_KEYS = ("system_id", "password", "role", "owns", "throughput", "window", "max_binds")
BEHAVIOUR_KEYS = ("delay", "failure_rate", "error_code")


def sections() -> dict[str, set[str]]:
    """Top-level key -> the keys its section may hold (empty set: a scalar)."""
    result: dict[str, set[str]] = {}
    for path in [key.path for key in SCALARS] + list(COMPOSITE):
        head, _, tail = path.partition(".")
        result.setdefault(head, set())
        if tail:
            result[head].add(tail)
    return result


def _unique_env_names() -> None:
    names = [key.env for key in SCALARS]
    duplicated = {name for name in names if names.count(name) > 1}
    if duplicated:  # two keys would share one variable
        raise RuntimeError(f"config keys share environment variables: {sorted(duplicated)}")


_unique_env_names()
