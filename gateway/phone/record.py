"""`gateway phone --record FILE`: the terminal session written as a scenario (docs/scenarios.md).

The recording rules (secrets kept out) are gateway/scenario/record.py's, shared with the web
phone; this keeps FILE up to date after every step.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from gateway.scenario.record import Recording


class SessionRecorder(Recording):
    """A recording saved to `path` after each step."""

    def __init__(self, path: str, msisdn: str, secret_templates: Iterable[str] = ()) -> None:
        super().__init__(msisdn, secret_templates)
        self.path = path

    def add(self, step: dict) -> None:
        super().add(step)
        self.save()

    def save(self) -> None:
        """Write the file whole (a temporary file renamed over it), so it is never half written."""
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(self.text())
        os.replace(temporary, self.path)
