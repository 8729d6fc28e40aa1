"""Menu engine speed: steps per second and microseconds per rendered screen.

Run: .venv/bin/python bench/menus.py [--steps N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from gateway.actions import CATALOGUE  # noqa: E402
from menus import engine  # noqa: E402
from menus.loader import load  # noqa: E402
from menus.schema import Channel  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Walks a subscriber makes: key sequences from *105# and from the voice menu.
WALKS = [
    (Channel.USSD, "main", ["1"]),
    (Channel.USSD, "main", ["3", "1"]),
    (Channel.USSD, "main", ["9", "3", "0", "00", "2"]),
    (Channel.VOICE, "voice_main", ["2", "12345678"]),
    (Channel.VOICE, "voice_main", ["4", "2"]),
]


def walk(menus, channel, root, keys, locale) -> int:
    steps = 0
    outcome = engine.start(menus, root, locale, channel)
    for key in keys:
        while isinstance(outcome, engine.Act):
            outputs = {name: "300.00" for name in CATALOGUE.actions.get(outcome.action, {})}
            outcome = engine.resume(menus, outcome, outputs)
        if outcome.ended:
            break
        outcome = engine.step(menus, outcome.cursor, key)
        steps += 1
    return steps


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=200_000)
    args = parser.parse_args()
    menus = load(os.path.join(ROOT, "menus.yaml"), CATALOGUE)
    steps = 0
    began = time.perf_counter()
    while steps < args.steps:
        for channel, root, keys in WALKS:
            for locale in ("ru", "en"):
                steps += walk(menus, channel, root, keys, locale)
    elapsed = time.perf_counter() - began

    node = menus.nodes["main"]
    cursor = engine.Cursor(node="main", locale="ru", trail=("x",))
    renders = 50_000
    began = time.perf_counter()
    for _ in range(renders):
        engine._menu_pages(menus, node, cursor, "")
    per_screen = (time.perf_counter() - began) / renders * 1e6

    print(f"{'measure':<34} {'value':>12}")
    print(f"{'engine steps per second':<34} {steps / elapsed:>12,.0f}")
    print(f"{'µs per rendered USSD menu screen':<34} {per_screen:>12.1f}")


if __name__ == "__main__":
    main()
