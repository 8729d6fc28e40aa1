"""A Redis outage under two real nodes: clear 503s and log lines meanwhile, nothing stored is
lost (an MO held for a bind on the other node arrives after), and everything crosses nodes
again once Redis is back (an empty one: no persistence)."""

from __future__ import annotations

import json
import time

from tests.clusterkit import WAIT, RedisServer, start_node
from tests.test_e2e_multinode import APP_NUMBER, A, B, next_deliver
from tests.test_e2e_smpp_receipts import bind, text_of
from tests.test_events_e2e import events_of


def test_redis_outage_answers_503_and_recovers(tmp_path, pg_url):
    redis_server = RedisServer()
    redis_server.start()
    a = start_node(tmp_path, "a", pg_url, redis_server.url)
    b = start_node(tmp_path, "b", pg_url, redis_server.url)
    app = bind(b, "app", "app", "receiver")
    try:
        opened = a.ussd(A, "*105#")
        redis_server.kill()

        # Meanwhile: dialogues cannot be read or shared, and the API says so.
        status, body = b.post(f"/api/v1/handsets/{A}/ussd", {"input": "1"})
        assert (status, body["error"]) == (503, "store_unavailable"), body
        status, body = a.post(f"/api/v1/handsets/{B}/ussd", {"input": "*105#"})
        assert (status, body["error"]) == (503, "store_unavailable"), body
        # An MO to the application bound on B is stored (held) though B cannot be told now.
        status, body = a.post(f"/api/v1/handsets/{A}/sms", {"to": APP_NUMBER, "text": "during"})
        assert status == 202, body
        # What needs only the store goes on: the SMS is stored and in the inbox.
        status, sent = a.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "во время сбоя"})
        assert status == 202
        assert b.inbox(B)[-1]["text"] == "во время сбоя"

        redis_server.start()  # the same port, empty
        # B looks for what waits for its binds once it is subscribed again: the MO arrives.
        assert text_of(next_deliver(app)) == "during"
        # Dialogues cross nodes again at once (each request connects afresh).
        again = a.ussd(A, "*105#")
        assert again["session_id"] != opened["session_id"]
        assert b.ussd(A, "1")["session_id"] == again["session_id"]
        # Events: once the listeners subscribed again (backoff up to 5 s), they arrive.
        with events_of(b, B) as socket:
            deadline = time.monotonic() + WAIT
            while True:
                assert time.monotonic() < deadline, "events never crossed nodes after the outage"
                assert a.post(f"/api/v1/handsets/{A}/sms", {"to": B, "text": "после сбоя"})[0] == 202
                try:
                    event = json.loads(socket.recv(timeout=1.0))
                except TimeoutError:
                    continue
                if event["type"] == "sms":
                    break
        assert event["text"] == "после сбоя"
        # B registered its application bind again: MO at A reaches it.
        deadline = time.monotonic() + WAIT
        while (status := a.post(f"/api/v1/handsets/{A}/sms", {"to": APP_NUMBER, "text": "after"})[0]) != 202:
            assert status == 409 and time.monotonic() < deadline
        assert text_of(next_deliver(app)) == "after"
    finally:
        app.unbind()
        app.disconnect()
        a.stop()
        b.stop()
        if redis_server.process is not None and redis_server.process.poll() is None:
            redis_server.kill()
    for node in (a, b):
        log = node.log()
        assert f"redis 127.0.0.1:{redis_server.port} lost" in log
        assert "Traceback" not in log


