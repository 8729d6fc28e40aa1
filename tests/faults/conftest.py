"""The fault suite's report: each test adds its counts; they are printed together at the end
of the run (`make faults`, and `make test`, which collects this folder too)."""

from __future__ import annotations

import pytest

REPORTS: list[tuple[str, list[str]]] = []


@pytest.fixture
def report(request):
    """Lines of this fault's report: `report.add(name, value)`, printed after the run."""
    lines: list[str] = []
    REPORTS.append((request.node.name, lines))

    class Report:
        def add(self, name: str, value: object) -> None:
            lines.append(f"{name:<56} {value}")
            print(f"[{request.node.name}] {name}: {value}")

    return Report()


def pytest_terminal_summary(terminalreporter):
    filled = [(name, lines) for name, lines in REPORTS if lines]
    if not filled:
        return
    terminalreporter.section("fault report")
    for name, lines in filled:
        terminalreporter.write_line(name)
        for line in lines:
            terminalreporter.write_line("    " + line)
