"""The in-process event hub behind the events WebSocket: who gets which event, in which shape."""

from __future__ import annotations

from dataclasses import dataclass, replace

from gateway.events import EventHub
from gateway.ivr.session import CallState, new_call
from gateway.outbox import Outbox
from gateway.ussd.events import UssdReply
from menus.engine import Continuation

A, B = "79261234567", "79261112233"


@dataclass(frozen=True)
class Message:
    """A stored message as core.ports.MessageRecord describes it."""

    id: int
    msisdn: str
    direction: str
    peer: str
    text: str
    created_at: float


def watch(hub: EventHub, msisdn: str) -> tuple[list[dict], object]:
    seen: list[dict] = []
    return seen, hub.subscribe(msisdn, seen.append)


def test_events_reach_only_the_watchers_of_that_handset():
    hub = EventHub()
    seen_a, _ = watch(hub, A)
    seen_a2, _ = watch(hub, A)
    seen_b, _ = watch(hub, B)
    assert hub.publish(A, {"type": "x"}) == 2
    assert seen_a == seen_a2 == [{"type": "x"}] and seen_b == []
    assert hub.publish("79990000000", {"type": "y"}) == 0


def test_unsubscribe_stops_events_and_is_safe_twice():
    hub = EventHub()
    seen, unsubscribe = watch(hub, A)
    unsubscribe()
    unsubscribe()
    assert hub.publish(A, {"type": "x"}) == 0 and seen == []
    assert hub.watchers(A) == 0


def test_a_failing_watcher_is_dropped_and_the_others_still_get_the_event():
    hub = EventHub()

    def broken(event):
        raise ConnectionError("socket gone")

    hub.subscribe(A, broken)
    seen, _ = watch(hub, A)
    assert hub.publish(A, {"type": "x"}) == 1
    assert seen == [{"type": "x"}] and hub.watchers(A) == 1
    hub.publish(A, {"type": "y"})
    assert seen == [{"type": "x"}, {"type": "y"}]


def test_a_watcher_may_unsubscribe_while_an_event_is_handed_out():
    hub = EventHub()
    seen: list[dict] = []
    unsubscribe = hub.subscribe(A, lambda event: (seen.append(event), unsubscribe()))
    later, _ = watch(hub, A)
    assert hub.publish(A, {"type": "x"}) == 2
    hub.publish(A, {"type": "y"})
    assert seen == [{"type": "x"}] and later == [{"type": "x"}, {"type": "y"}]


def test_sms_in_the_inbox_is_an_inbox_item_typed_sms():
    hub = EventHub()
    outbox = Outbox()
    outbox.subscribe(hub.sms_arrived)
    seen, _ = watch(hub, A)
    outbox.publish([Message(7, A, "mt", "000110", "Пароль: 123456.", 1_764_000_000.25)])
    assert seen == [{"type": "sms", "id": 7, "from": "000110", "text": "Пароль: 123456.",
                     "received_at": "2025-11-24T16:00:00.250+00:00"}]


def test_ussd_screens_carry_the_api_shape_and_a_release_shows_nothing():
    hub = EventHub()
    seen, _ = watch(hub, A)
    hub.ussd_shown(UssdReply("s1", "Оцените связь: 1-5", Continuation.CONTINUE, msisdn=A, service_code=""))
    hub.ussd_shown(UssdReply("s1", "Время ожидания ответа истекло.", Continuation.END, msisdn=A, service_code="105"))
    hub.ussd_shown(UssdReply("s2", "", Continuation.END, released=True, msisdn=A))
    assert seen == [
        {"type": "ussd", "session_id": "s1", "text": "Оцените связь: 1-5", "end": False, "service_code": ""},
        {"type": "ussd", "session_id": "s1", "text": "Время ожидания ответа истекло.", "end": True,
         "service_code": "105"},
    ]


def test_call_events_follow_the_call_to_its_end():
    hub = EventHub()
    seen, _ = watch(hub, A)
    call = replace(new_call(A, "0505", 100.0), prompt="Нажмите 1.")
    hub.call_changed(call)
    hub.call_changed(replace(call, state=CallState.ENDED, prompt="До свидания.", path=("1",)))
    assert [(e["type"], e["call_id"], e["state"], e["prompt"], e["path"]) for e in seen] == [
        ("call", call.call_id, "active", "Нажмите 1.", []),
        ("call", call.call_id, "ended", "До свидания.", ["1"]),
    ]
    assert all(e["to"] == "0505" for e in seen)


def test_account_events_are_the_summary_typed_account():
    hub = EventHub()
    seen, _ = watch(hub, B)
    hub.account_changed({"msisdn": B, "balance": "150.00", "roaming": True})
    assert seen == [{"type": "account", "msisdn": B, "balance": "150.00", "roaming": True}]
