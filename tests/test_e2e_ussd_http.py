"""USSD over the handset HTTP API against a real `gateway run`: pushes, the handset's screen,
USSD-Busy, release, dialogue records and their replayable scenarios."""

from __future__ import annotations

import urllib.request

import yaml

A, B = "79261234567", "79261112233"


def test_push_notify_and_request(gateway):
    status, pushed = gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "Баланс пополнен", "type": "notify"})
    assert status == 200 and pushed["end"] is True
    assert gateway.get(f"/api/v1/handsets/{B}/ussd") == (200, pushed)
    assert gateway.get(f"/api/v1/handsets/{B}/ussd") == (204, None)  # shown once
    status, pushed = gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "Оцените связь: 1-5", "type": "request"})
    assert status == 200 and pushed["end"] is False
    assert gateway.get(f"/api/v1/handsets/{B}/ussd") == (200, pushed)
    status, busy = gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "again", "type": "notify"})
    assert (status, busy["error"]) == (409, "ussd_busy")
    answer = gateway.ussd(B, "5")
    assert answer == {"session_id": pushed["session_id"], "text": "", "end": True}
    _, dialogues = gateway.get(f"/api/v1/handsets/{B}/dialogues")
    latest = dialogues[0]
    assert (latest["id"], latest["initiator"], latest["outcome"]) == (pushed["session_id"], "network", "completed")
    assert [(s["kind"], s["text"]) for s in latest["steps"]] == [("push", "Оцените связь: 1-5"), ("reply", "5"),
                                                                  ("end", "")]


def test_push_refusals(gateway):
    assert gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "x", "type": "shout"})[1]["error"] == "invalid_field"
    assert gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"type": "notify"})[1]["error"] == "missing_field"
    status, body = gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "Ж" * 81})
    assert (status, body["error"]) == (400, "ussd_too_long")
    assert gateway.post("/api/v1/handsets/79990000000/ussd/push", {"text": "x"})[0] == 404
    assert gateway.get("/api/v1/handsets/79990000000/ussd")[0] == 404
    gateway.ussd(B, "*105#")
    assert gateway.post(f"/api/v1/handsets/{B}/ussd/push", {"text": "x"})[0] == 409


def test_open_dialogue_screen_release_and_records(gateway):
    opened = gateway.ussd(A, "*105#")
    assert gateway.get(f"/api/v1/handsets/{A}/ussd") == (200, opened)
    _, dialogues = gateway.get(f"/api/v1/handsets/{A}/dialogues")
    assert (dialogues[0]["id"], dialogues[0]["outcome"], dialogues[0]["ended_at"]) == (opened["session_id"], "open", None)
    assert gateway.request("DELETE", f"/api/v1/handsets/{A}/ussd")[0] == 204
    assert gateway.get(f"/api/v1/handsets/{A}/ussd") == (204, None)
    status, record = gateway.get(f"/api/v1/dialogues/{opened['session_id']}")
    assert status == 200 and record["outcome"] == "released" and record["transport"] == "http"
    assert [s["kind"] for s in record["steps"]] == ["dial", "screen", "release"]
    assert gateway.get(f"/api/v1/handsets/{A}/dialogues?limit=0")[0] == 400
    assert gateway.get("/api/v1/dialogues/0123abcd")[1]["error"] == "unknown_dialogue"
    assert gateway.get("/api/v1/handsets/79990000000/dialogues")[0] == 404


def test_scenario_export_replays_the_dialogue(gateway):
    first = gateway.ussd(A, "*105#")
    wrong = gateway.ussd(A, "8")
    last = gateway.ussd(A, "*105*00#")
    with urllib.request.urlopen(f"{gateway.base}/api/v1/dialogues/{first['session_id']}/scenario", timeout=10) as r:
        assert r.headers["content-type"].startswith("application/yaml")
        steps = yaml.safe_load(r.read().decode())
    # The new dial released the first dialogue: its scenario ends with the release.
    assert steps == [{"dial": "*105#"}, {"expect": first["text"]}, {"reply": "8"}, {"expect": wrong["text"]},
                     {"release": True}]
    with urllib.request.urlopen(f"{gateway.base}/api/v1/dialogues/{last['session_id']}/scenario", timeout=10) as r:
        assert yaml.safe_load(r.read().decode()) == [{"dial": "*105*00#"}, {"expect": last["text"]}]
