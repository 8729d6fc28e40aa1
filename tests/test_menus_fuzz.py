"""Random mutations of menus.yaml and random keys: lint never crashes; a file it passes
never crashes the engine, never shows a USSD screen over its limit, always ends or waits."""

from __future__ import annotations

import copy
import os
import tempfile

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gateway.actions import CATALOGUE
from menus import engine, screen
from menus.loader import lint, load
from menus.schema import Channel
from tests.test_menus import ROOT

BASE = yaml.safe_load((ROOT / "menus.yaml").read_text(encoding="utf-8"))
NODE_IDS = sorted(BASE["nodes"])
words = st.text(alphabet="абвгдежзийклмнопрстуфхцчшщыэюяABCxyz0123456789 .,!€{}\n", max_size=120)

mutation = st.one_of(
    st.tuples(st.just("text"), st.sampled_from(NODE_IDS), st.sampled_from(["ru", "en"]), words),
    st.tuples(st.just("goto"), st.sampled_from(NODE_IDS), st.integers(0, 5), st.sampled_from([*NODE_IDS, "nowhere"])),
    st.tuples(st.just("key"), st.sampled_from(NODE_IDS), st.integers(0, 5), st.sampled_from(["0", "1", "7", "99", "*", "x"])),
    st.tuples(st.just("drop_item"), st.sampled_from(NODE_IDS), st.integers(0, 5), st.none()),
    st.tuples(st.just("type"), st.sampled_from(NODE_IDS), st.sampled_from(["menu", "end", "input", "list", "bogus"]), st.none()),
    st.tuples(st.just("drop_text"), st.sampled_from(sorted(BASE["texts"])), st.none(), st.none()),
)


def mutate(data: dict, change: tuple) -> None:
    kind, target, where, value = change
    if kind == "drop_text":
        data["texts"].pop(target, None)
        return
    node = data["nodes"][target]
    items = node.get("items") or []
    if kind == "text":
        node.setdefault("text", {})[where] = value
    elif kind == "type":
        node["type"] = where
    elif items and kind in ("goto", "key", "drop_item"):
        item = items[where % len(items)]
        if kind == "goto":
            item["goto"] = value
        elif kind == "key":
            item["key"] = value
        else:
            items.remove(item)


def fake_outputs(act: engine.Act, draw_items: int) -> dict:
    outputs = {name: out.worst() for name, out in CATALOGUE.actions.get(act.action, {}).items()}
    outputs["items"] = [(f"v{n}", f"Пункт {n}") for n in range(draw_items)]
    return outputs


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(mutation, max_size=4), st.lists(st.sampled_from(["1", "2", "3", "4", "5", "0", "00", "99", "*", "123456", "9"]),
                                                  max_size=10), st.integers(0, 15))
def test_mutated_menus_are_refused_or_safe(changes, keys, list_size):
    data = copy.deepcopy(BASE)
    for change in changes:
        mutate(data, change)
    handle, path = tempfile.mkstemp(suffix=".yaml")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            yaml.safe_dump(data, out, allow_unicode=True)
        problems = lint(path, CATALOGUE)
        event("refused by lint" if problems else "accepted")
        if problems:
            assert all(p.file == path and p.line >= 0 and p.message for p in problems)
            return
        menus = load(path, CATALOGUE)
    finally:
        os.unlink(path)
    roots = [(s.root, Channel.USSD) for s in menus.ussd.values()] + [(menus.voice.root, Channel.VOICE)]
    for root, channel in roots:
        for locale in menus.locales:
            outcome = engine.start(menus, root, locale, channel)
            for key in [*keys, None]:
                while isinstance(outcome, engine.Act):
                    outcome = engine.resume(menus, outcome, fake_outputs(outcome, list_size))
                assert outcome.text
                if channel is Channel.USSD:
                    used, limit = screen.size(outcome.text)
                    assert used <= limit, outcome.text
                assert outcome.ended == (outcome.cursor is None)
                if outcome.ended or key is None:
                    break
                outcome = engine.step(menus, outcome.cursor, key)
