"""What a serial port answered when the host tried to connect: words for the operator.

A connect attempt keeps the first bytes it heard; `describe_reply` tells the framed protocol's
frames from the article's sketch's text lines, other text, and unreadable bytes (another
device, or another baud rate), so a failed connect can say what to choose instead.
"""

from __future__ import annotations

from microexp_tui.device import codec
from microexp_tui.device.legacy import detect_channels
from microexp_tui.device.protocol import MAX_CHANNELS, FrameType

KEPT_REPLY_BYTES = 4096
"""The first bytes of a reply kept to describe it."""
TEXT_SHARE = 0.9
"""Bytes this share printable (or CR/LF/tab) are text."""
QUOTED_CHARS = 40


def looks_like_sketch(data: bytes) -> int | None:
    """Values per line when `data` holds lines of the article's sketch (`millis,v1,...`)."""
    return detect_channels(data)


def frame_types(data: bytes) -> set[int]:
    """Types of the framed protocol's well-formed frames in `data` (sample frames of any
    channel count included)."""
    types: set[int] = set()
    for channels in range(1, MAX_CHANNELS + 1):
        _, result = codec.decode(codec.DecoderState(), data, channels=channels)
        for item in result.items:
            if isinstance(item, codec.SampleRun):
                types.add(int(FrameType.SAMPLES))
            else:
                types.add(item.frame_type)
        if FrameType.SAMPLES in types:
            break
    return types


def is_text(data: bytes) -> bool:
    """Whether `data` is mostly printable ASCII text."""
    printable = sum(32 <= byte < 127 or byte in (9, 10, 13) for byte in data)
    return bool(data) and printable >= TEXT_SHARE * len(data)


def describe_reply(data: bytes) -> str:
    """What answered, in a few words: "no reply", the sketch's lines, framed frames, text, bytes."""
    if not data:
        return "no reply"
    channels = looks_like_sketch(data)
    if channels is not None:
        return (
            f"text lines that look like the article's sketch ({channels} values per line): "
            "choose Legacy sketch"
        )
    if frame_types(data):
        return "frames of the microexp protocol, but no identity (is the board busy or old?)"
    if is_text(data):
        first = data.decode("ascii", "replace").strip().splitlines()[0][:QUOTED_CHARS]
        return f"text that is not the article's sketch ({first!r}): another device or program"
    return (
        f"{len(data)} unreadable bytes: another device, or a baud rate other than this "
        "program's (the article's sketch talks at 9600 baud: choose Legacy sketch)"
    )
