"""How trials are cut and judged: baseline and response windows, bin width, outlier limit."""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

MAX_EPOCH_S = 60.0
"""Windows reach at most this far from an onset: a trial is a stimulus's response, not a block."""

EpochSeconds = Annotated[float, Field(ge=-MAX_EPOCH_S, le=MAX_EPOCH_S)]


class TrialOptions(BaseModel):
    """Windows relative to each onset (seconds), bin width (ms) and the SD limit of outliers."""

    model_config = ConfigDict(
        extra="forbid", allow_inf_nan=False, frozen=True, use_attribute_docstrings=True
    )

    baseline_s: tuple[EpochSeconds, EpochSeconds] = (-1.0, 0.0)
    """Pre-stimulus baseline window, seconds relative to onset (start, end)."""
    window_s: tuple[EpochSeconds, EpochSeconds] = (0.0, 4.0)
    """Response window, seconds relative to onset (start, end)."""
    bin_ms: Annotated[float, Field(gt=0, le=MAX_EPOCH_S * 1000)] = 100.0
    """Width of the time bins the response window is cut into (milliseconds)."""
    exclude_sd: Annotated[float, Field(gt=0, le=100)] = 3.5
    """A trial whose whole-window change lies beyond this many SDs of its participant's and
    muscle's trials is excluded."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        """Each window must start before it ends, and a bin must fit in the response window."""
        for name, (start, end) in (("baseline", self.baseline_s), ("response", self.window_s)):
            if not start < end:
                raise ValueError(
                    f"the {name} window must start before it ends (got {start} .. {end} s)"
                )
        if self.bin_ms / 1000 > self.window_s[1] - self.window_s[0] + 1e-9:
            raise ValueError(
                f"a {self.bin_ms:g} ms bin does not fit in the "
                f"{self.window_s[0]:g} .. {self.window_s[1]:g} s response window"
            )
        return self
