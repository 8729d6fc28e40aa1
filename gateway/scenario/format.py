"""The scenario file (docs/scenarios.md): YAML read with its lines, checked step by step.

A scenario is either a bare list of one-key steps (what a dialogue record exports, see
gateway/ussd/records.py) or a mapping `{name, handset, steps}`. Every problem is reported
as `FILE:LINE: message`, all of them at once, before anything runs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import yaml

from core.yamlmarks import Located, LocatedList, error_line, load_located

DEFAULT_HANDSET = "79261234567"  # a demo subscriber of every fresh gateway
DEFAULT_WITHIN = 5.0  # seconds an expected SMS may take to arrive
VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
MATCH_KEYS = ("text", "regex", "contains")
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class ScenarioError(Exception):
    """A scenario file that cannot run; `problems` are `FILE:LINE: message` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Match:
    """What a text (USSD screen, SMS, voice prompt) must be: equal, match a regex, or contain."""

    how: str  # one of MATCH_KEYS
    value: str


@dataclass(frozen=True)
class Step:
    kind: str
    line: int
    args: dict[str, Any]

    def describe(self) -> str:
        """The step in one line, as the runner prints it."""
        shown = {k: v for k, v in self.args.items() if v is not None and k != "match"}
        if shown.get("within") == DEFAULT_WITHIN:
            del shown["within"]
        match = self.args.get("match")
        if match is not None:
            shown["value" if match.how == "text" and not shown else match.how] = match.value
        if list(shown) == ["value"]:
            return f"{self.kind} {_short(shown['value'])}"
        return f"{self.kind} " + " ".join(f"{k}={_short(v)}" for k, v in shown.items())


@dataclass
class Scenario:
    path: str
    name: str
    handset: str
    steps: list[Step] = field(default_factory=list)


# -- checking ---------------------------------------------------------------------------


class _Problems:
    def __init__(self, path: str) -> None:
        self.path = path
        self.lines: list[str] = []

    def add(self, line: int, message: str) -> None:
        self.lines.append(f"{self.path}:{line}: {message}")


class _Invalid(Exception):
    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


def load_scenario(path: str) -> Scenario:
    """Read and check one scenario file; ScenarioError lists every problem."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise ScenarioError([f"{path}:0: cannot read: {error.strerror}"]) from error
    return parse_scenario(text, path)


def parse_scenario(text: str, path: str = "<scenario>") -> Scenario:
    """A scenario from YAML text; ScenarioError lists every problem as FILE:LINE: message."""
    problems = _Problems(path)
    try:
        raw = load_located(text)
    except yaml.YAMLError as error:
        problem = getattr(error, "problem", None) or str(error)
        raise ScenarioError([f"{path}:{error_line(error)}: YAML: {problem}"]) from error
    scenario = Scenario(path=path, name=path, handset=DEFAULT_HANDSET)
    if isinstance(raw, Located):
        for key in raw:
            if key not in ("name", "handset", "steps"):
                problems.add(raw.line_of(key), f"unknown key {key!r} (expected name, handset, steps)")
        if "name" in raw:
            if isinstance(raw["name"], str) and raw["name"].strip():
                scenario.name = raw["name"]
            else:
                problems.add(raw.line_of("name"), "name must be a text")
        if "handset" in raw:
            if _is_msisdn(raw["handset"]):
                scenario.handset = raw["handset"]
            else:
                problems.add(raw.line_of("handset"), 'handset must be a quoted number, e.g. "79261234567"')
        steps = raw.get("steps")
        steps_line = raw.line_of("steps")
        if "steps" not in raw:
            problems.add(raw.line, "missing key 'steps'")
            steps = LocatedList()
            steps.item_lines = []
    else:
        steps, steps_line = raw, 1
    if not isinstance(steps, LocatedList):
        problems.add(getattr(steps, "line", steps_line),
                     "a scenario is a list of steps, or a mapping with name, handset and steps")
        raise ScenarioError(problems.lines)
    if not steps and not problems.lines:
        problems.add(steps_line, "the scenario has no steps")
    for item, line in zip(steps, steps.item_lines, strict=True):
        try:
            scenario.steps.append(_step(item, line))
        except _Invalid as invalid:
            problems.add(invalid.line, invalid.message)
    if problems.lines:
        raise ScenarioError(problems.lines)
    return scenario


def _step(item: object, line: int) -> Step:
    if not isinstance(item, Located) or len(item) != 1:
        raise _Invalid(line, f"a step is a mapping with one key, one of: {', '.join(STEPS)}")
    (kind, value), = item.items()
    parse = STEPS.get(kind)
    if parse is None:
        raise _Invalid(line, f"unknown step {kind!r}; steps are: {', '.join(STEPS)}")
    return Step(kind, line, parse(value, line, kind))


# Each parser turns a step's value into its arguments or raises _Invalid.

def _text(value: object, line: int, what: str, *, allow_empty: bool = False) -> str:
    if isinstance(value, int | float):  # bool too: YAML reads yes/no as booleans
        raise _Invalid(line, f"{what}: quote it ({what}: \"{value}\"): YAML reads bare digits as a number"
                             " and loses leading zeros")
    if not isinstance(value, str):
        raise _Invalid(line, f"{what} must be a text")
    if not value and not allow_empty:
        raise _Invalid(line, f"{what} must not be empty")
    return value


def _mapping_of(value: object, line: int, kind: str, allowed: tuple[str, ...], required: tuple[str, ...] = ()
                ) -> Located:
    if not isinstance(value, Located):
        raise _Invalid(line, f"{kind} needs a mapping with {', '.join(allowed)}")
    for key in value:
        if key not in allowed:
            raise _Invalid(value.line_of(key), f"{kind}: unknown key {key!r} (allowed: {', '.join(allowed)})")
    for key in required:
        if key not in value:
            raise _Invalid(value.line, f"{kind}: missing key {key!r}")
    return value


def _error_code(value: Located, kind: str) -> str | None:
    if "error" not in value:
        return None
    return _text(value["error"], value.line_of("error"), f"{kind}.error")


def _match(value: object, line: int, kind: str, extra: tuple[str, ...] = ()) -> tuple[Match, Located | None]:
    """An expectation given as a bare text (equal) or one of text/regex/contains."""
    if isinstance(value, str):
        return Match("text", value), None
    if not isinstance(value, Located):
        raise _Invalid(line, f"{kind} needs a text, or a mapping with one of text, regex, contains")
    options = _mapping_of(value, line, kind, MATCH_KEYS + extra)
    given = [k for k in MATCH_KEYS if k in options]
    if len(given) != 1:
        raise _Invalid(options.line, f"{kind}: give exactly one of text, regex, contains")
    how = given[0]
    text = _text(options[how], options.line_of(how), f"{kind}.{how}", allow_empty=how == "text")
    if how == "regex":
        try:
            re.compile(text)
        except re.error as error:
            raise _Invalid(options.line_of(how), f"{kind}.regex: {error}") from error
    return Match(how, text), options


def _flag(value: object, line: int, kind: str) -> bool:
    if not isinstance(value, bool):
        raise _Invalid(line, f"{kind} must be true or false")
    return value


def _positive(value: object, line: int, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise _Invalid(line, f"{what} must be a number of seconds ≥ 0")
    return float(value)


def _parse_dial(value, line, kind):
    if isinstance(value, Located):
        options = _mapping_of(value, line, kind, ("input", "error"), ("input",))
        return {"value": _text(options["input"], options.line_of("input"), f"{kind}.input"),
                "error": _error_code(options, kind)}
    return {"value": _text(value, line, kind), "error": None}


def _parse_reply(value, line, kind):
    if isinstance(value, Located) and "secret" in value:
        options = _mapping_of(value, line, kind, ("secret",))
        secret = options["secret"]
        if secret is True:
            return {"secret": "secret"}
        if isinstance(secret, str) and VARIABLE.fullmatch("${" + secret + "}"):
            return {"secret": secret}
        raise _Invalid(options.line_of("secret"), "reply.secret is true (the variable `secret`) or a variable name")
    if isinstance(value, Located):
        options = _mapping_of(value, line, kind, ("text", "error"), ("text",))
        return {"value": _text(options["text"], options.line_of("text"), f"{kind}.text", allow_empty=True),
                "error": _error_code(options, kind)}
    return {"value": _text(value, line, kind, allow_empty=True), "error": None}


def _parse_expect(value, line, kind):
    match, options = _match(value, line, kind, ("end",))
    end = None
    if options is not None and "end" in options:
        end = _flag(options["end"], options.line_of("end"), f"{kind}.end")
    return {"match": match, "end": end}


def _parse_push(value, line, kind):
    options = _mapping_of(value, line, kind, ("type", "text"), ("text",))
    push_type = options.get("type", "notify")
    if push_type not in ("notify", "request"):
        raise _Invalid(options.line_of("type"), "push.type is notify or request")
    return {"type": push_type, "text": _text(options["text"], options.line_of("text"), "push.text")}


def _parse_true(value, line, kind):
    if value is not True:
        raise _Invalid(line, f"write `{kind}: true`")
    return {}


def _parse_sms(value, line, kind):
    options = _mapping_of(value, line, kind, ("to", "text", "error"), ("to", "text"))
    return {"to": _text(options["to"], options.line_of("to"), "sms.to"),
            "text": _text(options["text"], options.line_of("text"), "sms.text", allow_empty=True),
            "error": _error_code(options, kind)}


def _parse_expect_sms(value, line, kind):
    match, options = _match(value, line, kind, ("from", "within"))
    sender = within = None
    if options is not None:
        if "from" in options:
            sender = _text(options["from"], options.line_of("from"), "expect_sms.from")
        if "within" in options:
            within = _positive(options["within"], options.line_of("within"), "expect_sms.within")
    return {"match": match, "from": sender, "within": within if within is not None else DEFAULT_WITHIN}


def _parse_call(value, line, kind):
    if isinstance(value, Located):
        options = _mapping_of(value, line, kind, ("to", "error"), ("to",))
        return {"value": _text(options["to"], options.line_of("to"), "call.to"), "error": _error_code(options, kind)}
    return {"value": _text(value, line, kind), "error": None}


def _parse_press(value, line, kind):
    if isinstance(value, Located):
        options = _mapping_of(value, line, kind, ("keys", "error"), ("keys",))
        return {"value": _text(options["keys"], options.line_of("keys"), "press.keys"),
                "error": _error_code(options, kind)}
    return {"value": _text(value, line, kind), "error": None}


def _parse_expect_prompt(value, line, kind):
    match, options = _match(value, line, kind, ("state",))
    state = None
    if options is not None and "state" in options:
        state = options["state"]
        if state not in ("active", "ended"):
            raise _Invalid(options.line_of("state"), "expect_prompt.state is active or ended")
    return {"match": match, "state": state}


def _parse_flag_step(value, line, kind):
    return {"value": _flag(value, line, kind)}


def _parse_advance(value, line, kind):
    if isinstance(value, Located):
        options = _mapping_of(value, line, kind, tuple(UNITS))
        if len(options) != 1:
            raise _Invalid(options.line, f"advance: give one of {', '.join(UNITS)}")
        (unit, amount), = options.items()
        return {"value": _positive(amount, options.line_of(unit), f"advance.{unit}") * UNITS[unit]}
    return {"value": _positive(value, line, "advance")}


def _parse_subscriber(value, line, kind):
    options = _mapping_of(value, line, kind, ("msisdn", "balance", "tariff", "roaming", "locale", "account_of"),
                          ("msisdn",))
    for key in ("msisdn", "account_of"):
        if key in options and not _is_msisdn(options[key]):
            raise _Invalid(options.line_of(key), f'subscriber.{key} must be a quoted number, e.g. "79260000001"')
    fields: dict[str, Any] = {"msisdn": options["msisdn"]}
    for key in ("balance", "tariff", "locale", "account_of"):
        if key in options:
            fields[key] = _text(options[key], options.line_of(key), f"subscriber.{key}")
    if "roaming" in options:
        fields["roaming"] = _flag(options["roaming"], options.line_of("roaming"), "subscriber.roaming")
    return {"fields": fields}


def _parse_handset(value, line, kind):
    if not _is_msisdn(value):
        raise _Invalid(line, 'handset must be a quoted number, e.g. "79261112233"')
    return {"value": value}


ACCOUNT_KEYS = ("balance", "tariff", "locked", "blocked", "roaming", "switched_on", "options", "access")


def _parse_expect_account(value, line, kind):
    options = _mapping_of(value, line, kind, ACCOUNT_KEYS)
    if not options:
        raise _Invalid(line, f"expect_account needs one or more of {', '.join(ACCOUNT_KEYS)}")
    fields: dict[str, Any] = {}
    for key, item in options.items():
        where = options.line_of(key)
        if key in ("balance", "tariff", "access"):
            fields[key] = _text(item, where, f"expect_account.{key}")
        elif key == "options":
            if not isinstance(item, list) or not all(isinstance(o, str) for o in item):
                raise _Invalid(where, "expect_account.options is a list of option codes")
            fields[key] = sorted(item)
        else:
            fields[key] = _flag(item, where, f"expect_account.{key}")
    return {"fields": fields}


def _parse_login(value, line, kind):
    options = _mapping_of(value, line, kind, ("login", "password", "error", "attempts_left"), ("password",))
    attempts = options.get("attempts_left")
    if attempts is not None and (isinstance(attempts, bool) or not isinstance(attempts, int)):
        raise _Invalid(options.line_of("attempts_left"), "login.attempts_left is a whole number")
    return {"login": _text(options["login"], options.line_of("login"), "login.login") if "login" in options else None,
            "password": _text(options["password"], options.line_of("password"), "login.password"),
            "error": _error_code(options, kind), "attempts_left": attempts}


def _parse_corporate_client(value, line, kind):
    options = _mapping_of(value, line, kind, ("name", "kind", "regions", "members", "contacts", "secret_question",
                                              "secret_answer"), ("name", "kind", "regions", "members"))
    fields: dict[str, Any] = {}
    for key in ("name", "kind", "secret_question", "secret_answer"):
        if key in options:
            fields[key] = _text(options[key], options.line_of(key), f"corporate_client.{key}")
    for key in ("regions", "members", "contacts"):
        if key in options:
            items = options[key]
            if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
                raise _Invalid(options.line_of(key), f"corporate_client.{key} is a list of quoted strings")
            fields[key] = list(items)
    return {"fields": fields}


STEPS: dict[str, Callable[[object, int, str], dict[str, Any]]] = {
    "dial": _parse_dial,
    "reply": _parse_reply,
    "expect": _parse_expect,
    "push": _parse_push,
    "release": _parse_true,
    "sms": _parse_sms,
    "expect_sms": _parse_expect_sms,
    "call": _parse_call,
    "press": _parse_press,
    "expect_prompt": _parse_expect_prompt,
    "hangup": _parse_true,
    "roaming": _parse_flag_step,
    "switched_on": _parse_flag_step,
    "advance": _parse_advance,
    "subscriber": _parse_subscriber,
    "handset": _parse_handset,
    "expect_account": _parse_expect_account,
    "login": _parse_login,
    "corporate_client": _parse_corporate_client,
}


def _is_msisdn(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"\+?\d{10,15}", value) is not None


def _short(value: object) -> str:
    text = repr(value) if isinstance(value, str) else str(value).lower() if isinstance(value, bool) else str(value)
    return text if len(text) <= 60 else text[:57] + "…'"
