"""`gateway phone --record FILE`: the terminal session written as a scenario (docs/scenarios.md).

Secrets stay out of the file: an SMS carrying a password is recorded as a regex that
captures it into a variable, and keys typed where the voice menu asked for a secret (the
call's path masks them) become `${secretN}`, to be given with `--var` on replay.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable

import yaml

SECRET_PLACEHOLDERS = ("password",)


class SessionRecorder:
    """Collects the steps of one handset session and keeps FILE up to date after each."""

    def __init__(self, path: str, msisdn: str, secret_templates: Iterable[str] = ()) -> None:
        self.path = path
        self.msisdn = msisdn
        self.steps: list[dict] = []
        self.secret_keys = 0
        self._secret_sms = [_capturing(t) for t in secret_templates]

    def add(self, step: dict) -> None:
        self.steps.append(step)
        self.save()

    def sms_received(self, sender: str, text: str) -> None:
        for pattern in self._secret_sms:
            if pattern.fullmatch(text):
                self.add({"expect_sms": {"from": sender, "regex": pattern.pattern}})
                return
        self.add({"expect_sms": {"from": sender, "text": text}})

    def pressed(self, keys: str, masked: list[bool]) -> None:
        """Keypad tones; each run of keys the call's path masks becomes a `${secretN}` variable."""
        recorded, index = "", 0
        while index < len(keys):
            if index < len(masked) and masked[index]:
                while index < len(keys) and index < len(masked) and masked[index]:
                    index += 1
                self.secret_keys += 1
                recorded += f"${{secret{self.secret_keys}}}"
            else:
                recorded += keys[index]
                index += 1
        self.add({"press": recorded})

    def text(self) -> str:
        header = f"# Recorded by `gateway phone {self.msisdn} --record`.\n"
        if self.secret_keys:
            names = ", ".join(f"secret{n}" for n in range(1, self.secret_keys + 1))
            header += f"# Keys typed as secrets are not kept: replay with --var for {names}.\n"
        body = {"name": f"recorded session of {self.msisdn}", "handset": self.msisdn, "steps": self.steps}
        return header + yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)

    def save(self) -> None:
        """Write the file whole (a temporary file renamed over it), so it is never half written."""
        temporary = f"{self.path}.tmp"
        with open(temporary, "w", encoding="utf-8") as handle:
            handle.write(self.text())
        os.replace(temporary, self.path)


_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


class _Dumper(yaml.SafeDumper):
    """Multi-line screens as literal blocks, the way they look on the handset."""


def _text_block(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _text_block)


def _capturing(template: str) -> re.Pattern:
    """A regex matching a filled-in SMS template; `{password}` is captured, other values skipped."""
    parts = re.split(r"\{([A-Za-z_][A-Za-z0-9_]*)\}", template)
    pattern = ""
    captured: set[str] = set()
    for index, part in enumerate(parts):
        if index % 2 == 0:
            pattern += _SPECIAL.sub(r"\\\1", part)  # re.escape would also escape every space
        elif part in SECRET_PLACEHOLDERS and part not in captured:
            captured.add(part)
            pattern += f"(?P<{part}>[^\\s.]+)"
        else:
            pattern += ".+?"
    return re.compile(pattern, re.DOTALL)
