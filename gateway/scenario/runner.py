"""Running a scenario's steps against a gateway's HTTP API, stopping at the first failed expectation."""

from __future__ import annotations

import difflib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from gateway.scenario.client import ApiError, HandsetApi
from gateway.scenario.format import VARIABLE, Match, Scenario, Step

POLL = 0.05  # seconds between looks at the inbox while an SMS is awaited
# `call` and `handset` would clash with the runner's own `_call` and `_handset`.
STEP_METHODS = {"call": "_call_step", "handset": "_handset_step"}


class StepFailed(Exception):
    """An expectation that did not hold (or a request that failed); `detail` shows how."""

    def __init__(self, message: str, detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


@dataclass
class Handset:
    """What the runner remembers of one handset: its screen, its call, the SMS already seen."""

    msisdn: str
    screen: dict | None = None
    call: dict | None = None
    seen: int | None = None  # id of the newest inbox message already fetched
    pending: list[dict] = field(default_factory=list)  # fetched, not yet matched by an expect_sms


@dataclass
class Runner:
    """Runs one scenario; `out` gets a line per passed step and the failure with its diff."""

    api: HandsetApi
    out: TextIO
    variables: dict[str, str] = field(default_factory=dict)
    monotonic: Callable[[], float] = time.monotonic
    sleep: Callable[[float], None] = time.sleep

    def run(self, scenario: Scenario) -> bool:
        """True when every step passed; prints each step, and the failure with its diff."""
        self._handsets: dict[str, Handset] = {}
        self._current = self._handset(scenario.handset)
        for step in scenario.steps:
            try:
                note = getattr(self, STEP_METHODS.get(step.kind, "_" + step.kind))(step)
            except StepFailed as failed:
                print(f"FAIL {scenario.path}:{step.line}: {step.describe()}: {failed.message}", file=self.out)
                if failed.detail:
                    print(failed.detail.rstrip("\n"), file=self.out)
                return False
            print(f"ok   {scenario.path}:{step.line}: {step.describe()}{' → ' + note if note else ''}",
                  file=self.out, flush=True)
        return True

    # -- handsets -------------------------------------------------------------------------

    def _handset(self, msisdn: str) -> Handset:
        handset = self._handsets.get(msisdn)
        if handset is None:
            handset = self._handsets[msisdn] = Handset(msisdn)
            # Against a running gateway the inbox may hold older messages: only newer ones count.
            inbox = self._call(self.api.inbox, msisdn, default=[])
            handset.seen = inbox[-1]["id"] if inbox else None
        return handset

    def _handset_step(self, step: Step) -> str:
        self._current = self._handset(step.args["value"])
        return ""

    def _subscriber(self, step: Step) -> str:
        fields = {k: self._fill(v) if isinstance(v, str) else v for k, v in step.args["fields"].items()}
        created = self._call(self.api.add_subscriber, fields)
        return f"{created['msisdn']} balance {created['balance']}"

    def _corporate_client(self, step: Step) -> str:
        created = self._call(self.api.add_corporate_client, step.args["fields"])
        return f"client {created['id']} with {len(created['members'])} numbers"

    # -- USSD -----------------------------------------------------------------------------

    def _dial(self, step: Step) -> str:
        return self._ussd(step, self._fill(step.args["value"]))

    def _reply(self, step: Step) -> str:
        if "secret" in step.args:
            name = step.args["secret"]
            if name not in self.variables:
                raise StepFailed(f"the secret reply needs the variable {name!r}: capture it with a regex group "
                                 f"(?P<{name}>…) or give --var {name}=…")
            return self._ussd(step, self.variables[name])
        return self._ussd(step, self._fill(step.args["value"]))

    def _ussd(self, step: Step, text: str) -> str:
        handset = self._current
        try:
            handset.screen = self.api.ussd(handset.msisdn, text)
        except ApiError as error:
            return self._refused(step, error)
        self._not_refused(step)
        return ""

    def _expect(self, step: Step) -> str:
        screen = self._current.screen
        if screen is None:
            screen = self._call(self.api.ussd_screen, self._current.msisdn)
            if screen is None:
                raise StepFailed("no USSD screen is shown (dial first)")
        self._check(step.args["match"], screen["text"], "the USSD screen")
        end = step.args.get("end")
        if end is not None and bool(screen["end"]) != end:
            state = "ended" if screen["end"] else "goes on"
            raise StepFailed(f"the dialogue {state}; expected it to {'end' if end else 'go on'}")
        return ""

    def _push(self, step: Step) -> str:
        handset = self._current
        handset.screen = self._call(self.api.ussd_push, handset.msisdn, self._fill(step.args["text"]),
                                    step.args["type"])
        return ""

    def _release(self, step: Step) -> str:
        self._call(self.api.ussd_release, self._current.msisdn)
        self._current.screen = None
        return ""

    # -- SMS ------------------------------------------------------------------------------

    def _sms(self, step: Step) -> str:
        try:
            sent = self.api.send_sms(self._current.msisdn, self._fill(step.args["to"]),
                                     self._fill(step.args["text"]))
        except ApiError as error:
            return self._refused(step, error)
        self._not_refused(step)
        return f"id {sent['id']}"

    def _expect_sms(self, step: Step) -> str:
        """The oldest unmatched SMS (from the sender, if given); SMS from others stay for later steps."""
        handset = self._current
        sender, match = step.args["from"], step.args["match"]
        deadline = self.monotonic() + step.args["within"]
        while True:
            for message in handset.pending:
                if sender is None or message["from"] == sender:
                    handset.pending.remove(message)
                    self._check(match, message["text"], f"the SMS from {message['from']}")
                    return f"SMS {message['id']} from {message['from']}"
            new = self._call(self.api.inbox, handset.msisdn, handset.seen)
            if new:
                handset.seen = new[-1]["id"]
                handset.pending += new
                continue
            if self.monotonic() >= deadline:
                break
            self.sleep(POLL)
        others = "".join(f"  from {m['from']}: {m['text']!r}\n" for m in handset.pending)
        raise StepFailed(f"no SMS{' from ' + sender if sender else ''} arrived within {step.args['within']:g} s",
                         f"unmatched new SMS:\n{others}" if others else "")

    # -- voice ----------------------------------------------------------------------------

    def _call_step(self, step: Step) -> str:
        handset = self._current
        try:
            handset.call = self.api.call(handset.msisdn, self._fill(step.args["value"]))
        except ApiError as error:
            return self._refused(step, error)
        self._not_refused(step)
        return f"call {handset.call['call_id']}"

    def _press(self, step: Step) -> str:
        call = self._active_call()
        try:
            self._current.call = self.api.dtmf(call["call_id"], self._fill(step.args["value"]))
        except ApiError as error:
            return self._refused(step, error)
        self._not_refused(step)
        return ""

    def _expect_prompt(self, step: Step) -> str:
        call = self._current.call
        if call is None:
            raise StepFailed("no call (call first)")
        self._check(step.args["match"], call["prompt"], "the voice prompt")
        state = step.args.get("state")
        if state is not None and call["state"] != state:
            raise StepFailed(f"the call is {call['state']}, expected {state}")
        return ""

    def _hangup(self, step: Step) -> str:
        call = self._active_call()
        self._current.call = self._call(self.api.hang_up, call["call_id"])
        return ""

    def _active_call(self) -> dict:
        call = self._current.call
        if call is None or call["state"] != "active":
            raise StepFailed("no active call (call first)")
        return call

    # -- the handset's state, the account, the clock ------------------------------------

    def _roaming(self, step: Step) -> str:
        self._call(self.api.set_handset, self._current.msisdn, roaming=step.args["value"])
        return ""

    def _switched_on(self, step: Step) -> str:
        self._call(self.api.set_handset, self._current.msisdn, switched_on=step.args["value"])
        return ""

    def _advance(self, step: Step) -> str:
        try:
            clock = self.api.advance_clock(step.args["value"])
        except ApiError as error:
            if error.code == "no_test_clock":
                raise StepFailed("advance needs a gateway started with --test-clock "
                                 "(or no --url: a fresh gateway runs one)") from None
            raise StepFailed(str(error)) from None
        for handset in self._handsets.values():
            handset.screen = None  # a timer may have ended the dialogue: look at the handset again
        return f"now {clock['now']}"

    def _expect_account(self, step: Step) -> str:
        account = self._call(self.api.subscriber, self._current.msisdn)
        actual = {key: sorted(o["code"] if isinstance(o, dict) else o for o in account.get(key, []))
                  if key == "options" else account.get(key) for key in step.args["fields"]}
        expected = {key: self._fill(v) if isinstance(v, str) else v for key, v in step.args["fields"].items()}
        if actual != expected:
            raise StepFailed("the account differs", _diff(_lines(expected), _lines(actual)))
        return ""

    def _login(self, step: Step) -> str:
        login = self._fill(step.args["login"]) if step.args["login"] else self._current.msisdn[-10:]
        try:
            self.api.login(login, self._fill(step.args["password"]))
        except ApiError as error:
            if step.args["error"] is None:
                raise StepFailed(f"login refused: {error.code}") from None
            if error.code != step.args["error"]:
                raise StepFailed(f"login refused with {error.code}, expected {step.args['error']}") from None
            attempts = step.args["attempts_left"]
            actual = (error.body or {}).get("attempts_left")
            if attempts is not None and actual != attempts:
                raise StepFailed(f"attempts_left is {actual}, expected {attempts}") from None
            return f"refused: {error.code}"
        if step.args["error"] is not None:
            raise StepFailed(f"login accepted, expected refusal {step.args['error']}")
        return "logged in"

    # -- helpers --------------------------------------------------------------------------

    def _check(self, match: Match, actual: str, what: str) -> None:
        expected = self._fill(match.value)
        if match.how == "text":
            if actual != expected:
                raise StepFailed(f"{what} differs", _diff(expected.splitlines(), actual.splitlines()))
        elif match.how == "contains":
            if expected not in actual:
                raise StepFailed(f"{what} does not contain {expected!r}", _indent("actual", actual))
        else:
            pattern = self._fill(match.value, re.escape)
            found = re.search(pattern, actual, re.DOTALL)
            if found is None:
                raise StepFailed(f"{what} does not match /{match.value}/", _indent("actual", actual))
            self.variables.update({k: v for k, v in found.groupdict().items() if v is not None})

    def _fill(self, text: str, quote: Callable[[str], str] = str) -> str:
        """`${name}` replaced by the variable's value (quoted for a regex where asked)."""
        def value(found: re.Match) -> str:
            name = found.group(1)
            if name not in self.variables:
                raise StepFailed(f"unknown variable ${{{name}}}: capture it with a regex group (?P<{name}>…) "
                                 f"or give --var {name}=…")
            return quote(self.variables[name])

        return VARIABLE.sub(value, text)

    def _refused(self, step: Step, error: ApiError) -> str:
        expected = step.args.get("error")
        if expected is None:
            raise StepFailed(f"the gateway refused: {error}")
        if error.code != expected:
            raise StepFailed(f"refused with {error.code}, expected {expected}", f"  {error.message}")
        return f"refused: {error.code}"

    def _not_refused(self, step: Step) -> None:
        if step.args.get("error") is not None:
            raise StepFailed(f"accepted, expected the refusal {step.args['error']}")

    def _call(self, fn: Callable[..., Any], *args: Any, default: Any = None, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ApiError as error:
            if default is not None and error.status == 404:
                return default
            raise StepFailed(f"the gateway refused: {error}") from None




def _diff(expected: list[str], actual: list[str]) -> str:
    return "".join(line + ("" if line.endswith("\n") else "\n") for line in difflib.unified_diff(
        expected, actual, "expected", "actual", lineterm=""))


def _lines(fields: dict) -> list[str]:
    return [f"{key}: {value!r}" for key, value in fields.items()]


def _indent(title: str, text: str) -> str:
    return f"{title}:\n" + "".join(f"  {line}\n" for line in text.splitlines() or [""])
