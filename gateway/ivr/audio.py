"""Prompt audio as G.711 frames: WAV in, 8 kHz µ-law/A-law 20 ms frames out (pure, no audioop).

How it works: `read_wav` takes 16-bit PCM WAV bytes as espeak-ng writes them to stdout
(whose RIFF and data sizes are placeholders, so the data chunk runs to the end);
`resample` brings any rate to 8 kHz by averaging the input samples that fall into each
output sample's span (integrate-and-dump: a box low-pass and decimation in one pass, good
enough for speech); `frames` encodes with the G.711 tables of gateway/ivr/rtp.py and cuts
160-sample (20 ms) frames, the last one padded with silence.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from gateway.ivr.rtp import ENCODERS, FRAME, SAMPLE_RATE


class AudioError(ValueError):
    """Not a WAV this module reads (16-bit PCM)."""


@dataclass(frozen=True)
class Pcm:
    rate: int
    samples: tuple[int, ...]  # signed 16-bit, mono


def read_wav(data: bytes) -> Pcm:
    """16-bit PCM WAV (mono, or stereo mixed down) as samples."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioError("not a RIFF WAVE file")
    offset, channels, rate = 12, 0, 0
    while offset + 8 <= len(data):
        kind, size = data[offset:offset + 4], struct.unpack("<I", data[offset + 4:offset + 8])[0]
        body = offset + 8
        if kind == b"fmt ":
            audio_format, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body:body + 16])
            if audio_format != 1 or bits != 16 or channels not in (1, 2):
                raise AudioError("only 16-bit PCM, mono or stereo, is read")
        elif kind == b"data":
            if not rate:
                raise AudioError("data before fmt")
            chunk = data[body:body + size] if body + size <= len(data) else data[body:]
            chunk = chunk[: len(chunk) // (2 * channels) * 2 * channels]
            values = struct.unpack(f"<{len(chunk) // 2}h", chunk)
            if channels == 2:
                values = tuple((a + b) // 2 for a, b in zip(values[::2], values[1::2], strict=True))
            return Pcm(rate, tuple(values))
        offset = body + size + (size & 1)
    raise AudioError("no data chunk")


def resample(pcm: Pcm, rate: int = SAMPLE_RATE) -> Pcm:
    """The same sound at `rate` (down: average over each output span; up: nearest sample)."""
    if pcm.rate == rate or not pcm.samples:
        return Pcm(rate, pcm.samples)
    count = len(pcm.samples) * rate // pcm.rate
    if pcm.rate < rate:
        return Pcm(rate, tuple(pcm.samples[n * pcm.rate // rate] for n in range(count)))
    sums = [0]
    for sample in pcm.samples:
        sums.append(sums[-1] + sample)
    out = []
    for n in range(count):
        start, end = n * pcm.rate // rate, (n + 1) * pcm.rate // rate
        out.append((sums[end] - sums[start]) // max(1, end - start))
    return Pcm(rate, tuple(out))


def frames(pcm: Pcm, payload_type: int) -> list[bytes]:
    """8 kHz samples as 20 ms G.711 frames of payload type 0 (PCMU) or 8 (PCMA)."""
    if pcm.rate != SAMPLE_RATE:
        raise AudioError("G.711 frames need 8 kHz samples")
    encode = ENCODERS[payload_type]
    silence = encode(0)
    encoded = bytes(encode(sample) for sample in pcm.samples)
    if len(encoded) % FRAME:
        encoded += bytes([silence]) * (FRAME - len(encoded) % FRAME)
    return [encoded[i:i + FRAME] for i in range(0, len(encoded), FRAME)]


def wav_frames(data: bytes, payload_type: int) -> list[bytes]:
    """A WAV file as 20 ms G.711 frames."""
    return frames(resample(read_wav(data)), payload_type)


def duration(frame_list: list[bytes]) -> float:
    """Seconds the frames play for."""
    return len(frame_list) * FRAME / SAMPLE_RATE
