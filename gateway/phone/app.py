"""The terminal phone: a prompt_toolkit prompt over the handset HTTP API, with live SMS.

How it works: the prompt runs on the main thread; a poller thread looks at the inbox and
the USSD screen every POLL seconds and prints what the network sent (SMS, pushes,
timeouts) above the prompt (`patch_stdout`). One lock keeps the two from interleaving
their requests and their view of the handset.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable

from gateway.app import beside_checkout
from gateway.phone.commands import Command, Mode, parse
from gateway.phone.record import SessionRecorder
from gateway.scenario.client import ApiError, HandsetApi, Unreachable
from gateway.scenario.record import password_templates, secret_input
from menus.render import fill
from menus.schema import MenuSet

POLL = 0.5  # seconds between looks at the inbox and the USSD screen
OWN_TEXTS = ("switched_off",)  # API error codes with a terminal.* text of their own
USAGE = {"sms": "sms 000110 00", "call": "call 0505", "roaming": "roaming on|off", "power": "power on|off"}


class Texts:
    """The `terminal.*` texts of menus.yaml in the subscriber's locale."""

    def __init__(self, menus: MenuSet, locale: str) -> None:
        self.menus = menus
        self.locale = locale if locale in menus.locales else menus.locales[0]

    def __call__(self, key: str, **values: object) -> str:
        return fill(self.menus.text(f"terminal.{key}"), self.locale, values)

    def password_templates(self) -> list[str]:
        """SMS templates that carry a password, in every locale (for the recorder)."""
        return password_templates(self.menus.texts)


class Phone:
    """One handset: turns typed lines into API calls and shows what comes back."""

    def __init__(self, api: HandsetApi, msisdn: str, texts: Texts, say: Callable[[str], None],
                 recorder: SessionRecorder | None = None) -> None:
        self.api = api
        self.msisdn = msisdn
        self.texts = texts
        self.say = say
        self.recorder = recorder
        self.mode = Mode.IDLE
        self.call: dict | None = None
        self.lock = threading.Lock()
        self._screen: tuple | None = None  # (session_id, text, end) last shown
        inbox = api.inbox(msisdn)
        self._seen = inbox[-1]["id"] if inbox else None  # older SMS are not news

    def prompt(self) -> str:
        if self.mode is Mode.CALL and self.call is not None:
            return f"☎ {self.call['to']}> "
        if self.mode is Mode.USSD:
            return "USSD> "
        return f"{self.msisdn}> "

    def handle(self, line: str) -> bool:
        """Run one typed line; False when the user quits."""
        command = parse(line, self.mode)
        with self.lock:
            try:
                return self._run(command)
            except ApiError as error:
                if error.code in OWN_TEXTS:  # refusals the handset explains in its own words
                    self.say(self.texts(error.code))
                else:
                    self.say(self.texts("error", code=error.code, message=error.message))
            except Unreachable:
                self.say(self.texts("unreachable", url=self.api.base))
        return True

    def _run(self, command: Command) -> bool:
        kind = command.kind
        if kind == "quit":
            self._hang_up_quietly()
            return False
        if kind == "nothing":
            return True
        if kind == "help":
            self.say(self.texts("help"))
        elif kind == "usage":
            self.say(self.texts("usage", usage=USAGE[command.arg]))
        elif kind == "unknown":
            self.say(self.texts("unknown", input=command.arg))
        elif kind in ("dial", "reply"):
            self._ussd(kind, command.arg)
        elif kind == "release":
            self.api.ussd_release(self.msisdn)
            self.mode = Mode.IDLE if self.mode is Mode.USSD else self.mode
            self._record({"release": True})
            self.say(self.texts("ussd_released"))
        elif kind == "sms":
            self.api.send_sms(self.msisdn, command.arg, command.text)
            self._record({"sms": {"to": command.arg, "text": command.text}})
            self.say(self.texts("sms_sent", to=command.arg))
            self._poll_inbox()  # a service number's reply is stored before the send is acknowledged
        elif kind == "inbox":
            self._show_inbox()
        elif kind == "call":
            self.call = self.api.call(self.msisdn, command.arg)
            self._record({"call": command.arg})
            self._show_call()
        elif kind == "press":
            self._press(command.arg)
        elif kind == "hangup":
            if self.call is None or self.call["state"] != "active":
                self.say(self.texts("no_call"))
            else:
                self.call = self.api.hang_up(self.call["call_id"])
                self._record({"hangup": True})
                self._show_call()
        elif kind in ("roaming", "power"):
            on = command.arg == "on"
            self.api.set_handset(self.msisdn, **({"roaming": on} if kind == "roaming" else {"switched_on": on}))
            self._record({"roaming" if kind == "roaming" else "switched_on": on})
            self.say(self.texts(f"{kind}_{command.arg}"))
        return True

    # -- USSD ------------------------------------------------------------------------------

    def _ussd(self, kind: str, text: str) -> None:
        screen = self.api.ussd(self.msisdn, text)
        if self.recorder is not None and kind == "reply" and self._secret_reply(screen["session_id"]):
            self.recorder.secret_reply()  # what was typed stays out of the file
        else:
            self._record({kind: text})
        self._record({"expect": screen["text"]})
        self._show_screen(screen)

    def _secret_reply(self, session_id: str) -> bool:
        """Whether the reply just sent went to a secret input; True when no record tells."""
        records = self.api.request("GET", f"/api/v1/handsets/{self.msisdn}/dialogues?limit=5")
        for dialogue in records if isinstance(records, list) else []:
            if dialogue.get("id") == session_id:
                return secret_input(dialogue)
        return True

    def _show_screen(self, screen: dict) -> None:
        self._screen = (screen["session_id"], screen["text"], screen["end"])
        self.say(self.texts("ussd", text=screen["text"]))
        self.say(self.texts("ussd_ended" if screen["end"] else "ussd_open"))
        if self.mode is not Mode.CALL:
            self.mode = Mode.IDLE if screen["end"] else Mode.USSD

    # -- voice -----------------------------------------------------------------------------

    def _press(self, keys: str) -> None:
        if self.call is None or self.call["state"] != "active":
            self.say(self.texts("no_call"))
            return
        before = len(self.call.get("path", []))
        self.call = self.api.dtmf(self.call["call_id"], keys)
        # The call's path masks keys typed where the menu asked for a secret.
        added = self.call.get("path", [])[before:]
        masked = [shown == "*" and key != "*" for shown, key in zip(added, keys, strict=False)]
        if self.recorder is not None:
            self.recorder.pressed(keys, masked)
        self._show_call()

    def _show_call(self) -> None:
        call = self.call
        assert call is not None
        self._record({"expect_prompt": call["prompt"]})
        self.say(self.texts("call_prompt", number=call["to"], prompt=call["prompt"]))
        if call["state"] != "active":
            self.say(self.texts("call_ended"))
            self.mode = Mode.IDLE
        else:
            self.mode = Mode.CALL

    def _hang_up_quietly(self) -> None:
        if self.call is not None and self.call["state"] == "active":
            self.api.hang_up(self.call["call_id"])
            self._record({"hangup": True})

    # -- what the network sends ------------------------------------------------------------

    def poll(self) -> None:
        """New SMS, and a USSD screen the network changed (push, timeout), shown once each."""
        with self.lock:
            try:
                self._poll_inbox()
                screen = self.api.ussd_screen(self.msisdn)
            except (ApiError, Unreachable):
                return  # the next poll tries again; typed commands report errors
            if screen is not None and (screen["session_id"], screen["text"], screen["end"]) != self._screen:
                self._show_screen(screen)

    def _poll_inbox(self) -> None:
        for message in self.api.inbox(self.msisdn, self._seen):
            self._seen = message["id"]
            if self.recorder is not None:
                self.recorder.sms_received(message["from"], message["text"])
            self.say(self.texts("sms_in", sender=message["from"], text=message["text"]))

    def _show_inbox(self) -> None:
        messages = self.api.inbox(self.msisdn)
        if not messages:
            self.say(self.texts("inbox_empty"))
        for message in messages:
            self.say(f"[{message['received_at'][:19].replace('T', ' ')}] "
                     + self.texts("sms_in", sender=message["from"], text=message["text"]))
        if messages:
            self._seen = max(self._seen or 0, messages[-1]["id"])

    def _record(self, step: dict) -> None:
        if self.recorder is not None:
            self.recorder.add(step)


def run_phone(msisdn: str, url: str, record: str | None) -> int:
    """`gateway phone MSISDN`: 0 on quit, 1 for an unknown number, 2 when no gateway answers."""
    from prompt_toolkit import PromptSession
    from prompt_toolkit.patch_stdout import patch_stdout

    from gateway.actions import CATALOGUE
    from menus.loader import load

    menus = load(beside_checkout("menus.yaml"), CATALOGUE)
    api = HandsetApi(url)
    try:
        account = api.subscriber(msisdn)
    except Unreachable:
        print(fill(menus.text("terminal.unreachable"), menus.locales[0], {"url": url}), file=sys.stderr)
        return 2
    except ApiError as error:
        texts = Texts(menus, menus.locales[0])
        print(texts("error", code=error.code, message=error.message), file=sys.stderr)
        return 1
    texts = Texts(menus, account.get("locale", menus.locales[0]))
    msisdn = account["msisdn"]
    recorder = SessionRecorder(record, msisdn, texts.password_templates()) if record else None
    stop = threading.Event()
    with patch_stdout(raw=True):
        phone = Phone(api, msisdn, texts, lambda text: print(text, flush=True), recorder)
        print(texts("welcome", msisdn=msisdn), flush=True)
        poller = threading.Thread(target=_poll_until, args=(phone, stop), name="phone-poller", daemon=True)
        poller.start()
        session: PromptSession = PromptSession()
        try:
            while True:
                try:
                    line = session.prompt(phone.prompt)
                except KeyboardInterrupt:
                    line = "quit"
                except EOFError:
                    line = "quit"
                if not phone.handle(line):
                    break
        finally:
            stop.set()
            poller.join(timeout=5)
        if recorder is not None:
            recorder.save()
            print(texts("recorded", file=record), flush=True)
        print(texts("bye"), flush=True)
    return 0


def _poll_until(phone: Phone, stop: threading.Event) -> None:
    while not stop.wait(POLL):
        phone.poll()
