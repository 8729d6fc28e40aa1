"""The SIP and RTP sockets of the voice menu: thin Twisted datagram protocols around UserAgentServer.

Keypad tones arrive as SIP INFO or RFC 4733 events on the per-call RTP port advertised
in the SDP answer. Prompts are not spoken: each new prompt is a short G.711 tone sent to
the caller's RTP address in 20 ms packets timed by the injected clock (a new prompt cuts
the one playing); the prompt text travels through the HTTP API and the event stream.
"""

from __future__ import annotations

import logging
import secrets
from collections import deque
from collections.abc import Callable

from twisted.internet.defer import Deferred, succeed
from twisted.internet.protocol import DatagramProtocol
from twisted.internet.task import LoopingCall

from gateway.ivr.rtp import DtmfReceiver, RtpError, RtpStream, tone_frames
from gateway.ivr.session import Call, CallState
from gateway.ivr.sip import LocalProtocolError, serialise
from gateway.ivr.uas import Action, CloseMedia, HangUp, PressKeys, Send, StartCall, UserAgentServer

log = logging.getLogger(__name__)
PTIME = 0.020
PROMPT_TONE = (440.0, 400)  # Hz, ms


class RtpProtocol(DatagramProtocol):
    """One call's media port: RFC 4733 keypad tones in, prompt tones out, other packets ignored."""

    def __init__(self, on_digit: Callable[[str], None], clock) -> None:
        self.receiver = DtmfReceiver(frozenset())
        self._on_digit = on_digit
        self._clock = clock
        self.stream: RtpStream | None = None
        self.remote: tuple[str, int] | None = None
        self._frames: deque[bytes] = deque()
        self._ticker: LoopingCall | None = None
        self._marker = False

    def play(self, frames: list[bytes]) -> None:
        """Send these 20 ms frames from the next tick on, replacing what is still playing."""
        if self.stream is None or self.remote is None or self.transport is None:
            return
        self._frames = deque(frames)
        self._marker = True
        if self._ticker is None or not self._ticker.running:
            self._ticker = LoopingCall(self._tick)
            self._ticker.clock = self._clock
            self._ticker.start(PTIME, now=True)

    def _tick(self) -> None:
        if not self._frames or self.transport is None:
            self.stop_playing()
            return
        assert self.stream is not None
        self.transport.write(self.stream.packet(self._frames.popleft(), marker=self._marker), self.remote)
        self._marker = False

    def stop_playing(self) -> None:
        if self._ticker is not None and self._ticker.running:
            self._ticker.stop()
        self._frames.clear()

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
                 clock) -> None:
        self.uas = uas
        self.clock = clock
        self.voice = voice
        self._listen_rtp = listen_rtp
        self._media: dict[str, object] = {}  # dialog key -> listening RTP port
        self._players: dict[str, RtpProtocol] = {}
        self._keys: dict[str, Deferred] = {}  # dialog key -> the tail of its key presses

    def startProtocol(self) -> None:  # noqa: N802 - Twisted's name
        host = self.transport.getHost()
        self.uas.port = host.port

    def datagramReceived(self, data: bytes, addr) -> None:  # noqa: N802 - Twisted's name
        self._run(self.uas.receive(data, addr))

    def close(self) -> list[Deferred]:
        """Stop every call's media port (shutdown)."""
        return [d for d in (self._close_media(key) for key in list(self._media)) if d is not None]

    def _run(self, actions: list[Action]) -> None:
        for action in actions:
            if isinstance(action, Send):
                try:
                    self.transport.write(serialise(action.message), action.addr)
                except LocalProtocolError:
                    log.exception("could not send a SIP message")
            elif isinstance(action, StartCall):
                self._start(action)
            elif isinstance(action, PressKeys):
                self._press(action.key, action.call_id, action.digits)
            elif isinstance(action, HangUp):
                self._queue(action.key, lambda call_id=action.call_id: self.voice.hang_up(call_id))
                self._keys.pop(action.key, None)
                self.uas.forget(action.key)
            elif isinstance(action, CloseMedia):
                self._close_media(action.key)

    def _start(self, action: StartCall) -> None:
        def answered(call: Call) -> None:
            key = action.key
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
                self._prompt(key)
            if call.state is CallState.ENDED:
                self._run(self.uas.call_ended(call.call_id))

        def failed(failure) -> None:
            log.info("call from %s to %s not connected: %s", action.msisdn, action.dialled, failure.value)
            self._run(self.uas.call_failed(action.key, failure.value))
            self.uas.forget(action.key)

        d = self.voice.start(action.msisdn, action.dialled)
        d.addCallbacks(answered, failed).addErrback(lambda f: log.error("SIP call set-up failed: %s", f))

    def _press(self, key: str, call_id: str, digits: str) -> None:
        def done(call: Call) -> None:
            if call.state is CallState.ENDED:
                self._keys.pop(key, None)
                self._run(self.uas.call_ended(call_id))
            else:
                self._prompt(key)

        def pressed() -> Deferred:
            return self.voice.dtmf(call_id, digits).addCallback(done)

        self._queue(key, pressed)

    def _queue(self, key: str, work: Callable[[], Deferred]) -> None:
        """Key presses and the hang-up of one call run one after another, in arrival order."""
        tail = self._keys.get(key) or succeed(None)
        tail = tail.addCallback(lambda _: work())
        tail.addErrback(lambda f: log.info("voice call %s: %s", key, f.value))
        self._keys[key] = tail

    def _prompt(self, key: str) -> None:
        player = self._players.get(key)
        if player is not None and player.stream is not None:
            player.play(tone_frames(player.stream.payload_type, *PROMPT_TONE))

    def _close_media(self, key: str):
        player = self._players.pop(key, None)
        if player is not None:
            player.stop_playing()
        port = self._media.pop(key, None)
        return port.stopListening() if port is not None else None
