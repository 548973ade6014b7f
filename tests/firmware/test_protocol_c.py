"""The firmware's protocol C code, compiled for the host, against the shared golden vectors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.firmware import FIRMWARE, VECTORS, build_dir, require_host_compiler


def vector_lines(name: str) -> int:
    """Vector lines of a file (comments and blank lines excluded)."""
    lines = (VECTORS / name).read_text().splitlines()
    return sum(1 for line in lines if line.strip() and not line.startswith("#"))


def compile_vector_test() -> Path:
    """tests/test_vectors.c + mx_protocol.c with warnings as errors."""
    compiler = require_host_compiler()
    binary = build_dir() / "test_vectors_host"
    sources = FIRMWARE / "microexp_emg"
    command = [
        compiler,
        "-std=c99",
        "-D_POSIX_C_SOURCE=200809L",
        "-O2",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-pedantic",
        f"-I{sources}",
        str(FIRMWARE / "tests" / "test_vectors.c"),
        str(sources / "mx_protocol.c"),
        "-o",
        str(binary),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return binary


def test_c_protocol_code_matches_every_golden_vector() -> None:
    binary = compile_vector_test()
    result = subprocess.run([str(binary), str(VECTORS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    passed = dict(line.rsplit(" ", 2)[:2] for line in result.stdout.splitlines())
    # every line of every vector file ran (a skipped line would show as a lower count)
    assert int(passed["crc.txt"]) == vector_lines("crc.txt")
    assert int(passed["frames.txt"]) == vector_lines("frames.txt")
    assert int(passed["streams.txt"]) == vector_lines("streams.txt")
    assert int(passed["crc_table"]) == 256 * 256
    assert int(passed["config"]) > 0


def test_the_vector_test_fails_on_a_wrong_vector(tmp_path: Path) -> None:
    binary = compile_vector_test()
    for name in ("crc.txt", "frames.txt", "streams.txt"):
        (tmp_path / name).write_text((VECTORS / name).read_text())
    frames = (VECTORS / "frames.txt").read_text()
    assert "a55a0100000200029205 1 512\n" in frames
    frames = frames.replace("a55a0100000200029205 1 512\n", "a55a0100000200029205 1 513\n")
    (tmp_path / "frames.txt").write_text(frames)
    result = subprocess.run([str(binary), str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 1
    assert "FAIL samples_1ch" in result.stderr
