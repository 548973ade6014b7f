"""Demographics as exported: 5-year age bands instead of birth years, BIDS sex and handedness."""

from __future__ import annotations

AGE_BAND_YEARS = 5
TOP_CODED_AGE = 90
"""Ages of 90 and over share one band ("90+"), as HIPAA Safe Harbor asks."""

NOT_AVAILABLE = "n/a"

_BIDS_SEX = {"female": "female", "male": "male", "other": "other"}
"""Store values -> BIDS levels; `undisclosed` and missing become n/a."""

_BIDS_HANDEDNESS = {"right": "right", "left": "left", "ambidextrous": "ambidextrous"}


def age_band(birth_year: int | None, at_year: int) -> str:
    """The 5-year age band ("25-29") at `at_year`, "90+" for the oldest, n/a if unknown.

    Only the birth year is stored, so the age is `at_year - birth_year` (it may be one
    year above the true age before the birthday): the band is exact except at its edges.
    """
    if birth_year is None or at_year < birth_year:
        return NOT_AVAILABLE
    age_years = at_year - birth_year
    if age_years >= TOP_CODED_AGE:
        return f"{TOP_CODED_AGE}+"
    low = age_years - age_years % AGE_BAND_YEARS
    return f"{low}-{low + AGE_BAND_YEARS - 1}"


def bids_sex(sex: str | None) -> str:
    """The participant's sex as a BIDS level, or n/a."""
    return _BIDS_SEX.get((sex or "").lower(), NOT_AVAILABLE)


def bids_handedness(handedness: str | None) -> str:
    """The participant's handedness as a BIDS level, or n/a."""
    return _BIDS_HANDEDNESS.get((handedness or "").lower(), NOT_AVAILABLE)
