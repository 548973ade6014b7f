"""One error family for the whole program, each carrying a message a person can act on."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes, one per error family, so scripts can tell failures apart."""

    OK = 0
    USAGE = 2
    DEVICE = 3
    PROTOCOL = 4
    """The board speaks something we cannot decode or the protocol forbids, or a recording
    got no valid sample from it (session status `empty`)."""
    STORE = 5
    MODEL = 6
    INPUT = 7
    INTERRUPTED = 130


class MicroexpError(Exception):
    """Base error: `str(err)` says what is wrong, where, and what to do about it."""

    exit_code: ExitCode = ExitCode.USAGE


class DeviceError(MicroexpError):
    """A serial port or board problem (missing port, no handshake, disconnect)."""

    exit_code = ExitCode.DEVICE


class ProtocolError(MicroexpError):
    """The board speaks something we cannot decode (e.g. an unknown protocol version)."""

    exit_code = ExitCode.PROTOCOL


class StoreError(MicroexpError):
    """The session database cannot be opened, written or read."""

    exit_code = ExitCode.STORE


class ModelError(MicroexpError):
    """A classification model is missing, malformed or incompatible."""

    exit_code = ExitCode.MODEL


class InputError(MicroexpError):
    """A user-supplied file or value (scenario, protocol, CSV, option) is invalid."""

    exit_code = ExitCode.INPUT
