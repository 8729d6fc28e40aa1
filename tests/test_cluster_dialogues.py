"""Two in-process nodes sharing USSD dialogues through a private redis-server, and one SQLite
store: a copy a node drops is recorded exactly once across nodes, also when Redis restarted
empty (FLUSHDB) while a node held an open dialogue."""

from __future__ import annotations

import json
import logging

import pytest
from twisted.internet.defer import Deferred, fail, succeed

from gateway.cluster.dialogues import SharedDialogues, dialogue_key, ended_key
from menus.engine import Continuation
from tests.ussdkit import A, Harness

CON, END = Continuation.CONTINUE, Continuation.END


class SyncLink:
    """RedisLink's `run` on a real client, each call at once in the caller's thread (as
    ussdkit.SyncStore does for the store)."""

    def __init__(self, client) -> None:
        self.client = client

    def run(self, fn, *args, code: str = "") -> Deferred:
        try:
            return succeed(fn(self.client, *args))
        except Exception as error:  # noqa: BLE001 - handed to the Deferred like a thread's failure
            return fail(error)


class Node:
    """One gateway node: its own USSD service, table, timers and clock; Redis and the store shared."""

    def __init__(self, name: str, client) -> None:
        self.h = Harness(screen_timeout=30.0)
        self.shared = SharedDialogues(SyncLink(client), self.h.service, lambda: self.h.menus, self.h.clock, name)

    def ussd(self, msisdn: str, text: str):
        return self.h.ussd(msisdn, text)


@pytest.fixture
def nodes(redis_client, caplog):
    caplog.set_level(logging.INFO, logger="gateway")
    return Node("a", redis_client), Node("b", redis_client)


def tick(nodes, seconds: float) -> None:
    """The same time passes on every node."""
    for node in nodes:
        node.h.clock.advance(seconds)


def outcome(nodes, session_id: str) -> str:
    tick(nodes, 0)  # each node writes its records once per reactor turn
    return nodes[0].h.record(session_id)["outcome"]


def ends_logged(caplog, session_id: str) -> int:
    """How many times a node ended (and recorded) the dialogue, on any node."""
    return sum(1 for r in caplog.records
               if r.getMessage().startswith(f"ussd dialogue {session_id} of ") and " after " in r.getMessage())


def no_record_lost(caplog) -> bool:
    return not [r for r in caplog.records if "records not stored" in r.getMessage()]


def stored(client) -> dict:
    return json.loads(client.get(dialogue_key(A)))


# -- Redis lost the dialogue: the copy left on a node is recorded there ------------------------------

def test_a_copy_lost_with_redis_is_recorded_when_the_handset_comes_back_to_its_node(nodes, redis_client, caplog):
    a, b = nodes
    lost = a.ussd(A, "*105#")
    redis_client.flushdb()  # Redis restarted empty
    new = b.ussd(A, "*105#")  # B knows nothing of A's dialogue: a new one
    assert new.session_id != lost.session_id
    last = a.ussd(A, "1")  # A takes on B's dialogue, and ends its own copy first
    assert (last.session_id, last.continuation, last.text) == (new.session_id, END, "Баланс: 300.00 руб.")
    assert outcome(nodes, lost.session_id) == "released"
    assert outcome(nodes, new.session_id) == "completed"
    assert ends_logged(caplog, lost.session_id) == 1 and no_record_lost(caplog)


def test_a_copy_lost_with_redis_is_recorded_by_its_timer_without_touching_the_new_dialogue(nodes, redis_client,
                                                                                           caplog):
    a, b = nodes
    lost = a.ussd(A, "*105#")
    redis_client.flushdb()
    tick(nodes, 10)
    new = b.ussd(A, "*105#")
    tick(nodes, 20)  # A's copy runs out; the store holds B's dialogue, which did not end it
    assert len(a.h.dialogues) == 0
    assert outcome(nodes, lost.session_id) == "released"
    assert a.h.service.screen(A) is None  # no "session ended" for a handset busy with B's dialogue
    assert stored(redis_client)["session_id"] == new.session_id and "ended" not in stored(redis_client)
    last = b.ussd(A, "1")
    assert (last.session_id, last.continuation) == (new.session_id, END)
    assert ends_logged(caplog, lost.session_id) == 1 and no_record_lost(caplog)


def test_two_copies_lost_with_redis_time_out_once(nodes, redis_client, caplog):
    a, b = nodes
    lost = a.ussd(A, "*105#")
    assert b.ussd(A, "3").session_id == lost.session_id  # B moved it on: A's copy is older
    redis_client.flushdb()
    tick(nodes, 30)  # both copies run out; the key is gone: the first to claim it ends it
    assert len(a.h.dialogues) == len(b.h.dialogues) == 0
    assert outcome(nodes, lost.session_id) == "timed_out"
    assert ends_logged(caplog, lost.session_id) == 1 and no_record_lost(caplog)


def test_two_copies_lost_with_redis_are_recorded_once_when_the_handset_dials_again(nodes, redis_client, caplog):
    a, b = nodes
    lost = a.ussd(A, "*105#")
    b.ussd(A, "3")  # B holds the newer copy, A the older
    redis_client.flushdb()
    new = b.ussd(A, "*105#")  # B ends its copy (released), marks it, and opens a new dialogue
    assert a.ussd(A, "1").session_id == new.session_id  # A drops its older copy: B recorded it
    assert outcome(nodes, lost.session_id) == "released"
    assert ends_logged(caplog, lost.session_id) == 1 and no_record_lost(caplog)


def test_a_state_from_a_node_that_does_not_mark_is_taken_as_having_ended_the_copy(nodes, redis_client, caplog):
    a, b = nodes
    first = a.ussd(A, "*105#")
    b.ussd(A, "3")
    second = b.ussd(A, "*105#")  # B recorded the first
    state = stored(redis_client)
    state.pop("marks", None)  # as an older release's node writes it, without marking what it ended
    redis_client.delete(ended_key(first.session_id))
    redis_client.set(dialogue_key(A), json.dumps(state))
    assert a.ussd(A, "1").session_id == second.session_id
    assert ends_logged(caplog, first.session_id) == 1 and no_record_lost(caplog)


# -- Redis kept it: an older copy of a dialogue another node ended is dropped, not recorded again ------

def test_an_older_copy_of_a_dialogue_ended_elsewhere_is_dropped_on_the_next_request(nodes, redis_client, caplog):
    a, b = nodes
    first = a.ussd(A, "*105#")
    assert b.ussd(A, "3").session_id == first.session_id  # the same dialogue, a newer version on B
    second = b.ussd(A, "*105#")  # B ends it (released) and records it
    third = b.ussd(A, "*105#")
    assert len({first.session_id, second.session_id, third.session_id}) == 3
    last = a.ussd(A, "1")  # A's copy of the first is stale: dropped, B's third taken on
    assert (last.session_id, last.continuation) == (third.session_id, END)
    assert [outcome(nodes, s.session_id) for s in (first, second, third)] == ["released", "released", "completed"]
    assert ends_logged(caplog, first.session_id) == 1 and no_record_lost(caplog)


def test_an_older_copy_of_a_dialogue_ended_elsewhere_is_dropped_by_its_timer(nodes, redis_client, caplog):
    a, b = nodes
    first = a.ussd(A, "*105#")
    b.ussd(A, "3")
    tick(nodes, 10)
    second = b.ussd(A, "*105#")
    tick(nodes, 20)  # A's copy of the first runs out
    assert len(a.h.dialogues) == 0 and a.h.service.screen(A) is None
    assert outcome(nodes, first.session_id) == "released"
    assert ends_logged(caplog, first.session_id) == 1 and no_record_lost(caplog)
    assert stored(redis_client)["session_id"] == second.session_id and "ended" not in stored(redis_client)


def test_a_dialogue_moved_on_elsewhere_is_taken_on_not_recorded(nodes, redis_client, caplog):
    a, b = nodes
    first = a.ussd(A, "*105#")
    assert b.ussd(A, "3").session_id == first.session_id
    assert a.ussd(A, "99").session_id == first.session_id  # back on A: its newer version, taken on
    assert ends_logged(caplog, first.session_id) == 0
    assert stored(redis_client)["version"] == 3
