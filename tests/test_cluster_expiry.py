"""The Lua script that decides in Redis which node's copy of a USSD dialogue times it out,
run on a private redis-server."""

from __future__ import annotations

import json

import pytest

from gateway.cluster.dialogues import CLAIM_EXPIRY, dialogue_key
from tests.clusterkit import RedisServer

KEY = dialogue_key("79261234567")


@pytest.fixture
def claim():
    server = RedisServer()
    server.start()
    client = server.client()
    script = client.register_script(CLAIM_EXPIRY)
    yield client, lambda session, version: script(keys=[KEY], args=[session, version])
    client.close()
    server.kill()


def test_the_current_copy_ends_it_and_marks_it_ended_once(claim):
    client, decide = claim
    client.set(KEY, json.dumps({"session_id": "s1", "version": 3, "screen": "..."}), ex=100)
    assert decide("s1", 3) == 1
    assert json.loads(client.get(KEY)) == {"session_id": "s1", "ended": True, "version": 3}
    assert client.ttl(KEY) > 0  # the dialogue's TTL is kept
    assert decide("s1", 3) == 0  # a second node with the same copy: already ended


def test_an_older_copy_or_another_session_is_not_this_nodes_to_end(claim):
    client, decide = claim
    client.set(KEY, json.dumps({"session_id": "s1", "version": 4}))
    assert decide("s1", 3) == 0
    assert decide("s0", 9) == 0
    assert json.loads(client.get(KEY))["version"] == 4 and "ended" not in json.loads(client.get(KEY))


def test_with_the_key_gone_the_last_writer_ends_its_own(claim):
    _, decide = claim
    assert decide("s1", 1) == 1  # Redis restarted empty: the node whose copy it is times it out
