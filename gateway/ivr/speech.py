"""Prompt audio for SIP calls: spoken by espeak-ng when it is installed, a short tone otherwise.

Synthesis runs espeak-ng as a child process on a thread (never on the reactor), reading
the text from stdin so that no prompt is ever taken for an option. Prompts repeat a lot
(every caller hears the same welcome), so the frames of the latest ones are kept.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections import OrderedDict
from collections.abc import Callable

from twisted.internet.defer import Deferred, succeed

from gateway.ivr.audio import AudioError, wav_frames
from gateway.ivr.rtp import tone_frames

log = logging.getLogger(__name__)
TONE = (440.0, 400)  # Hz, ms: the prompt when nothing can speak
VOICES = {"ru": "ru", "en": "en-gb"}
KEEP = 128  # prompts whose frames are kept
Runner = Callable[..., Deferred]  # run(fn, *args) on a thread: twisted.internet.threads.deferToThread


def synthesise(espeak: str, text: str, locale: str, payload_type: int) -> list[bytes]:
    """Speak `text` with espeak-ng and return 20 ms G.711 frames (blocking: call on a thread)."""
    done = subprocess.run([espeak, "-v", VOICES.get(locale, locale), "--stdin", "--stdout"],
                          input=text.encode("utf-8"), capture_output=True, timeout=30, check=True)
    return wav_frames(done.stdout, payload_type)


class Prompts:
    """`render(text, locale, payload_type)`: a Deferred of the prompt's frames."""

    def __init__(self, run_in_thread: Runner | None = None, espeak: str | None = None) -> None:
        self.espeak = espeak if espeak is not None else shutil.which("espeak-ng")
        self._run = run_in_thread
        self._kept: OrderedDict[tuple[str, str, int], list[bytes]] = OrderedDict()

    @property
    def spoken(self) -> bool:
        return bool(self.espeak and self._run)

    def render(self, text: str, locale: str, payload_type: int) -> Deferred[list[bytes]]:
        if not self.spoken or not text.strip():
            return succeed(tone_frames(payload_type, *TONE))
        key = (text, locale, payload_type)
        if key in self._kept:
            self._kept.move_to_end(key)
            return succeed(self._kept[key])
        assert self._run is not None and self.espeak
        d = self._run(synthesise, self.espeak, text, locale, payload_type)

        def keep(frames: list[bytes]) -> list[bytes]:
            self._kept[key] = frames
            while len(self._kept) > KEEP:
                self._kept.popitem(last=False)
            return frames

        def tone(failure) -> list[bytes]:
            failure.trap(OSError, subprocess.SubprocessError, AudioError)
            log.warning("espeak-ng failed (%s); a tone instead", failure.value)
            return tone_frames(payload_type, *TONE)

        return d.addCallbacks(keep, tone)
