"""`gateway config check` and `gateway config show`: a file's problems, the effective config."""

from __future__ import annotations

import re

import yaml

from gateway.config import Config, ConfigError, load_config, read_file
from gateway.configschema import SCALARS

MASK = "***"
_URL_PASSWORD = re.compile(r"(?P<head>//[^/:@]*:)[^/@]*@")


def check(path: str) -> list[str]:
    """Every problem of one file as `FILE:LINE: message` (the environment is not consulted)."""
    _, problems = read_file(path)
    return problems


def document(config: Config, *, masked: bool = True) -> dict:
    """The config in the file's own shape; with `masked`, secrets read `***`."""
    result: dict = {}
    for key in SCALARS:
        value = getattr(config, key.attr)
        if masked and key.secret and value is not None:
            value = _URL_PASSWORD.sub(r"\g<head>" + MASK + "@", value) if "://" in value else MASK
        head, _, tail = key.path.partition(".")
        if tail:
            result.setdefault(head, {})[tail] = value
        else:
            result[head] = value
    result.setdefault("ussd", {})["routes"] = dict(config.ussd_routes)
    result.setdefault("smpp", {})["accounts"] = [
        {"system_id": a.system_id, "password": MASK if masked else a.password, "role": a.role.value,
         "owns": list(a.owns), "throughput": a.throughput, "window": a.window, "max_binds": a.max_binds}
        for a in config.accounts
    ]
    result.setdefault("simulation", {})["sms"] = {d: b.as_json() for d, b in sorted(config.sms_simulation.items())}
    return result


def show(config: Config) -> str:
    """The effective config as YAML, secrets masked."""
    return yaml.safe_dump(document(config), sort_keys=False, allow_unicode=True)


def run_check(path: str) -> int:
    problems = check(path)
    for problem in problems:
        print(problem)
    if not problems:
        print(f"{path}: ok")
    return 1 if problems else 0


def run_show(path: str | None) -> int:
    """Defaults < file < environment, as `gateway run --config FILE` would start."""
    import sys

    try:
        config = load_config(path)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    print(show(config), end="")
    return 0
