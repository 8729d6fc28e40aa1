"""The captcha of the corporate login (R32): a small sum to work out, reproducible from a seed.

The challenge shows `37 + 48`; the answer `85` is never shown and only its hash is stored.
The generator takes its randomness as an argument, so a test seeds it and a real login
passes a system random source.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Challenge:
    id: str  # hex, names the challenge the answer belongs to
    prompt: str  # what the login form shows


def generate(rng: random.Random) -> tuple[Challenge, str]:
    """A new challenge and its answer; the same seed gives the same pair."""
    first, second = rng.randint(10, 99), rng.randint(10, 99)
    challenge = Challenge(id=f"{rng.getrandbits(64):016x}", prompt=f"{first} + {second}")
    return challenge, str(first + second)


def normalise_answer(answer: str) -> str:
    """What is compared: the answer without surrounding spaces."""
    return answer.strip()
