"""Short names for channels, muscles and times as the report prints them."""

from __future__ import annotations

from datetime import datetime

from microexp_tui.domain.sessions import SessionRecord
from microexp_tui.dsp.units import WorkingUnits

MUSCLE_ABBREVIATIONS = {
    "Zygomaticus major": "Zyg. major",
    "Frontalis": "Frontalis",
    "Levator labii superioris alaeque nasi": "Lev. labii",
    "Depressor anguli oris": "Depr. ang. oris",
    "Corrugator supercilii": "Corrugator",
    "Depressor supercilii": "Depr. supercilii",
    "Orbicularis oris": "Orb. oris",
    "Orbicularis oculi": "Orb. oculi",
}


def short_muscle(muscle: str | None) -> str:
    """A muscle name short enough for a table cell or a chart lane."""
    if not muscle:
        return "unassigned"
    return MUSCLE_ABBREVIATIONS.get(muscle, muscle if len(muscle) <= 16 else muscle[:15] + ".")


def channel_name(record: SessionRecord, channel: int, short: bool = True) -> str:
    """`<number> <muscle>` for a 0-based channel of the session's montage."""
    if 0 <= channel < len(record.channels):
        muscle = record.channels[channel].muscle
        return f"{channel + 1} {short_muscle(muscle) if short else (muscle or 'unassigned')}"
    return f"{channel + 1}"


def channel_units(record: SessionRecord) -> tuple[str, ...]:
    """The unit the report shows each channel's signal and peaks in (counts on a board)."""
    return WorkingUnits.of_session(record.channels, record.source, record.sample_format).units


def amount(value: float, unit: str) -> str:
    """A signal value with three significant digits and its unit (`0.612 mV`, `512 counts`)."""
    return f"{value:.3g} {unit}"


def utc_time(iso: str | None) -> str:
    """A stored UTC timestamp as `YYYY-MM-DD HH:MM UTC` ("n/a" when missing)."""
    if not iso:
        return "n/a"
    try:
        moment = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def clock(t_s: float) -> str:
    """Seconds as `m:ss.s` (or `h:mm:ss` past an hour) for tables of events."""
    if t_s >= 3600:
        hours, rest = divmod(t_s, 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{int(hours)}:{int(minutes):02d}:{int(seconds):02d}"
    minutes, seconds = divmod(t_s, 60)
    return f"{int(minutes)}:{seconds:04.1f}"
