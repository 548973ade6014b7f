"""Throughput sanity check of codec.decode (+ index_run) on an unpaced 8-channel stream.

Not a test: prints frames per second for a few read sizes, with a STATUS frame after every
1000 SAMPLES frames as a streaming board sends them.

    python bench/codec_throughput.py [frames]
"""

from __future__ import annotations

import sys
import time

import numpy as np

from microexp_tui.device import codec
from microexp_tui.device.protocol import FrameType, Status, encode_frame, encode_samples_block
from microexp_tui.device.protocol import status_payload as status_bytes

CHANNELS = 8
RATE_HZ = 1000


def make_stream(n_frames: int) -> bytes:
    """SAMPLES frames with a STATUS frame after every second of samples."""
    counts = np.random.default_rng(0).integers(0, 1024, (n_frames, CHANNELS))
    parts = []
    for second, start in enumerate(range(0, n_frames, RATE_HZ)):
        parts.append(encode_samples_block(start, counts[start : start + RATE_HZ]))
        status = Status(start + RATE_HZ, 0, 0, 0, 1, 0)
        parts.append(encode_frame(FrameType.STATUS, second, status_bytes(status)))
    return b"".join(parts)


def measure(data: bytes, read_bytes: int) -> tuple[int, float]:
    """Decode and index the stream in reads of `read_bytes`; returns frames and seconds."""
    decoder, tracker = codec.DecoderState(), codec.TrackerState()
    frames = 0
    started = time.perf_counter()
    for start in range(0, len(data), read_bytes):
        decoder, result = codec.decode(decoder, data[start : start + read_bytes], CHANNELS)
        frames += result.frames
        for item in result.items:
            if isinstance(item, codec.SampleRun):
                tracker, _ = codec.index_run(tracker, item, 0.0, RATE_HZ)
    return frames, time.perf_counter() - started


def main() -> None:
    """Print the decode rate for several read sizes."""
    n_frames = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    data = make_stream(n_frames)
    print(f"{n_frames} SAMPLES frames x {CHANNELS} channels, {len(data) / 1e6:.1f} MB")
    for read_bytes in (len(data), 1 << 20, 65536, 4096):
        frames, seconds = measure(data, read_bytes)
        rate = frames / seconds
        print(
            f"reads of {read_bytes:>9} B: {rate / 1e6:6.2f} M frames/s "
            f"({rate / RATE_HZ:,.0f}x real time at {RATE_HZ} Hz)"
        )


if __name__ == "__main__":
    main()
