"""Every file of scenarios/ passes against a fresh gateway (`gateway scenario run`, hermetic).

The ids carry the rule (`r02_password_by_ussd`), so `pytest -k r02` runs that rule's scenario.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from gateway.scenario.command import run_files

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_there_is_a_scenario_for_each_rule_a_channel_shows():
    rules = {path.name[:3] for path in SCENARIOS if path.name.startswith("r")}
    shown = {f"r{n:02d}" for n in range(1, 34)}  # every rule of ../shared/DOMAIN.md
    assert shown <= rules, f"missing: {sorted(shown - rules)}"


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_scenario(path):
    out = io.StringIO()
    assert run_files([str(path)], None, {}, out) == 0, out.getvalue()
    assert out.getvalue().rstrip().endswith("1 scenario passed")
