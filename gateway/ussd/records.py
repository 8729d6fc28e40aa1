"""Dialogue records: what is stored of a finished dialogue, its JSON, and its replay scenario.

A record holds the dial, every input (secret ones already masked by the service), every
screen with its time since the start, and the outcome. The scenario is the handset's
side of it as YAML, a list of one-key steps (docs/ussd.md):

    - dial: "*105#"
    - expect: "Сервис-Гид\\n1 Баланс…"
    - reply: "1"
    - expect: "Баланс: 300.00 руб."
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping

import yaml

from gateway.ussd.events import Outcome
from gateway.ussd.session import Dialogue

SCREEN_KINDS = ("screen", "end", "push", "notify", "timeout", "error")


def record_of(dialogue: Dialogue, now: float, outcome: Outcome) -> dict[str, object]:
    """The row a finished dialogue is stored as."""
    return {
        "id": dialogue.session_id,
        "msisdn": dialogue.msisdn,
        "service_code": dialogue.service_code,
        "initiator": dialogue.initiator.value,
        "transport": dialogue.transport,
        "server": dialogue.server.value,
        "started_at": dialogue.started_at,
        "ended_at": now,
        "outcome": outcome.value,
        "steps": json.dumps([list(step) for step in dialogue.steps], ensure_ascii=False),
    }


def open_record(dialogue: Dialogue) -> dict[str, object]:
    """A dialogue still open, shaped like a stored record (outcome `open`)."""
    row = record_of(dialogue, dialogue.started_at, Outcome.COMPLETED)
    row.update(ended_at=None, outcome="open")
    return row


def record_json(row: Mapping[str, object]) -> dict[str, object]:
    """A record as the HTTP API shows it."""
    steps = row["steps"]
    if isinstance(steps, str):
        steps = json.loads(steps)
    ended_at = row["ended_at"]
    return {
        "id": row["id"],
        "msisdn": row["msisdn"],
        "service_code": row["service_code"],
        "initiator": row["initiator"],
        "transport": row["transport"],
        "server": row["server"],
        "started_at": iso_time(float(row["started_at"])),
        "ended_at": iso_time(float(ended_at)) if ended_at is not None else None,
        "duration_ms": round((float(ended_at) - float(row["started_at"])) * 1000) if ended_at is not None else None,
        "outcome": row["outcome"],
        "steps": [{"at_ms": round(at * 1000), "kind": kind, "text": text} for at, kind, text in steps],
    }


def scenario(row: Mapping[str, object]) -> list[dict[str, object]]:
    """The handset's side of a record as scenario steps."""
    steps = row["steps"]
    if isinstance(steps, str):
        steps = json.loads(steps)
    out: list[dict[str, object]] = []
    for _, kind, text in steps:
        if kind == "dial":
            out.append({"dial": text})
        elif kind == "reply":
            out.append({"reply": text})
        elif kind == "secret":
            out.append({"reply": {"secret": True}})
        elif kind in ("push", "notify"):
            out.append({"push": {"type": "request" if kind == "push" else "notify", "text": text}})
            out.append({"expect": text})
        elif kind == "release":
            out.append({"release": True})
        elif kind in SCREEN_KINDS:
            out.append({"expect": text})
    return out


def scenario_yaml(row: Mapping[str, object]) -> str:
    """The scenario as YAML text, with a comment saying where it comes from."""
    header = (
        f"# USSD dialogue {row['id']} of {row['msisdn']}"
        f"{' on *' + str(row['service_code']) + '#' if row['service_code'] else ''}"
        f", outcome {row['outcome']}\n"
    )
    body = yaml.safe_dump(scenario(row), allow_unicode=True, sort_keys=False, default_flow_style=False,
                          width=1000)
    return header + body


def iso_time(seconds: float) -> str:
    """Epoch seconds as ISO 8601 UTC with milliseconds."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC).isoformat(timespec="milliseconds")
