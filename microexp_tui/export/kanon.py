"""k-anonymity report over the exported quasi-identifiers (age band, sex, handedness)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from microexp_tui.errors import InputError

DEFAULT_K = 5
QUASI_IDENTIFIERS: tuple[str, ...] = ("age_band", "sex", "handedness")


@dataclass(frozen=True)
class KAnonymityReport:
    """How many exported participants share each quasi-identifier combination."""

    k: int
    groups: dict[tuple[str, str, str], int]

    @property
    def small_groups(self) -> dict[tuple[str, str, str], int]:
        """Combinations shared by fewer than k participants (re-identification risk)."""
        return {combo: n for combo, n in sorted(self.groups.items()) if n < self.k}

    @property
    def satisfied(self) -> bool:
        """True when every combination has at least k participants."""
        return not self.small_groups

    def warnings(self) -> list[str]:
        """One warning per combination below k, naming the combination and its count."""
        return [
            f"k-anonymity: {n} participant(s) with age band {combo[0]}, sex {combo[1]}, "
            f"handedness {combo[2]} (fewer than k={self.k}); consider coarser bands or "
            "withholding these demographics before publishing."
            for combo, n in self.small_groups.items()
        ]

    def as_json(self) -> dict[str, object]:
        """JSON-ready summary (counts only, no labels)."""
        return {
            "k": self.k,
            "quasi_identifiers": list(QUASI_IDENTIFIERS),
            "groups": [{"values": list(c), "participants": n} for c, n in self.groups.items()],
            "small_groups": [
                {"values": list(c), "participants": n} for c, n in self.small_groups.items()
            ],
            "satisfied": self.satisfied,
        }


def k_anonymity(rows: Iterable[tuple[str, str, str]], k: int = DEFAULT_K) -> KAnonymityReport:
    """Count participants per (age band, sex, handedness); one row per exported participant."""
    if k < 1:
        raise InputError(f"k = {k} is invalid for the k-anonymity report: use 1 or more.")
    return KAnonymityReport(k, dict(sorted(Counter(rows).items())))
