"""The node's link to Redis: blocking redis-py calls on threads of their own, one listener
thread for pub/sub handing each message to the reactor, reconnection with backoff.

Why threads: the gateway runs Twisted's default reactor, so an asyncio client cannot be
driven; redis-py is blocking and thread-safe through its connection pool. Calls go to a
small pool (`run`), never to the store's threads nor the reactor's default pool.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Callable

import redis
from twisted.internet.defer import Deferred
from twisted.internet.threads import deferToThreadPool
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from gateway.cluster.errors import EVENTS, Unavailable

log = logging.getLogger(__name__)
DOWN = (redis.ConnectionError, redis.TimeoutError, OSError)
BACKOFF_FIRST, BACKOFF_MAX = 0.1, 5.0  # seconds between reconnection attempts, doubling


class RedisLink:
    """`run(fn, *args)` calls `fn(client, *args)` on a Redis thread; `listen` hands every
    message of the subscribed channels (JSON objects) to `on_message` on the reactor."""

    def __init__(self, reactor, url: str, channels: list[str], on_message: Callable[[dict], None],
                 on_connected: Callable[[], None] = lambda: None, threads: int = 4) -> None:
        self._reactor = reactor
        self.url = url
        self.client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=2,
                                           health_check_interval=5, decode_responses=True)
        self._channels = channels
        self._on_message = on_message
        self._on_connected = on_connected
        self._pool = ThreadPool(minthreads=1, maxthreads=threads, name="redis")
        self._stopping = threading.Event()
        self._listener: threading.Thread | None = None
        self.listening = False  # the pub/sub connection is up (read on the reactor thread)

    def start(self) -> None:
        self._pool.start()
        self._listener = threading.Thread(target=self._listen, name="redis-listener", daemon=True)
        self._listener.start()

    def stop(self) -> None:
        self._stopping.set()
        self._pool.stop()
        if self._listener is not None:
            self._listener.join(timeout=5)
        self.client.close()

    def run(self, fn: Callable, *args, code: str = EVENTS) -> Deferred:
        """`fn(client, *args)` on a Redis thread; a Redis outage fails it with Unavailable(code)."""
        d = deferToThreadPool(self._reactor, self._pool, fn, self.client, *args)
        return d.addErrback(self._unavailable, code)

    def publish(self, channel: str, message: dict) -> Deferred:
        return self.run(lambda client: client.publish(channel, json.dumps(message, separators=(",", ":"))))

    def _unavailable(self, failure: Failure, code: str) -> Failure:
        if failure.check(*DOWN):
            raise Unavailable(code, f"redis at {self._where()} does not answer: {failure.getErrorMessage()}")
        return failure

    def _where(self) -> str:
        kwargs = self.client.connection_pool.connection_kwargs
        return f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"

    def _listen(self) -> None:
        """The listener thread: subscribe, hand messages over, reconnect after an outage."""
        backoff = BACKOFF_FIRST
        while not self._stopping.is_set():
            pubsub = self.client.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(*self._channels)
                self._reactor.callFromThread(self._connected)
                backoff = BACKOFF_FIRST
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=1.0)
                    if message is not None and message["type"] == "message":
                        self._reactor.callFromThread(self._deliver, message["data"])
            except DOWN as error:
                self._reactor.callFromThread(self._lost, str(error), backoff)
                self._stopping.wait(backoff)
                backoff = min(backoff * 2, BACKOFF_MAX)
            finally:
                with contextlib.suppress(*DOWN):
                    pubsub.close()

    def _connected(self) -> None:
        if not self.listening:
            log.info("redis %s: listening for the other nodes", self._where())
        self.listening = True
        self._on_connected()

    def _lost(self, reason: str, retry_in: float) -> None:
        if self.listening or retry_in == BACKOFF_FIRST:
            log.error("redis %s lost: %s; reconnecting (events from other nodes wait)", self._where(), reason)
        self.listening = False

    def _deliver(self, data: str) -> None:
        try:
            message = json.loads(data)
        except ValueError:
            log.warning("redis: a message that is not JSON ignored")
            return
        try:
            self._on_message(message)
        except Exception:
            log.exception("redis: handling a %s message failed", message.get("kind"))
