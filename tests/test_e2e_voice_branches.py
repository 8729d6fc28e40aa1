"""Every branch of the 0505 voice menu, found in menus.yaml and walked over the API.

Each path from the voice menu's root to an action is pressed on a fresh subscriber's
call: menu keys, `1` for a list's first entry and for a confirmation, sample values
typed and ended with `#` at inputs. The action must run: its own text is heard, never
the invalid-input or invalid-choice re-prompt and never the generic failure.
"""

from __future__ import annotations

from pathlib import Path

from gateway.actions import CATALOGUE
from menus.loader import load
from menus.schema import InputKind, Kind, MenuSet

ROOT = Path(__file__).resolve().parent.parent
MENUS = load(str(ROOT / "menus.yaml"), CATALOGUE)
OLD_NUMBER = "79261112233"  # a demo subscriber, 400 days old
SAMPLES = {InputKind.DIGITS: "24681357", InputKind.NUMBER: "79261112233"}


def sample(kind: InputKind, low: int, high: int) -> str:
    if kind is InputKind.AMOUNT:
        return str(min(max(low, 100), high))
    return SAMPLES[kind]


def branches(menus: MenuSet) -> list[tuple[str, str]]:
    """(action or list node, keys) for every one reachable from the voice root, by its first path."""
    found: dict[str, str] = {}
    stack: list[tuple[str, str, frozenset]] = [(menus.voice.root, "", frozenset())]
    while stack:
        node_id, keys, path = stack.pop()
        if node_id in path:
            continue  # back to a menu on the way here
        path = path | {node_id}
        node = menus.nodes[node_id]
        if node.kind in (Kind.ACTION, Kind.LIST):
            found.setdefault(node_id, keys)
        if node.kind is Kind.MENU:
            stack.extend((item.goto, keys + item.key, path) for item in node.items)
        elif node.kind is Kind.INPUT:
            rule = node.input
            stack.append((node.next, keys + sample(rule.kind, rule.min, rule.max) + "#", path))
        elif node.kind in (Kind.LIST, Kind.CONFIRM):
            stack.append((node.next, keys + "1", path))
        elif node.next:
            stack.append((node.next, keys, path))
    return sorted(found.items())


def test_the_walk_reaches_every_action_of_the_voice_menu():
    actions = {MENUS.nodes[node].action for node, _ in branches(MENUS)}
    reachable = set()
    seen, stack = set(), [MENUS.voice.root]
    while stack:
        node = MENUS.nodes[stack.pop()]
        if node.id in seen:
            continue
        seen.add(node.id)
        if node.action:
            reachable.add(node.action)
        stack.extend(i.goto for i in node.items)
        if node.next:
            stack.append(node.next)
    assert actions == reachable and len(actions) >= 15


def test_every_branch_of_the_voice_menu_runs_its_action(gateway):
    failures = []
    for number, (node_id, keys) in enumerate(branches(MENUS)):
        msisdn = f"792630000{number:02d}"
        assert gateway.post("/api/v1/subscribers", {"msisdn": msisdn, "balance": "1000.00"})[0] == 201
        if node_id == "voice_take_promised":  # R19 credits only numbers served for a while
            msisdn = OLD_NUMBER
        if node_id == "voice_unblock":  # unblocking needs a blocked SIM first
            gateway.post(f"/api/v1/handsets/{msisdn}/calls", {"to": "0505"})
            gateway.ussd(msisdn, "*105*7*3*1#")
        status, call = gateway.post(f"/api/v1/handsets/{msisdn}/calls", {"to": "0505"})
        assert status == 201, call
        status, call = gateway.post(f"/api/v1/calls/{call['call_id']}/dtmf", {"digits": keys})
        assert status == 200, call
        heard = call["prompt"]
        bad = [t for t in ("Неверный выбор", "Неверный ввод", "Операция не выполнена") if t in heard]
        if bad or not heard:
            failures.append(f"{node_id} via {keys}: {heard!r}")
    assert not failures, "\n".join(failures)
