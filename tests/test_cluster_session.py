"""USSD dialogues as data for the shared store (gateway/ussd/session.py), secrets left out."""

from __future__ import annotations

import json
import math

import pytest

from gateway.actions import CATALOGUE
from gateway.app import beside_checkout
from gateway.cluster.dialogues import secret_inputs
from gateway.ussd.events import Phase, Server
from gateway.ussd.session import Dialogues, dialogue_of, state_of
from menus.engine import Cursor
from menus.loader import load


def opened():
    table = Dialogues(screen_timeout=30.0, dialogue_limit=180.0)
    d = table.open("79261234567", "105", 100.0, server=Server.MENUS, locale="en")
    cursor = Cursor(node="corp_cabinet", locale="en", values=(("corp_password", "S3cret!pw"), ("amount", "150.00")),
                    trail=("main", "corp_menu"), choices=(("1", "one"),), pages=("rest",), ending=False)
    table.shown(d, "Cabinet", 101.0, cursor)
    d.record(101.0, "screen", "Cabinet")
    return table, d


def test_a_dialogue_goes_through_json_and_back_whole():
    _, d = opened()
    state = json.loads(json.dumps(state_of(d)))
    back = dialogue_of(state)
    for name in ("session_id", "msisdn", "service_code", "server", "initiator", "locale", "started_at",
                 "phase", "deadline", "cursor", "screen", "history", "steps", "transport", "app", "its_session"):
        assert getattr(back, name) == getattr(d, name), name
    assert back.phase is Phase.HANDSET and back.terminal is None


def test_secret_values_stay_out_and_must_be_given_back():
    _, d = opened()
    state = state_of(d, {"corp_password"})
    assert "S3cret!pw" not in json.dumps(state)
    assert state["secrets"] == ["corp_password"]
    with pytest.raises(KeyError):
        dialogue_of(state)  # another node: the secret is not there
    back = dialogue_of(state, {"corp_password": "S3cret!pw"})  # the node it was typed on
    assert dict(back.cursor.values) == dict(d.cursor.values)


def test_a_network_phase_without_deadline_keeps_infinity():
    table = Dialogues()
    d = table.open("79261234567", "105", 5.0)
    state = json.loads(json.dumps(state_of(d)))
    assert state["deadline"] is None and math.isinf(dialogue_of(state).deadline)


def test_adopt_replaces_the_handsets_dialogue():
    table, d = opened()
    moved = dialogue_of(state_of(d))
    assert table.adopt(moved) is d
    assert table.get(d.msisdn) is moved and len(table) == 1


def test_the_menus_secret_inputs_are_found():
    menus = load(beside_checkout("menus.yaml"), CATALOGUE)
    assert {"corp_password", "answer"} <= secret_inputs(menus)
