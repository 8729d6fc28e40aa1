"""Hypothesis: random inputs, app answers, pushes and waits keep every screen within one USSD
string, every dialogue ends cleanly (recorded once, no timer or request left behind)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.sms.errors import SmppError
from gateway.ussd.errors import InvalidUssdString, ScreenTooLong, UssdBusy
from gateway.ussd.events import PushType, UssdReply
from gateway.ussd.smpp import PSSR_RESPONSE, USSN_REQUEST, USSR_REQUEST
from menus import screen
from menus.engine import Continuation
from tests.test_ussd_smpp import submit
from tests.ussdkit import A, B, Harness

HANDSETS = (A, B)
DIALS = ("*105#", "*105*3#", "*105*2*12#", "*105*9#", "*123#", "*123*5#", "*555#", "*999#", "*105*1*1*1#")
EXPECTED = (InvalidUssdString, UssdBusy, ScreenTooLong, SmppError)
keypad = st.text(alphabet="0123456789*#", max_size=8)
screens = st.one_of(st.text(alphabet="ab 1\n", max_size=200), st.text(alphabet="Жж 1\n", max_size=100),
                    st.text(max_size=90))

ops = st.one_of(
    st.tuples(st.just("dial"), st.sampled_from(HANDSETS), st.sampled_from(DIALS)),
    st.tuples(st.just("reply"), st.sampled_from(HANDSETS), st.one_of(keypad, st.text(max_size=200))),
    st.tuples(st.just("release"), st.sampled_from(HANDSETS)),
    st.tuples(st.just("wait"), st.sampled_from((0, 1, 9.9, 10, 29, 30, 45, 200))),
    st.tuples(st.just("smpp_app"), st.sampled_from(HANDSETS), screens,
              st.sampled_from((USSR_REQUEST, PSSR_RESPONSE, USSN_REQUEST, 0x17))),
    st.tuples(st.just("http_app"), screens, st.sampled_from(Continuation)),
    st.tuples(st.just("push"), st.sampled_from(HANDSETS), screens, st.sampled_from(PushType)),
)


def fits(reply: UssdReply) -> bool:
    used, limit = screen.size(reply.text)
    return used <= limit


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ops, max_size=25))
def test_random_dialogues_stay_within_the_screen_limit_and_end_cleanly(steps):
    h = Harness(screen_timeout=30, dialogue_limit=180, app_timeout=10)
    app = h.binds.bind("app")
    handset = h.binds.bind("handsets")
    shown: list[UssdReply] = []
    pending = []
    seen: set[str] = set()

    def run(d):
        d.addCallback(lambda reply: shown.append(reply) or reply)
        d.addErrback(lambda f: f.trap(*EXPECTED))
        pending.append(d)

    for step in steps:
        kind = step[0]
        if kind in ("dial", "reply"):
            run(h.service.handle(step[1], step[2]))
        elif kind == "release":
            h.service.release(step[1])
        elif kind == "wait":
            h.clock.advance(step[1])
        elif kind == "smpp_app":
            _, msisdn, text, op = step
            d = h.smpp.submit(app.account, submit("123", msisdn, text, op), app)
            d.addErrback(lambda f: f.trap(*EXPECTED))
        elif kind == "http_app":
            live = [d for d in h.http_apps.pending if not d.called]
            h.http_apps.pending[:] = live
            if live:
                h.http_apps.answer(step[1], step[2])
        else:
            _, msisdn, text, push_type = step
            run(h.service.push(msisdn, text, push_type))
        # Invariants after every step.
        for d in h.dialogues:
            seen.add(d.session_id)
            timer = h.service._timers.get(d.session_id)
            assert timer is not None and timer.active(), "an open dialogue without its timer"
        open_ids = {d.session_id for d in h.dialogues}
        assert set(h.service._waiting) <= open_ids
        assert set(h.service._timers) <= open_ids
        assert len(h.dialogues) <= len(HANDSETS)
    for message in app.sent + handset.sent:
        assert screen.fits(message.text), "a deliver_sm screen over the limit"
    h.clock.advance(181 + 11)  # past every limit: all is over
    assert len(h.dialogues) == 0 and not h.service._timers and not h.service._waiting
    assert all(d.called for d in pending), "a handset request never answered"
    for reply in shown:
        seen.add(reply.session_id)
        assert fits(reply), f"a screen over the limit: {reply.text!r}"
    for message in app.sent + handset.sent:
        assert screen.fits(message.text), "a deliver_sm screen over the limit"
    outcomes = {"completed", "released", "timed_out", "app_error"}
    for session_id in seen:
        assert h.record(session_id)["outcome"] in outcomes
