"""`gateway scenario run FILE… [--url URL]`: each file against a fresh or a running gateway."""

from __future__ import annotations

import sys
from typing import TextIO

from gateway.scenario.client import HandsetApi, Unreachable
from gateway.scenario.format import Scenario, ScenarioError, load_scenario
from gateway.scenario.hermetic import GatewayFailed, fresh_gateway
from gateway.scenario.runner import Runner

PASSED, FAILED, UNUSABLE = 0, 1, 2


def run_files(paths: list[str], url: str | None, variables: dict[str, str], out: TextIO = sys.stdout) -> int:
    """0 when every scenario passes; 1 at the first failed step; 2 for invalid files or no gateway."""
    scenarios: list[Scenario] = []
    problems: list[str] = []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as error:
            problems += error.problems
    if problems:
        for problem in problems:
            print(problem, file=out)
        return UNUSABLE
    for scenario in scenarios:
        print(f"== {scenario.path}: {scenario.name}", file=out, flush=True)
        try:
            if url is None:
                with fresh_gateway() as base:
                    passed = Runner(HandsetApi(base), out, dict(variables)).run(scenario)
            else:
                passed = Runner(HandsetApi(url), out, dict(variables)).run(scenario)
        except (GatewayFailed, Unreachable) as error:
            print(f"gateway: {error}", file=out)
            return UNUSABLE
        if not passed:
            return FAILED
    print(f"{len(scenarios)} scenario{'s' if len(scenarios) != 1 else ''} passed", file=out)
    return PASSED


def parse_variables(pairs: list[str]) -> dict[str, str]:
    """`--var NAME=VALUE` options as a mapping; ValueError names the bad one."""
    variables = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.isidentifier():
            raise ValueError(f"--var {pair!r}: expected NAME=VALUE")
        variables[name] = value
    return variables
