"""A simulated board that speaks the firmware protocol over a real pseudo-terminal."""

from microexp_tui.simulator.process import SimulatorProcess, start_simulator_process

__all__ = ["SimulatorProcess", "start_simulator_process"]
