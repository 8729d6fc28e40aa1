"""The `gateway` command."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace

from core.catalogue import CatalogueError
from gateway.config import ConfigError, load_config
from menus.loader import MenuError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gateway", description="USSD / SMS / IVR gateway simulator")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser("run", help="start every channel in one process")
    run.add_argument("--config", help="YAML config file")
    run.add_argument("--db", help="store URL (default: SQLite in --data-dir)")
    run.add_argument("--host")
    run.add_argument("--http-port", type=int)
    run.add_argument("--smpp-port", type=int)
    run.add_argument("--sip-port", type=int)
    run.add_argument("--data-dir")
    run.add_argument("--log-format", choices=("console", "json"), help="log lines as text or JSON")
    run.add_argument("--redis", help="Redis URL for several nodes sharing one PostgreSQL store")
    run.add_argument("--ussd-route", action="append", default=[], metavar="CODE=URL",
                     help="route a service code to an external Africa's Talking-style app")
    run.add_argument("--test-clock", action="store_true", default=None,
                     help="time moves only by POST /api/v1/clock/advance (scenarios, tests)")

    config = commands.add_parser("config", help="check a config file or show the effective config (docs/config.md)")
    config_commands = config.add_subparsers(dest="config_command", required=True)
    config_check = config_commands.add_parser("check", help="exit 1 with FILE:LINE: message per problem")
    config_check.add_argument("file")
    config_show = config_commands.add_parser("show", help="the effective config as YAML, secrets masked")
    config_show.add_argument("--config", help="YAML config file (default: $GATEWAY_CONFIG, else none)")

    menus = commands.add_parser("menus", help="check or draw menus.yaml")
    menus_commands = menus.add_subparsers(dest="menus_command", required=True)
    lint = menus_commands.add_parser("lint", help="exit 1 with FILE:LINE: message per problem")
    lint.add_argument("file", nargs="?", default="menus.yaml")
    graph = menus_commands.add_parser("graph", help="print the menu tree as Mermaid")
    graph.add_argument("file", nargs="?", default="menus.yaml")

    db = commands.add_parser("db", help="the store")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_commands.add_parser("upgrade", help="Alembic migrations to head")
    upgrade.add_argument("--db")
    upgrade.add_argument("--data-dir")
    upgrade.add_argument("--config")

    scenario = commands.add_parser("scenario", help="scripted handset sessions (docs/scenarios.md)")
    scenario_commands = scenario.add_subparsers(dest="scenario_command", required=True)
    scenario_run = scenario_commands.add_parser(
        "run", help="run scenario files; exit 1 on the first failed expectation, with a diff")
    scenario_run.add_argument("files", nargs="+", metavar="FILE")
    scenario_run.add_argument("--url", help="a running gateway (default: a fresh one per file, with a test clock)")
    scenario_run.add_argument("--var", action="append", default=[], metavar="NAME=VALUE",
                              help="a variable for ${NAME} and secret replies")

    phone = commands.add_parser("phone", help="the emulated handset in a terminal")
    phone.add_argument("msisdn")
    phone.add_argument("--url", default="http://127.0.0.1:8080", help="the gateway (default: %(default)s)")
    phone.add_argument("--record", metavar="FILE", help="write the session as a scenario file")

    args = parser.parse_args(argv)
    try:
        if args.command == "run":
            from gateway.app import run as run_gateway

            return run_gateway(_run_config(args))
        if args.command == "menus":
            return _menus(args)
        if args.command == "config":
            from gateway.configcheck import run_check, run_show

            if args.config_command == "check":
                return run_check(args.file)
            return run_show(args.config or os.environ.get("GATEWAY_CONFIG"))
        if args.command == "scenario":
            from gateway.scenario.command import parse_variables, run_files

            try:
                variables = parse_variables(args.var)
            except ValueError as error:
                parser.error(str(error))
            return run_files(args.files, args.url, variables)
        if args.command == "phone":
            from gateway.phone.app import run_phone

            return run_phone(args.msisdn, args.url, args.record)
        if args.command == "db":
            from core.db.store import Store

            config = _run_config(args)
            Store(config.db_url).upgrade()
            print(f"store at head: {config.db_url.split('@')[-1]}")
            return 0
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        print("gateway: the config has problems; nothing started", file=sys.stderr)
        return 2
    except (CatalogueError, MenuError) as error:
        print(f"gateway: {error}", file=sys.stderr)
        return 2
    return 2


def _run_config(args):
    # Precedence: command line > GATEWAY_* environment > file > defaults (docs/config.md).
    config = load_config(getattr(args, "config", None) or os.environ.get("GATEWAY_CONFIG"))
    overrides = {
        "db": args.db, "host": getattr(args, "host", None), "http_port": getattr(args, "http_port", None),
        "smpp_port": getattr(args, "smpp_port", None), "sip_port": getattr(args, "sip_port", None),
        "data_dir": args.data_dir, "redis": getattr(args, "redis", None),
        "test_clock": getattr(args, "test_clock", None),
        "log_format": getattr(args, "log_format", None),
    }
    config = replace(config, **_checked_options({k: v for k, v in overrides.items() if v is not None}))
    routes = []
    for route in getattr(args, "ussd_route", []) or []:
        code, sep, url = route.partition("=")
        if not sep or not code.strip("*#").isdigit() or not url:
            raise ConfigError([f"--ussd-route {route!r}: expected CODE=URL, e.g. 123=http://127.0.0.1:9000/ussd"])
        routes.append((code.strip("*#"), url))
    if routes:
        config = replace(config, ussd_routes=config.ussd_routes + tuple(routes))
    return config


def _checked_options(options: dict) -> dict:
    """Command-line values go through the same checks as the file's (a port within 0..65535, ...)."""
    from gateway.configschema import SCALARS, Invalid

    keys = {key.attr: key for key in SCALARS}
    problems = []
    for attr, value in options.items():
        try:
            options[attr] = keys[attr].parse(value)
        except Invalid as error:
            problems.append(f"--{attr.replace('_', '-')}: {error}")
    if problems:
        raise ConfigError(problems)
    return options


def _menus(args) -> int:
    from gateway.actions import CATALOGUE
    from menus.graph import mermaid
    from menus.loader import lint, load

    if args.menus_command == "lint":
        problems = lint(args.file, CATALOGUE)
        for problem in problems:
            print(problem)
        return 1 if problems else 0
    try:
        menus = load(args.file, CATALOGUE)
    except MenuError as error:
        print(error, file=sys.stderr)
        return 1
    print(mermaid(menus))
    return 0


if __name__ == "__main__":
    sys.exit(main())
