"""Per-account throughput: the token bucket on an injected clock, and the service's answer."""

from __future__ import annotations

import pytest
from twisted.internet import task

from gateway.sms.throttle import TokenBucket
from gateway.sms.validity import validity_end


def test_bucket_allows_a_second_of_burst_then_refuses_until_time_passes():
    clock = task.Clock()
    bucket = TokenBucket(5, clock.seconds())
    assert [bucket.take(clock.seconds()) for _ in range(6)] == [True] * 5 + [False]
    clock.advance(0.1)
    assert not bucket.take(clock.seconds())  # half a token
    clock.advance(0.1)
    assert bucket.take(clock.seconds()) and not bucket.take(clock.seconds())


def test_bucket_never_saves_more_than_its_burst():
    clock = task.Clock()
    bucket = TokenBucket(2, clock.seconds())
    clock.advance(3600)
    assert [bucket.take(clock.seconds()) for _ in range(3)] == [True, True, False]


def test_slow_rate_still_lets_one_message_through():
    clock = task.Clock()
    bucket = TokenBucket(0.5, clock.seconds())
    assert bucket.take(clock.seconds()) and not bucket.take(clock.seconds())
    clock.advance(1.9)
    assert not bucket.take(clock.seconds())
    clock.advance(0.1)
    assert bucket.take(clock.seconds())


def test_a_throughput_must_be_positive():
    with pytest.raises(ValueError):
        TokenBucket(0, 0.0)


def test_relative_validity_period():
    assert validity_end("000001020304000R", 1000.0) == 1000.0 + 86400 + 2 * 3600 + 3 * 60 + 4


def test_absolute_validity_period_with_its_utc_offset():
    # 2026-11-25 18:00:00.0 at UTC+3 (12 quarter hours ahead) is 15:00 UTC.
    assert validity_end("261125180000012+", 0.0) == 1795618800.0
    assert validity_end("", 5.0) is None


@pytest.mark.parametrize("bad", ["26112518", "2611251800000120", "261325180000012+", "abcdefabcdefabc+"])
def test_malformed_validity_period_is_refused(bad):
    with pytest.raises(ValueError):
        validity_end(bad, 0.0)


def test_config_reads_account_limits_and_the_sms_simulation(tmp_path):
    from gateway.config import load_config
    from gateway.sms.simulation import Behaviour

    path = tmp_path / "gateway.yaml"
    path.write_text(
        "smpp:\n  accounts:\n"
        "    - {system_id: app, password: p, role: application, owns: ['7000'], throughput: 50, window: 3, max_binds: 2}\n"
        "simulation:\n  sms:\n    '79261112233': {delay: 5}\n    '*': {failure_rate: 0.5, error_code: 34}\n",
        encoding="utf-8",
    )
    config = load_config(str(path))
    [app] = config.accounts
    assert (app.throughput, app.window, app.max_binds) == (50.0, 3, 2)
    assert config.sms_simulation == {"79261112233": Behaviour(delay=5), "*": Behaviour(failure_rate=0.5, error_code=34)}


def test_config_refuses_a_bad_simulation_with_the_file_named(tmp_path):
    from gateway.config import ConfigError, load_config

    path = tmp_path / "gateway.yaml"
    path.write_text("simulation:\n  sms:\n    '*': {failure_rate: 3}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="simulation.sms"):
        load_config(str(path))


def test_simulation_fails_the_configured_share_with_a_seeded_rng():
    import random

    from gateway.sms.simulation import DEFAULT, Behaviour, Simulation

    simulation = Simulation({DEFAULT: Behaviour(failure_rate=0.5, error_code=11)}, random.Random(7))
    fates = [simulation.fate("79261234567") for _ in range(1000)]
    assert set(fates) == {None, 11} and 400 < fates.count(11) < 600
    simulation.set("79261234567", Behaviour())
    assert simulation.fate("79261234567") is None
