"""A fresh gateway for one scenario, in this process: the Gateway of gateway/app.py on port 0
with a test clock and a temporary SQLite store, removed afterwards.

The runner's HTTP client blocks, so the reactor runs in a daemon thread of its own, started
once per process (a Twisted reactor cannot be restarted), and the runner stays on the
calling thread; each gateway is built, started and stopped on the reactor thread.
docs/scenarios.md has the measurements that chose this over a child `gateway run`.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace

START_TIMEOUT = 60.0
STOP_TIMEOUT = 15.0

_lock = threading.Lock()
_reactor = None


class GatewayFailed(Exception):
    """The gateway did not start (or stop) in time; the message says why."""


@contextmanager
def fresh_gateway() -> Iterator[str]:
    """Start a gateway with a test clock; yields its base URL, stops it and removes its store after."""
    from gateway.app import Gateway
    from gateway.config import ConfigError, load_config

    reactor = _running_reactor()
    workdir = tempfile.mkdtemp(prefix="gateway-scenario-")
    try:
        # GATEWAY_* settings apply as to `gateway run`; where it listens and stores is ours.
        config = replace(load_config(os.environ.get("GATEWAY_CONFIG")), test_clock=True, host="127.0.0.1", http_port=0, smpp_port=0,
                         sip_port=0, data_dir=os.path.join(workdir, "var"), db=None, redis=None)
    except ConfigError as error:
        shutil.rmtree(workdir, ignore_errors=True)
        raise GatewayFailed(str(error)) from error
    os.makedirs(config.data_dir)
    gateway: list[Gateway] = []

    def start() -> str:
        gateway.append(Gateway(config, reactor))
        http = next(item for item in gateway[0].start() if item.name == "http")
        return f"http://{http.host}:{http.port}"

    try:
        yield _on_reactor(reactor, start, START_TIMEOUT, "start")
    finally:
        try:
            if gateway:
                _on_reactor(reactor, gateway[0].stop, STOP_TIMEOUT, "stop")
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


def _running_reactor():
    """The global reactor, running in a daemon thread from the first call on."""
    global _reactor
    with _lock:
        if _reactor is None:
            from twisted.internet import reactor
            from twisted.logger import STDLibLogObserver, globalLogBeginner

            # Twisted's own events (an unhandled error in a Deferred) to the logging module, as in `gateway run`.
            globalLogBeginner.beginLoggingTo([STDLibLogObserver()], redirectStandardIO=False)
            threading.Thread(target=reactor.run, kwargs={"installSignalHandlers": False},
                             name="scenario-gateway-reactor", daemon=True).start()
            _reactor = reactor
    return _reactor


def _on_reactor(reactor, work: Callable[[], object], timeout: float, what: str):
    """Run `work` on the reactor thread and wait for it (or the Deferred it returns)."""
    from twisted.internet.defer import maybeDeferred

    done = threading.Event()
    outcome: dict[str, object] = {}

    def run() -> None:
        d = maybeDeferred(work)
        d.addCallbacks(lambda value: outcome.update(value=value), lambda failure: outcome.update(failure=failure))
        d.addBoth(lambda _: done.set())

    reactor.callFromThread(run)
    if not done.wait(timeout):
        raise GatewayFailed(f"the gateway did not {what} within {timeout:.0f} s")
    if "failure" in outcome:
        failure = outcome["failure"]
        raise GatewayFailed(f"the gateway did not {what}: {failure.getErrorMessage()}") from failure.value
    return outcome.get("value")
