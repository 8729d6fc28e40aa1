"""The SIP and RTP sockets of the voice menu: thin Twisted datagram protocols around UserAgentServer.

Keypad tones arrive as SIP INFO or RFC 4733 events on the per-call RTP port advertised
in the SDP answer. Each prompt of the call (from the VoiceService, also the ones its
digit timers bring) is rendered by `Prompts` — spoken by espeak-ng, or a tone — and sent
to the caller's RTP address in 20 ms packets timed by the injected clock; a new prompt
or a key cuts the one playing, and the first-digit timer waits until the prompt is over.
When the menu says goodbye, the goodbye is played and then the BYE sent. The UAS's
retransmission timers (200 OK until its ACK) are `callLater`s on the same clock.
"""

from __future__ import annotations

import logging
import secrets
from collections import deque
from collections.abc import Callable

from twisted.internet.defer import Deferred, maybeDeferred
from twisted.internet.protocol import DatagramProtocol
from twisted.internet.task import LoopingCall

from gateway.ivr.audio import duration
from gateway.ivr.rtp import DtmfReceiver, RtpError, RtpStream
from gateway.ivr.session import Call, CallState, EndReason
from gateway.ivr.sip import LocalProtocolError, serialise
from gateway.ivr.speech import Prompts
from gateway.ivr.uas import (
    Action,
    Arm,
    CloseMedia,
    Disarm,
    HangUp,
    PressKeys,
    Send,
    StartCall,
    UserAgentServer,
)

log = logging.getLogger(__name__)
PTIME = 0.020
# Ends after which the caller is gone or going: no goodbye is played, the BYE (if any) goes at once.
SILENT_ENDS = (EndReason.HUNG_UP, EndReason.NO_ACK, EndReason.SHUTDOWN)


class RtpProtocol(DatagramProtocol):
    """One call's media port: RFC 4733 keypad tones in, prompt audio out, other packets ignored."""

    def __init__(self, on_digit: Callable[[str], None], clock) -> None:
        self.receiver = DtmfReceiver(frozenset())
        self._on_digit = on_digit
        self._clock = clock
        self.stream: RtpStream | None = None
        self.remote: tuple[str, int] | None = None
        self._frames: deque[bytes] = deque()
        self._ticker: LoopingCall | None = None
        self._marker = False
        self._done: Callable[[], None] | None = None

    def play(self, frames: list[bytes], done: Callable[[], None] | None = None) -> float:
        """Send these 20 ms frames from now on, replacing what is still playing; `done` runs
        after the last one. Returns the seconds they last (0 when there is nowhere to send)."""
        self.stop_playing()
        if self.stream is None or self.remote is None or self.transport is None or not frames:
            if done is not None:
                done()
            return 0.0
        self._frames = deque(frames)
        self._marker = True
        self._done = done
        self._ticker = LoopingCall(self._tick)
        self._ticker.clock = self._clock
        self._ticker.start(PTIME, now=True)
        return duration(frames)

    def _tick(self) -> None:
        if not self._frames or self.transport is None:
            done = self._done
            self.stop_playing()
            if done is not None:
                done()
            return
        assert self.stream is not None
        self.transport.write(self.stream.packet(self._frames.popleft(), marker=self._marker), self.remote)
        self._marker = False

    def stop_playing(self) -> None:
        """Stop sending (what was to run after the prompt does not run)."""
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        self._ticker = None
        self._frames.clear()
        self._done = None

    def stopProtocol(self) -> None:  # noqa: N802 - Twisted's name
        self.stop_playing()

    def datagramReceived(self, data: bytes, addr) -> None:  # noqa: N802 - Twisted's name
        try:
            digit = self.receiver.receive(data)
        except RtpError as error:
            log.debug("ignored an RTP packet from %s:%s: %s", *addr, error)
            return
        if digit:
            self._on_digit(digit)


class SipProtocol(DatagramProtocol):
    """SIP over UDP on --sip-port, onto the VoiceService."""

    def __init__(self, uas: UserAgentServer, voice, listen_rtp: Callable[[DatagramProtocol], object],
                 clock, prompts: Prompts | None = None) -> None:
        self.uas = uas
        self.clock = clock
        self.voice = voice
        self.prompts = prompts or Prompts(run_in_thread=None)
        self._listen_rtp = listen_rtp
        self._media: dict[str, object] = {}  # dialog key -> listening RTP port
        self._players: dict[str, RtpProtocol] = {}
        self._timers: dict[str, object] = {}  # dialog key -> the UAS's retransmission timer
        self._prompts: dict[str, int] = {}  # dialog key -> number of its latest prompt

    def startProtocol(self) -> None:  # noqa: N802 - Twisted's name
        host = self.transport.getHost()
        self.uas.port = host.port

    def datagramReceived(self, data: bytes, addr) -> None:  # noqa: N802 - Twisted's name
        self._run(self.uas.receive(data, addr))

    def close(self) -> list[Deferred]:
        """Stop every call's timers and media port (shutdown)."""
        for key in list(self._timers):
            self._disarm(key)
        return [d for d in (self._close_media(key) for key in list(self._media)) if d is not None]

    def _run(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                if self.transport is None:
                    continue
                try:
                    self.transport.write(serialise(action.message), action.addr)
                except LocalProtocolError:
                    log.exception("could not send a SIP message")
                except OSError as error:  # the port is closing (shutdown) or the network refused it
                    log.info("SIP message to %s:%s not sent: %s", *action.addr, error)
            elif isinstance(action, StartCall):
                self._start(action)
            elif isinstance(action, PressKeys):
                self._press(action.key, action.call_id, action.digits)
            elif isinstance(action, HangUp):
                self.uas.forget(action.key)
                maybeDeferred(self.voice.hang_up, action.call_id, EndReason(action.reason)).addErrback(
                    lambda f, key=action.key: log.info("voice call %s: %s", key, f.value))
            elif isinstance(action, CloseMedia):
                self._close_media(action.key)
            elif isinstance(action, Arm):
                self._disarm(action.key)
                self._timers[action.key] = self.clock.callLater(action.delay, self._fire, action.key)
            elif isinstance(action, Disarm):
                self._disarm(action.key)

    def _fire(self, key: str) -> None:
        self._timers.pop(key, None)
        self._run(self.uas.timer_fired(key))

    def _disarm(self, key: str) -> None:
        timer = self._timers.pop(key, None)
        if timer is not None and timer.active():
            timer.cancel()

    def _start(self, action: StartCall) -> None:
        key = action.key

        def answered(call: Call) -> None:
            rtp = RtpProtocol(lambda digit: self._press(key, call.call_id, digit), self.clock)
            port = self._listen_rtp(rtp)
            self._media[key] = port
            self._players[key] = rtp
            self._run(self.uas.call_answered(key, call.call_id, port.getHost().port))
            dialog = self.uas.dialogs.get(key)
            if dialog is not None and dialog.event_pt is not None:
                rtp.receiver.event_pts = frozenset({dialog.event_pt})
            if dialog is not None and dialog.audio_pt is not None and dialog.offer.port:
                rtp.stream = RtpStream(dialog.audio_pt, secrets.randbelow(2**32), secrets.randbelow(2**16))
                rtp.remote = (dialog.offer.address, dialog.offer.port)
            self.voice.watch(call.call_id, lambda changed: self._changed(key, changed))
            self._changed(key, call)

        def failed(failure) -> None:
            log.info("call from %s to %s not connected: %s", action.msisdn, action.dialled, failure.value)
            self._run(self.uas.call_failed(key, failure.value))  # sent until the ACK comes

        d = maybeDeferred(self.voice.start, action.msisdn, action.dialled, "sip")
        d.addCallbacks(answered, failed).addErrback(lambda f: log.error("SIP call set-up failed: %s", f))

    def _changed(self, key: str, call: Call) -> None:
        """A new prompt to play; or the end: the goodbye, then the BYE."""
        if call.state is CallState.ACTIVE:
            self._prompt(key, call)
            return

        def hang_up() -> None:
            self._run(self.uas.call_ended(call.call_id))

        if call.end_reason in SILENT_ENDS or key not in self._players:
            hang_up()
        else:
            self._prompt(key, call, then=hang_up)

    def _press(self, key: str, call_id: str, digits: str) -> None:
        player = self._players.get(key)
        if player is not None and call_id in self.voice.calls:
            self._prompts[key] = self._prompts.get(key, 0) + 1  # a prompt still being rendered is moot
            player.stop_playing()  # barge-in: a key cuts the prompt
        maybeDeferred(self.voice.dtmf, call_id, digits).addErrback(
            lambda f: log.info("voice call %s: %s", key, f.value))

    def _prompt(self, key: str, call: Call, then: Callable[[], None] | None = None) -> None:
        player = self._players.get(key)
        if player is None or player.stream is None:
            if then is not None:
                then()
            return
        number = self._prompts[key] = self._prompts.get(key, 0) + 1
        payload_type = player.stream.payload_type

        def play(frames: list[bytes]) -> None:
            if self._prompts.get(key) != number or self._players.get(key) is not player:
                if then is not None:
                    then()  # superseded or closed; the BYE must still go
                return
            seconds = player.play(frames, then)
            if call.state is CallState.ACTIVE:
                self.voice.playing(call.call_id, seconds)

        self.prompts.render(call.prompt, call.locale, payload_type).addCallback(play).addErrback(
            lambda f: log.error("prompt of call %s not played: %s", call.call_id, f.value))

    def _close_media(self, key: str):
        self._prompts.pop(key, None)
        player = self._players.pop(key, None)
        if player is not None:
            player.stop_playing()
        port = self._media.pop(key, None)
        return port.stopListening() if port is not None else None
