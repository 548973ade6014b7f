"""The Arduino sketch builds with Debian's AVR toolchain and has the shape the issue asks for."""

from __future__ import annotations

import re
import subprocess

from tests.firmware import (
    FIRMWARE,
    build_dir,
    firmware_elf,
    harness,
    require_avr_toolchain,
    run_make,
)

FLASH_BYTES = 253_952  # ATmega2560 flash minus the 8 KB stk500v2 bootloader (boards.txt)
SRAM_BYTES = 8192
VECTOR_NUMBERS = {
    "INT4 (trigger, pin 2)": 5,
    "TIMER1_COMPA (sample tick)": 17,
    "USART0_RX": 25,
    "USART0_UDRE": 26,
    "ADC": 29,
}


def section_sizes() -> dict[str, int]:
    """avr-size -A of the firmware: section name -> bytes."""
    out = subprocess.run(
        ["avr-size", "-A", str(firmware_elf())], capture_output=True, text=True, check=True
    ).stdout
    sizes = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith("."):
            sizes[parts[0]] = int(parts[1])
    return sizes


def symbols() -> dict[str, str]:
    """Symbol name -> nm type letter of the linked firmware (C++ names demangled)."""
    out = subprocess.run(
        ["avr-nm", "-C", str(firmware_elf())], capture_output=True, text=True, check=True
    ).stdout
    table = {}
    for line in out.splitlines():
        parts = line.split(maxsplit=2)
        if len(parts) == 3:
            table[parts[2]] = parts[1]
        elif len(parts) == 2:
            table[parts[1]] = parts[0]
    return table


def test_sketch_folder_is_what_the_arduino_ide_opens() -> None:
    sketch = FIRMWARE / "microexp_emg"
    assert (sketch / "microexp_emg.ino").exists(), "the IDE wants <folder>/<folder>.ino"
    ino = (sketch / "microexp_emg.ino").read_text()
    assert "void setup()" in ino and "void loop()" in ino
    assert "Serial" not in re.sub(r"//.*", "", ino), "the firmware owns USART0: no Serial"


def test_firmware_builds_and_fits_with_room_to_spare() -> None:
    require_avr_toolchain()
    elf = firmware_elf()
    assert elf.exists() and (build_dir() / "microexp_emg.hex").exists()
    sizes = section_sizes()
    flash = sizes[".text"] + sizes[".data"]
    ram = sizes[".data"] + sizes[".bss"]
    assert flash < FLASH_BYTES // 10, f"flash {flash} bytes"
    assert ram < SRAM_BYTES // 2, f"static RAM {ram} bytes leaves too little stack"
    report = run_make("size").stdout
    assert "Program:" in report and "Data:" in report


def test_interrupt_driven_design_is_linked_in() -> None:
    table = symbols()
    for name, number in VECTOR_NUMBERS.items():
        assert table.get(f"__vector_{number}") == "T", f"{name} handler missing"
    linked = " ".join(table)
    assert "HardwareSerial" not in linked, "Arduino's Serial must not own USART0"
    assert "analogRead" not in linked, "no blocking analogRead loop"
    assert not re.search(r"\bdelay\b", linked), "no delay()"


def test_uart_runs_at_an_exact_500000_baud_divisor() -> None:
    result = subprocess.run(
        [str(harness()), "-v", "--bench", "0.05", str(firmware_elf())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    # simavr's own report of what the firmware wrote to UBRR0 and U2X0
    assert "UART: 0 configured to 0001 = 500000.0000 bps (x1), 8 data 1 stop" in result.stderr
