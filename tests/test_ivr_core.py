"""Keypad digit collection of the voice menu, pure."""

from __future__ import annotations

from dataclasses import replace

import pytest

from gateway.actions import CATALOGUE
from gateway.ivr.errors import InvalidDtmf
from gateway.ivr.session import check_digits, new_call, press
from menus.engine import Cursor
from menus.loader import load
from tests.test_menus import ROOT

MENUS = load(str(ROOT / "menus.yaml"), CATALOGUE)


def test_menu_keys_answer_one_by_one():
    call = replace(new_call("79261234567", "0505"), cursor=Cursor("voice_main", "ru"))
    call, answer = press(MENUS, call, "2")
    assert answer == "2" and call.path == ("2",)


def test_r04_input_collects_until_hash_and_masks_the_secret():
    call = replace(new_call("79261234567", "0505"), cursor=Cursor("voice_type_password", "ru"))
    answers = []
    for key in "9080706#":
        call, answer = press(MENUS, call, key)
        answers.append(answer)
        assert repr(call) == f"Call({call.call_id}, 79261234567->0505, active)"  # never the buffer
    assert answers == [None] * 7 + ["9080706"]
    assert call.path == ("*",) * 7 + ("#",)
    assert call.buffer == ""


@pytest.mark.parametrize("bad", ["", "1x", "12 3", None, 5, "E"])
def test_bad_dtmf_is_refused(bad):
    with pytest.raises(InvalidDtmf):
        check_digits(bad)


def test_all_keypad_tones_are_accepted():
    assert check_digits("0123456789*#ABCD") == "0123456789*#ABCD"
