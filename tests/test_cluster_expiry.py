"""The Lua scripts that decide in Redis which node's copy of a USSD dialogue ends it (and
records it), run on a private redis-server."""

from __future__ import annotations

import json

import pytest

from gateway.cluster.dialogues import CLAIM_EXPIRY, CLAIM_LOST, dialogue_key, ended_key

KEY = dialogue_key("79261234567")
KEEP = 210_000  # ms: the dialogue limit and its grace


@pytest.fixture
def claim(redis_client):
    script = redis_client.register_script(CLAIM_EXPIRY)

    def decide(session, version, node="a"):
        return script(keys=[KEY, ended_key(session)], args=[session, version, node, KEEP])

    return redis_client, decide


def test_the_current_copy_ends_it_and_marks_it_ended_once(claim):
    client, decide = claim
    client.set(KEY, json.dumps({"session_id": "s1", "version": 3, "screen": "..."}), ex=100)
    assert decide("s1", 3) == 1
    assert json.loads(client.get(KEY)) == {"session_id": "s1", "ended": True, "version": 3, "marks": True}
    assert client.ttl(KEY) > 0  # the dialogue's TTL is kept
    assert client.get(ended_key("s1")) == "a" and client.pttl(ended_key("s1")) > 0
    assert decide("s1", 3, "b") == 0  # a second node with the same copy: already ended


def test_an_older_copy_is_not_this_nodes_to_end(claim):
    client, decide = claim
    client.set(KEY, json.dumps({"session_id": "s1", "version": 4}))
    assert decide("s1", 3) == 0
    assert json.loads(client.get(KEY))["version"] == 4 and "ended" not in json.loads(client.get(KEY))
    assert client.get(ended_key("s1")) is None


def test_a_copy_of_another_session_is_ended_once_unless_its_ender_marked_it(claim):
    client, decide = claim
    client.set(KEY, json.dumps({"session_id": "s2", "version": 1, "marks": True}))
    client.set(ended_key("s0"), "b")  # node b ended s0 (and recorded it) before s2 was written
    assert decide("s0", 9) == 0
    assert decide("s1", 2) == 2  # nobody ended s1: Redis lost it, this node records it
    assert decide("s1", 1, "b") == 0  # b's older copy of s1: a's already
    assert json.loads(client.get(KEY)) == {"session_id": "s2", "version": 1, "marks": True}  # left alone


def test_a_state_written_by_a_node_that_does_not_mark_is_taken_as_having_ended_the_copy(claim):
    client, decide = claim
    client.set(KEY, json.dumps({"session_id": "s2", "version": 1}))  # an older release's node
    assert decide("s1", 2) == 0
    assert client.get(ended_key("s1")) is None


def test_with_the_key_gone_the_first_copy_to_claim_ends_it(claim):
    _, decide = claim
    assert decide("s1", 1) == 1  # Redis restarted empty: the node whose copy it is times it out
    assert decide("s1", 2, "b") == 0  # another node's copy of the same dialogue: once across nodes
    assert decide("s1", 1) == 1  # asked again by the node holding the mark


def test_a_lost_copy_is_claimed_by_one_node(redis_client):
    script = redis_client.register_script(CLAIM_LOST)
    assert script(keys=[ended_key("s1")], args=["a", KEEP]) == 1
    assert script(keys=[ended_key("s1")], args=["a", KEEP]) == 1
    assert script(keys=[ended_key("s1")], args=["b", KEEP]) == 0
