"""Shared pieces of the TUI tests: fast settings, the quiet simulated participant, waiting."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from microexp_tui.settings import CheckPrefs, Settings

HERE = Path(__file__).resolve().parent
QUIET_SCENARIO = HERE / "quiet.toml"
FAST_PROTOCOL = HERE / "fast.toml"
WAIT_LIMIT_S = 90.0
"""Upper bound on waiting for the app (a hang guard, never a speed requirement)."""


def fast_settings() -> Settings:
    """Short check and calibration steps, the fast protocol preselected with a fixed order
    seed, no media viewer."""
    return Settings(
        checks=CheckPrefs(rest_s=1.0, contraction_s=2.0, calibration_rest_s=1.0, mvc_s=2.0),
        default_protocol=str(FAST_PROTOCOL),
        protocol_seed=2026,
        operator="tester",
        open_media=False,
    )


def sim_args(channels: int = 4, rate_hz: int = 500, extra: tuple[str, ...] = ()) -> list[str]:
    """Simulator options: few channels, the quiet participant, a fixed seed."""
    return [
        "--channels",
        str(channels),
        "--rate-hz",
        str(rate_hz),
        "--seed",
        "3",
        "--scenario",
        str(QUIET_SCENARIO),
        *extra,
    ]


async def wait_for(pilot: Pilot[None], condition: Callable[[], bool], what: str) -> None:
    """Let the app run until `condition` holds (bounded so a broken flow fails, not hangs)."""
    waited_s = 0.0
    while not condition():
        if waited_s > WAIT_LIMIT_S:
            raise AssertionError(f"the app never reached: {what}")
        await pilot.pause(0.05)
        waited_s += 0.05
