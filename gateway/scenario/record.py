"""Recording a live handset session as a scenario (docs/scenarios.md), secrets kept out.

One set of rules for both recorders: the terminal phone (`gateway phone --record`) adds
steps as they happen; the web phone collects events in the page and sends them to
`POST /api/v1/scenarios/record` (gateway/web/recordapi.py), which replays them here.

- An SMS carrying a password (a menus.yaml text with `{password}`) becomes a regex that
  captures it into `${password}`, so the replay reads the new password from its own SMS.
- Keys typed where the voice menu asks for a secret (the call's `path` masks them) and a
  USSD reply to a screen taking a secret (its dialogue records it as `secret`) become
  `${secret1}`, `${secret2}` …, to be given with `--var` on replay.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import yaml

SECRET_PLACEHOLDERS = ("password",)
# What a recorded event may be besides the two the rules rewrite (`sms_received`, `pressed`)
# and a secret USSD reply (`secret_reply`): a scenario step kept as it is.
PLAIN_STEPS = ("dial", "reply", "expect", "release", "sms", "call", "expect_prompt", "hangup", "roaming",
               "switched_on")
EVENTS = (*PLAIN_STEPS, "sms_received", "pressed", "secret_reply")
MAX_EVENTS = 5000


class InvalidEvents(ValueError):
    """A recorded event list that is not one: the message says which event and why."""


class Recording:
    """The steps of one handset session, written as scenario YAML."""

    def __init__(self, msisdn: str, secret_templates: Iterable[str] = (), source: str = "") -> None:
        self.msisdn = msisdn
        self.source = source or f"gateway phone {msisdn} --record"
        self.steps: list[dict] = []
        self.secrets = 0
        self._secret_sms = [capturing(t) for t in secret_templates]

    def add(self, step: dict) -> None:
        self.steps.append(step)

    def sms_received(self, sender: str, text: str) -> None:
        """An SMS the handset received; one carrying a password is kept as a capturing regex."""
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
                recorded += "${" + self._new_secret() + "}"
            else:
                recorded += keys[index]
                index += 1
        self.add({"press": recorded})

    def secret_reply(self) -> None:
        """A USSD reply typed where the screen takes a secret: only its variable is kept."""
        self.add({"reply": {"secret": self._new_secret()}})

    def _new_secret(self) -> str:
        self.secrets += 1
        return f"secret{self.secrets}"

    def text(self) -> str:
        header = f"# Recorded by `{self.source}`.\n"
        if self.secrets:
            names = ", ".join(f"secret{n}" for n in range(1, self.secrets + 1))
            header += f"# Secrets typed are not kept: replay with --var for {names}.\n"
        body = {"name": f"recorded session of {self.msisdn}", "handset": self.msisdn, "steps": self.steps}
        return header + yaml.dump(body, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=1000)


def secret_input(dialogue: Mapping) -> bool:
    """Whether a dialogue record's (GET /api/v1/dialogues/{id}) last input was a secret."""
    inputs = [step["kind"] for step in dialogue.get("steps", []) if step.get("kind") in ("reply", "secret")]
    return bool(inputs) and inputs[-1] == "secret"


def password_templates(texts: Mapping[str, Mapping[str, str]]) -> list[str]:
    """The texts (menus.yaml `texts`, every locale) that carry a password."""
    return [template for text in texts.values() for template in text.values() if "{password}" in template]


def from_events(msisdn: str, events: object, secret_templates: Iterable[str] = (),
                source: str = "") -> Recording:
    """A recording replayed from the web phone's events (docs/scenarios.md); InvalidEvents
    for a list that is not one. Key presses that follow each other (the page sends one key
    at a time) are one `press`, with only the last prompt they brought."""
    if not isinstance(events, list) or not events:
        raise InvalidEvents("events must be a non-empty list")
    if len(events) > MAX_EVENTS:
        raise InvalidEvents(f"at most {MAX_EVENTS} events")
    checked = [_checked(index, event) for index, event in enumerate(events)]
    recording = Recording(msisdn, secret_templates, source)
    for kind, value in _joined_presses(checked):
        if kind == "sms_received":
            recording.sms_received(value["from"], value["text"])
        elif kind == "pressed":
            recording.pressed(value["keys"], value["masked"])
        elif kind == "secret_reply":
            recording.secret_reply()
        else:
            recording.add({kind: value})
    return recording


def _checked(index: int, event: object) -> tuple[str, object]:
    where = f"event {index + 1}"
    if not isinstance(event, dict) or len(event) != 1:
        raise InvalidEvents(f"{where}: an event is an object with one key, one of {', '.join(EVENTS)}")
    (kind, value), = event.items()
    if kind not in EVENTS:
        raise InvalidEvents(f"{where}: unknown event {kind!r}; one of {', '.join(EVENTS)}")
    if kind == "sms_received":
        if not (isinstance(value, dict) and isinstance(value.get("from"), str) and isinstance(value.get("text"), str)):
            raise InvalidEvents(f"{where}: sms_received is {{\"from\": str, \"text\": str}}")
    elif kind == "pressed":
        keys, masked = (value.get("keys"), value.get("masked")) if isinstance(value, dict) else (None, None)
        if not (isinstance(keys, str) and keys and isinstance(masked, list) and len(masked) == len(keys)
                and all(isinstance(m, bool) for m in masked)):
            raise InvalidEvents(f"{where}: pressed is {{\"keys\": str, \"masked\": [bool for each key]}}")
    elif kind in ("roaming", "switched_on", "release", "hangup", "secret_reply"):
        if not isinstance(value, bool):
            raise InvalidEvents(f"{where}: {kind} is true or false")
    elif kind in ("dial", "reply", "sms", "call"):
        if not isinstance(value, str | dict):
            raise InvalidEvents(f"{where}: {kind} is a string or an object")
    elif not isinstance(value, str):
        raise InvalidEvents(f"{where}: {kind} is a string")
    return kind, value


def _joined_presses(events: list[tuple[str, object]]) -> list[tuple[str, object]]:
    out: list[tuple[str, object]] = []
    for kind, value in events:
        if kind == "pressed":
            previous = _open_press(out)
            if previous is not None:
                del out[previous + 1:]  # the prompt between two presses
                keys, masked = out[previous][1]["keys"], out[previous][1]["masked"]
                value = {"keys": keys + value["keys"], "masked": masked + value["masked"]}
                out[previous] = (kind, value)
                continue
        out.append((kind, value))
    return out


def _open_press(out: list[tuple[str, object]]) -> int | None:
    """Where the last press is, when nothing but its prompt came after it."""
    if out and out[-1][0] == "pressed":
        return len(out) - 1
    if len(out) >= 2 and out[-1][0] == "expect_prompt" and out[-2][0] == "pressed":
        return len(out) - 2
    return None


_SPECIAL = re.compile(r"([.^$*+?{}\[\]\\|()])")


class _Dumper(yaml.SafeDumper):
    """Multi-line screens as literal blocks, the way they look on the handset."""


def _text_block(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = "|" if "\n" in text else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _text_block)


def capturing(template: str) -> re.Pattern:
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
