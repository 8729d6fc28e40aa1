"""What the simulated network does to MT from applications: per-destination delay, failures."""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

DEFAULT = "*"  # the destination key of the settings every other destination gets


@dataclass(frozen=True)
class Behaviour:
    """How the network treats messages to one destination."""

    delay: float = 0.0  # seconds an MT waits in the SMSC (ENROUTE) before it reaches the handset
    failure_rate: float = 0.0  # share of MT that fail (UNDELIV) instead of reaching the handset
    error_code: int = 0  # the `err:` of a failed one's receipt (and query_sm error_code)

    def __post_init__(self) -> None:
        if not (isinstance(self.delay, int | float) and 0 <= self.delay <= 7 * 86400):
            raise ValueError("delay: seconds from 0 to 604800")
        if not (isinstance(self.failure_rate, int | float) and 0 <= self.failure_rate <= 1):
            raise ValueError("failure_rate: a share from 0 to 1")
        if not (isinstance(self.error_code, int) and 0 <= self.error_code <= 999):
            raise ValueError("error_code: an integer from 0 to 999")

    def as_json(self) -> dict:
        return asdict(self)


NORMAL = Behaviour()  # no delay, no failures


class Simulation:
    """Behaviour by destination MSISDN (`*` for the rest); `rng` decides each failure."""

    def __init__(self, behaviours: dict[str, Behaviour] | None = None, rng: random.Random | None = None) -> None:
        self._behaviours = dict(behaviours or {})
        self._rng = rng or random.Random()

    def behaviour(self, destination: str) -> Behaviour:
        return self._behaviours.get(destination) or self._behaviours.get(DEFAULT) or NORMAL

    def set(self, destination: str, behaviour: Behaviour) -> None:
        self._behaviours[destination] = behaviour

    def clear(self, destination: str) -> bool:
        return self._behaviours.pop(destination, None) is not None

    def fate(self, destination: str) -> int | None:
        """The error code a message to `destination` fails with this time, or None."""
        b = self.behaviour(destination)
        if b.failure_rate and self._rng.random() < b.failure_rate:
            return b.error_code
        return None

    def as_json(self) -> dict:
        return {d: b.as_json() for d, b in sorted(self._behaviours.items())}
