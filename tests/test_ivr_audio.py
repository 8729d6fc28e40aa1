"""Prompt audio: WAV reading, resampling to 8 kHz, G.711 framing, RTP packetising, espeak-ng."""

from __future__ import annotations

import io
import math
import os
import shutil
import struct
import wave

import pytest
from twisted.internet.defer import maybeDeferred

from gateway.ivr import audio, rtp
from gateway.ivr.speech import Prompts, synthesise

ESPEAK = shutil.which("espeak-ng")
needs_espeak = pytest.mark.skipif(ESPEAK is None and os.environ.get("CI") != "true",
                                  reason="espeak-ng is not installed; run make install")


def wav(samples: list[int], rate: int, channels: int = 1) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as writer:
        writer.setnchannels(channels)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(struct.pack(f"<{len(samples)}h", *samples))
    return out.getvalue()


def sine(frequency: float, rate: int, seconds: float, amplitude: int = 8000) -> list[int]:
    return [int(amplitude * math.sin(2 * math.pi * frequency * n / rate)) for n in range(int(rate * seconds))]


def crossings(samples) -> int:
    return sum(1 for a, b in zip(samples, samples[1:], strict=False) if a < 0 <= b)


def test_read_wav_mono_stereo_and_espeaks_placeholder_sizes():
    assert audio.read_wav(wav([1, -2, 300], 22050)) == audio.Pcm(22050, (1, -2, 300))
    assert audio.read_wav(wav([100, 300, -10, -30], 8000, channels=2)).samples == (200, -20)
    streamed = bytearray(wav([5, 6, 7], 22050))
    streamed[4:8] = streamed[40:44] = struct.pack("<I", 0x7FFFF000)  # espeak-ng --stdout writes these
    assert audio.read_wav(bytes(streamed)).samples == (5, 6, 7)
    for bad in (b"", b"RIFF\x00\x00\x00\x00WAVX", wav([1], 8000)[:36]):
        with pytest.raises(audio.AudioError):
            audio.read_wav(bad)


def test_resampling_keeps_length_level_and_pitch():
    pcm = audio.Pcm(22050, tuple(sine(400, 22050, 1.0)))
    down = audio.resample(pcm)
    assert down.rate == 8000 and len(down.samples) == 8000
    assert crossings(down.samples) == crossings(pcm.samples) == 399  # 400 Hz for 1 s, from a rising start
    assert audio.resample(audio.Pcm(22050, (1000,) * 2205)).samples == (1000,) * 800
    assert audio.resample(audio.Pcm(4000, (1, 2))).samples == (1, 1, 2, 2)


def test_frames_are_160_octets_of_g711_padded_with_silence():
    pcm = audio.Pcm(8000, tuple(sine(1000, 8000, 0.05)))  # 400 samples: 2.5 frames
    for payload_type, silence in ((0, 0xFF), (8, 0xD5)):
        frames = audio.frames(pcm, payload_type)
        assert [len(f) for f in frames] == [160, 160, 160]
        assert frames[2][80:] == bytes([silence]) * 80
        assert frames[0][:4] == bytes(rtp.ENCODERS[payload_type](s) for s in pcm.samples[:4])
    assert audio.duration(frames) == 0.06
    with pytest.raises(audio.AudioError):
        audio.frames(audio.Pcm(16000, (0,)), 0)


def test_packetiser_counts_160_samples_a_packet_and_marks_the_first():
    frames = audio.wav_frames(wav(sine(440, 22050, 0.1), 22050), 8)
    stream = rtp.RtpStream(8, ssrc=7, sequence=65534, timestamp=2**32 - 160)
    packets = [rtp.parse_rtp(stream.packet(frame, marker=n == 0)) for n, frame in enumerate(frames)]
    assert len(packets) == 5
    assert [p.marker for p in packets] == [True, False, False, False, False]
    assert [p.sequence for p in packets] == [65534, 65535, 0, 1, 2]  # sequence and timestamp wrap
    assert [p.timestamp for p in packets] == [2**32 - 160, 0, 160, 320, 480]
    assert {p.payload_type for p in packets} == {8} and {p.ssrc for p in packets} == {7}


@needs_espeak
def test_espeak_speaks_a_prompt_as_g711_frames():
    frames = synthesise(ESPEAK, "Вас приветствует Сервис-Гид.", "ru", 0)
    assert 1.0 < audio.duration(frames) < 5.0 and {len(f) for f in frames} == {160}
    assert len(set(b"".join(frames))) > 50  # speech, not silence or a single tone


def test_prompts_fall_back_to_a_tone_and_keep_what_was_spoken():
    calls = []

    def run(fn, *args):
        calls.append(args)
        return maybeDeferred(fn, *args)

    broken = Prompts(run, espeak="/bin/false")
    tone = rtp.tone_frames(0, 440.0, 400)
    assert _value(broken.render("Здравствуйте", "ru", 0)) == tone  # espeak failed: a tone
    assert _value(Prompts(None, espeak=ESPEAK or "espeak-ng").render("Здравствуйте", "ru", 0)) == tone
    if ESPEAK:
        prompts = Prompts(run, espeak=ESPEAK)
        first = _value(prompts.render("Баланс", "ru", 8))
        assert _value(prompts.render("Баланс", "ru", 8)) is first and len(calls) == 2  # spoken once


def _value(d):
    out = []
    d.addBoth(out.append)
    return out[0]
